/**
 * `npm run build:dist`: compiles every process and the operator commands the image needs into one
 * JavaScript file each, `dist/<name>.js` (esbuild, CommonJS, Node 20), run as `node dist/<name>.js` —
 * no tsx and no TypeScript at run time (issue 12 item 8; the Dockerfile and the Helm chart run these).
 *
 * The workspace packages (`@tongban/*`, whose package.json points at TypeScript sources) are bundled in;
 * every other package stays external and is loaded from node_modules (`npm ci --omit=dev` in the image).
 * Files that find their data next to themselves (`__dirname`: the i18n catalogues, the reference data,
 * the password list, the gateway's web apps) keep finding it: `__dirname` in such a file is replaced by
 * its source folder relative to dist/, so `dist/` must sit at the repository's root beside `packages/`,
 * `services/` and `apps/` (as in the image's /app).
 */
import { dirname, join, relative } from 'node:path';
import { readFile } from 'node:fs/promises';
import { build, type Plugin } from 'esbuild';

const ROOT = join(__dirname, '..');

/** The compiled entry points: `dist/<name>.js` ← source, relative to the repository root. */
export const DIST_ENTRIES: Readonly<Record<string, string>> = {
  gateway: 'services/gateway/src/main.ts',
  identity: 'services/identity/src/main.ts',
  intake: 'services/intake/src/main.ts',
  routing: 'services/routing/src/main.ts',
  casework: 'services/casework/src/main.ts',
  deadline: 'services/deadline/src/main.ts',
  notification: 'services/notification/src/main.ts',
  query: 'services/query/src/main.ts',
  relay: 'services/relay/src/main.ts',
  // Operator commands (kubectl exec … -- node dist/<name>.js …).
  migrate: 'services/relay/src/migrate-all.ts',
  config: 'scripts/config.ts',
  token: 'scripts/token.ts',
  apikey: 'services/intake/src/apikey-cli.ts',
  webhooks: 'services/notification/src/webhooks-cli.ts',
  deadletters: 'scripts/deadletters.ts',
  audit: 'services/query/src/cli/main.ts',
};

/** Bundles `@tongban/*` and relative imports; leaves every other package to node_modules. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@tongban/') ? undefined : { path: args.path, external: true }));
  },
};

/** Rewrites `__dirname` in a source file to that file's folder as seen from the bundle in `outdir`. */
function sourceDirname(outdir: string): Plugin {
  return {
    name: 'source-dirname',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('__dirname')) return undefined;
        const dir = JSON.stringify(relative(outdir, dirname(args.path)));
        return { contents: text.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${dir})`), loader: 'ts' };
      });
    },
  };
}

/**
 * Compiles {@link DIST_ENTRIES} into `outdir` (default `<repository>/dist`).
 * @returns the files written, absolute.
 * @throws Error (esbuild's) when a source does not compile.
 */
export async function buildDist(outdir: string = join(ROOT, 'dist')): Promise<string[]> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(DIST_ENTRIES).map(([name, source]) => [name, join(ROOT, source)])),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    // Fastify's and pino's messages name functions; keep them readable in logs and stack traces.
    keepNames: true,
    logLevel: 'warning',
    // Entry files test `require.main === module`; in a CommonJS bundle that is the bundle's own module.
    logOverride: { 'commonjs-variable-in-esm': 'silent' },
    plugins: [externalPackages, sourceDirname(outdir)],
  });
  return Object.keys(DIST_ENTRIES).map((name) => join(outdir, `${name}.js`));
}

if (require.main === module) {
  const started = Date.now();
  buildDist().then((files) => {
    console.log(`dist: ${files.length} files in ${Date.now() - started} ms (${files.map((f) => relative(ROOT, f)).join(', ')})`);
  }, (err: unknown) => {
    console.error(`build:dist failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
