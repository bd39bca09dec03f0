import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemDocument } from './problem';

/**
 * The web apps the gateway serves, each a workspace `apps/<name>` built by `npm run build` into
 * `apps/<name>/dist` (Vite: `index.html` plus content-hashed files under `assets/`).
 */
export interface WebApp {
  /** Folder under the apps root, e.g. `console`. */
  name: string;
  /** URL prefix with both slashes, e.g. `/console/` (the app is built with this Vite `base`). */
  prefix: string;
  /** What the app is, for the "not built" message, e.g. `the web console`. */
  title: string;
}

/** The apps of the platform. */
const WEB_APPS: readonly WebApp[] = [
  { name: 'citizen', prefix: '/app/', title: 'the citizen app' },
  { name: 'console', prefix: '/console/', title: 'the web console' },
];

/** Where the apps' folders are: TONGBAN_WEB_ROOT, default the repository's `apps/`. */
export function webRootOf(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['TONGBAN_WEB_ROOT'] || join(__dirname, '..', '..', '..', 'apps'));
}

/** Cache-Control of content-hashed files (Vite's `assets/`): a year, never revalidated. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** Cache-Control of everything else (index.html, service workers, manifests): revalidate every time. */
export const REVALIDATE_CACHE = 'no-cache';

/** True when a path inside an app names a content-hashed build output (under `assets/`). */
export function isHashedAsset(pathInApp: string): boolean {
  return /^\/?assets\//.test(pathInApp);
}

/**
 * True when an unknown path inside an app should get the app's index.html (a client-side route such as
 * `/console/tickets/…`): GET/HEAD, not under `assets/`, and the last segment has no file extension.
 */
export function isClientRoute(method: string, pathInApp: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (isHashedAsset(pathInApp)) return false;
  const last = pathInApp.split('/').pop() ?? '';
  return !/\.[A-Za-z0-9]{1,8}$/.test(last);
}

function sendNotFound(request: FastifyRequest, reply: FastifyReply, reason: string, detail: string): FastifyReply {
  const body = { ...problemDocument(404, reason, detail), instance: request.url.split('?')[0] ?? request.url, correlationId: request.id };
  return reply.code(404).header('cache-control', REVALIDATE_CACHE).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/**
 * Serves each built app under its prefix with @fastify/static: hashed files under `assets/` with
 * {@link IMMUTABLE_CACHE}, everything else (index.html first) with {@link REVALIDATE_CACHE}; a
 * pre-compressed `.br`/`.gz` sibling is sent when the client accepts it; an unknown client-side route
 * gets index.html (SPA fallback), an unknown file 404 problem+json `asset_not_found`; `/console`
 * serves the same as `/console/`. An app that is not built answers 404 problem+json `app_not_built`
 * saying how to build it. Register before the rate limiter: static files are not counted.
 *
 * @fastify/static is loaded here, when the gateway runs as a process (it needs require(esm), which
 * in-process Jest tests on Node 20 do not have: they build the gateway without web apps).
 */
export async function registerWebApps(app: FastifyInstance, options: { root: string; apps?: readonly WebApp[] }): Promise<void> {
  const { default: fastifyStatic } = await import('@fastify/static');
  for (const webApp of options.apps ?? WEB_APPS) {
    const dist = join(options.root, webApp.name, 'dist');
    const base = webApp.prefix.replace(/\/$/, '');
    if (!existsSync(join(dist, 'index.html'))) {
      app.log.warn({ app: webApp.name, dist }, `${webApp.title} is not built: run npm run build`);
      const notBuilt = (request: FastifyRequest, reply: FastifyReply) => sendNotFound(request, reply, 'app_not_built',
        `${webApp.title} is not built: run \`npm run build\` and restart the gateway (expected ${dist}/index.html)`);
      app.get(base, { schema: { hide: true } }, notBuilt);
      app.get(webApp.prefix, { schema: { hide: true } }, notBuilt);
      app.get(`${webApp.prefix}*`, { schema: { hide: true } }, notBuilt);
      continue;
    }
    await app.register(async (scope) => {
      await scope.register(fastifyStatic, {
        root: dist,
        prefix: '/',
        index: ['index.html'],
        cacheControl: false,
        preCompressed: true,
        schemaHide: true,
        setHeaders: (reply, path) => {
          reply.header('cache-control', isHashedAsset(path.slice(dist.length).replace(/\\/g, '/')) ? IMMUTABLE_CACHE : REVALIDATE_CACHE);
          reply.header('x-content-type-options', 'nosniff');
        },
      });
      scope.setNotFoundHandler((request, reply) => {
        const inApp = (request.url.split('?')[0] ?? '').slice(base.length);
        if (isClientRoute(request.method, inApp)) return reply.header('cache-control', REVALIDATE_CACHE).sendFile('index.html');
        return sendNotFound(request, reply, 'asset_not_found', `${webApp.title} has no file ${inApp}`);
      });
    }, { prefix: base });
  }
}
