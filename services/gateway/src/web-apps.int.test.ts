import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SERVICE_NAMES } from '@tongban/runtime';
import { startFakeUpstreams, type FakeUpstreams } from './testing/fake-upstreams';
import { IMMUTABLE_CACHE, REVALIDATE_CACHE, isClientRoute, isHashedAsset } from './web-apps';

/**
 * The web apps as the gateway process serves them (@fastify/static needs a real process): a built app
 * from TONGBAN_WEB_ROOT with cache headers, pre-compressed files and the SPA fallback; an app that is
 * not built answers a clear 404.
 */

const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = 'console.log("console");'.repeat(100);

let fakes: FakeUpstreams;
const temp = mkdtempSync(join(tmpdir(), 'tongban-web-'));
const children: ChildProcessWithoutNullStreams[] = [];

/** Starts the gateway with TONGBAN_WEB_ROOT=root and resolves its base URL. */
function startGateway(root: string): Promise<string> {
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [`${s.toUpperCase()}_ADDR`, fakes.address]));
  const env: NodeJS.ProcessEnv = { ...process.env, ...addresses, PORT: '0', HOST: '127.0.0.1', TONGBAN_WEB_ROOT: root, LOG_LEVEL: 'info' };
  delete env['TONGBAN_TEST_CLOCK'];
  const child = spawn(TSX, [join(ROOT, 'services', 'gateway', 'src', 'main.ts')], { cwd: ROOT, env });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.includes('gateway listening'));
      if (line) { clearTimeout(timer); resolve(`http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`); }
    });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
}

let built: string;
let unbuilt: string;

beforeAll(async () => {
  fakes = await startFakeUpstreams();
  const dist = join(temp, 'built', 'console', 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/index-abc123.js"></script>');
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), SCRIPT);
  writeFileSync(join(dist, 'assets', 'index-abc123.js.gz'), gzipSync(SCRIPT));
  mkdirSync(join(temp, 'empty'));
  [built, unbuilt] = await Promise.all([startGateway(join(temp, 'built')), startGateway(join(temp, 'empty'))]);
}, 90_000);

afterAll(async () => {
  await Promise.all(children.filter((c) => c.exitCode === null).map((child) => new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  })));
  await fakes.stop();
  rmSync(temp, { recursive: true, force: true });
});

it('serves index.html at /console/ and /console, revalidated every time', async () => {
  for (const path of ['/console/', '/console']) {
    const res = await fetch(`${built}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe(REVALIDATE_CACHE);
    expect(await res.text()).toContain('<title>console</title>');
  }
});

it('serves hashed assets immutable, pre-compressed when the client accepts gzip', async () => {
  const gz = await fetch(`${built}/console/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
  expect(gz.status).toBe(200);
  expect(gz.headers.get('cache-control')).toBe(IMMUTABLE_CACHE);
  expect(gz.headers.get('content-encoding')).toBe('gzip');
  expect(await gz.text()).toBe(SCRIPT); // fetch decodes
  const plain = await fetch(`${built}/console/assets/index-abc123.js`, { headers: { 'accept-encoding': 'identity' } });
  expect(plain.headers.get('content-encoding')).toBeNull();
  expect(plain.headers.get('content-type')).toMatch(/javascript/);
});

it('answers client-side routes with index.html and a missing file with 404 problem+json', async () => {
  const route = await fetch(`${built}/console/tickets/01890000-0000-7000-8000-000000000001?tab=story`);
  expect(route.status).toBe(200);
  expect(route.headers.get('cache-control')).toBe(REVALIDATE_CACHE);
  expect(await route.text()).toContain('<title>console</title>');
  const missing = await fetch(`${built}/console/assets/index-gone.js`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect((await missing.json() as { reason: string }).reason).toBe('asset_not_found');
  const post = await fetch(`${built}/console/queue`, { method: 'POST' });
  expect(post.status).toBe(404);
});

it('says how to build an app that is not built, and the API keeps working', async () => {
  for (const path of ['/console/', '/console', '/console/queue']) {
    const res = await fetch(`${unbuilt}${path}`);
    expect(res.status).toBe(404);
    const problem = await res.json() as { reason: string; detail: string };
    expect(problem.reason).toBe('app_not_built');
    expect(problem.detail).toContain('npm run build');
  }
  expect((await fetch(`${unbuilt}/healthz`)).status).toBe(200);
});

it('classifies paths inside an app', () => {
  expect(isHashedAsset('/assets/index-abc.js')).toBe(true);
  expect(isHashedAsset('/favicon.svg')).toBe(false);
  expect(isClientRoute('GET', '/tickets/abc')).toBe(true);
  expect(isClientRoute('GET', '/sw.js')).toBe(false);
  expect(isClientRoute('GET', '/assets/chunk')).toBe(false);
  expect(isClientRoute('POST', '/queue')).toBe(false);
});
