/**
 * The production image's entry points (issue 12 item 8): `npm run build:dist` compiles every process and
 * operator command into dist/<name>.js, which runs with plain `node` — no tsx, no TypeScript source
 * loaded. The whole stack is started from the compiled files (as the image and the Helm chart run it) and a
 * submission goes through gateway, intake, relay, routing and query; the files that read data next to
 * their source (reference data, catalogues, the web apps) find it from dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { waitFor } from '@tongban/testing';
import { DIST_ENTRIES } from '../../scripts/build-dist';
import { type OtlpCollector, startOtlpCollector } from '../support/otlp-collector';
import { type TestStack, startTestStack } from '../support/test-stack';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

let stack: TestStack;
let collector: OtlpCollector;
let buildMs = 0;

beforeAll(async () => {
  const started = Date.now();
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-dist.ts')], { cwd: ROOT, encoding: 'utf8' });
  buildMs = Date.now() - started;
  if (build.status !== 0) throw new Error(`build:dist failed: ${build.stdout}${build.stderr}`);
  // Traced (issue 12 item 4): the instrumentation must come first in the bundles too.
  collector = await startOtlpCollector();
  stack = await startTestStack({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' }, { compiled: DIST });
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  await collector?.close();
});

it('compiles every entry into one JavaScript file that loads no TypeScript and no workspace source', () => {
  for (const name of Object.keys(DIST_ENTRIES)) {
    const file = join(DIST, `${name}.js`);
    expect([name, existsSync(file)]).toEqual([name, true]);
    const code = readFileSync(file, 'utf8');
    expect([name, code.match(/require\("(?:tsx[^"]*|@tongban\/[^"]*|[^"]*\.ts)"\)/g)]).toEqual([name, null]);
  }
  console.log(`build:dist: ${Object.keys(DIST_ENTRIES).length} entries in ${buildMs} ms`);
});

it('requires only packages that the image installs (production dependencies: npm ci --omit=dev)', () => {
  const manifests = [join(ROOT, 'package.json'), ...['packages', 'services', 'apps'].flatMap((group) => readdirSync(join(ROOT, group)).map((d) => join(ROOT, group, d, 'package.json')))]
    .filter((f) => existsSync(f)).map((f) => JSON.parse(readFileSync(f, 'utf8')) as { dependencies?: Record<string, string> });
  const production = new Set(manifests.flatMap((m) => Object.keys(m.dependencies ?? {})));
  const required = new Set<string>();
  for (const name of Object.keys(DIST_ENTRIES)) {
    for (const [, spec] of readFileSync(join(DIST, `${name}.js`), 'utf8').matchAll(/(?:require|import)\("([^"]+)"\)/g)) {
      if (spec!.startsWith('node:') || builtinModules.includes(spec!) || spec!.startsWith('.')) continue;
      required.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
    }
  }
  expect(required.size).toBeGreaterThan(10);
  expect([...required].filter((p) => !production.has(p))).toEqual([]);
});

it('an operator command runs from its compiled file (config --print-config)', () => {
  const r = spawnSync(process.execPath, [join(DIST, 'config.js'), 'gateway'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: 'postgres://tongban:s3cret@db:5432/tongban' } });
  expect([r.status, r.stderr]).toEqual([0, '']);
  expect(r.stdout).toContain('DATABASE_URL');
  expect(r.stdout).not.toContain('s3cret');
});

/** The command lines of this machine's processes (Linux /proc). */
function commandLines(): string[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try { return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')]; } catch { return []; }
  });
}

it('the stack started from dist/ takes a submission through routing to the query side', async () => {
  // Every process of the stack runs its compiled file with plain node.
  const running = commandLines().filter((c) => c.includes(DIST));
  for (const name of ['gateway', 'identity', 'intake', 'routing', 'casework', 'deadline', 'notification', 'query', 'relay']) {
    expect([name, running.filter((c) => c === `${process.execPath} ${join(DIST, `${name}.js`)} `)]).toEqual([name, [expect.any(String)]]);
  }
  const device = await stack.device();
  const submitted = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, body: { service_code: 'water-supply', division: '513431', title: '停水三天', description: '村里停水三天了。' },
  });
  expect(submitted.status).toBe(201);
  const routed = await stack.waitForTicket(submitted.body.id, device.token, (v) => v.status === 'routed', 30_000);
  expect(routed.routedUnit).toMatchObject({ id: 'adm-513431', name: '昭觉县' });
  // One trace across the compiled processes, each named after its dist/<name>.js, PostgreSQL queries in it.
  const published = await waitFor(() => collector.spans().find((s) => s.name === 'publish TicketSubmitted' && s.attributes['tongban.event.stream'] === `ticket-${submitted.body.id}`));
  const services = () => new Set(collector.spans().filter((s) => s.traceId === published.traceId).map((s) => s.service));
  await waitFor(() => ['gateway', 'intake', 'relay', 'routing', 'query'].every((p) => services().has(p)) || undefined).catch(() => undefined);
  expect([...services()].sort()).toEqual(expect.arrayContaining(['gateway', 'intake', 'relay', 'routing', 'query']));
  expect(collector.spans().some((s) => s.traceId === published.traceId && s.service === 'intake' && s.name.startsWith('pg.query'))).toBe(true);
  // A localized problem (catalogues read from packages/i18n/locales via the rewritten __dirname).
  const bad = await stack.api('POST', '/api/v1/tickets', { token: device.token, headers: { 'accept-language': 'zh-Hans' }, body: { service_code: 'water-supply', division: '999999', title: 't', description: 'd' } });
  expect([bad.status, bad.body.reason]).toEqual([400, 'unknown_division']);
}, 60_000);

it('the compiled gateway finds the web apps in apps/<name>/dist', async () => {
  const res = await fetch(`${stack.url}/console/`);
  const built = existsSync(join(ROOT, 'apps', 'console', 'dist', 'index.html'));
  if (built) {
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<html');
  } else {
    // Not built here: the gateway names where it looked, which must be the repository's apps/.
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain(join(ROOT, 'apps', 'console', 'dist', 'index.html'));
  }
});
