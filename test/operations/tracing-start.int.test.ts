/**
 * Issue 12 item 4, the switch: `import '@tongban/runtime/tracing'` (the first line of every main.ts) loads
 * no OpenTelemetry SDK while OTEL_EXPORTER_OTLP_ENDPOINT is unset; set (here with OTLP/HTTP JSON), it starts
 * the SDK, and the spans still buffered are exported by shutdownTracing (what gracefulShutdown calls).
 * Each case is a real Node.js process, as the services are started.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type OtlpCollector, startOtlpCollector } from '../support/otlp-collector';

const ROOT = join(__dirname, '..', '..');

/** Loads the tracing module like a main.ts, makes one span, stops; prints what was loaded and whether pg was instrumented. */
const PROBE = `
require('@tongban/runtime/tracing');
// What the tracing module loaded itself: none of the modules it instruments may be among them (they
// would be loaded before the SDK started, and some never patched).
const early = [...new Set(Object.keys(require.cache).map((k) => /node_modules[\\/](pg|pg-pool|@grpc[\\/]grpc-js|fastify)[\\/]/.exec(k)?.[1]).filter(Boolean))];
const { trace } = require('@opentelemetry/api');
const { shutdownTracing } = require('@tongban/runtime');
trace.getTracer('probe').startSpan('probe span').end();
shutdownTracing().then(() => {
  const loaded = Object.keys(require.cache).filter((k) => /@opentelemetry[\\\\/](sdk-node|instrumentation-)|@fastify[\\\\/]otel/.test(k));
  // Loaded after the tracing module (as in a main.ts): patched by the pg instrumentation when tracing is on.
  const pgPatched = require('pg').Client.prototype.query.__wrapped === true;
  console.log(JSON.stringify({ loaded: loaded.length, pgPatched, early }));
});`;

async function probe(env: NodeJS.ProcessEnv): Promise<{ loaded: number; pgPatched: boolean; early: string[] }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', PROBE], { cwd: ROOT, env: { ...clean, ...env }, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { loaded: number; pgPatched: boolean; early: string[] };
}

let collector: OtlpCollector;
beforeAll(async () => { collector = await startOtlpCollector(); });
afterAll(async () => { await collector?.close(); });

it('every process imports the tracing module first', () => {
  const services = readdirSync(join(ROOT, 'services'));
  expect(services.length).toBeGreaterThanOrEqual(9);
  for (const name of services) {
    const main = readFileSync(join(ROOT, 'services', name, 'src', 'main.ts'), 'utf8');
    expect([name, main.split('\n').find((line) => line.startsWith('import '))]).toEqual([name, "import '@tongban/runtime/tracing';"]);
  }
});

it('off without OTEL_EXPORTER_OTLP_ENDPOINT: no SDK or instrumentation is loaded, nothing is sent', async () => {
  expect(await probe({})).toEqual({ loaded: 0, pgPatched: false, early: [] });
  expect(collector.spans()).toEqual([]);
}, 60_000);

it('on with OTEL_EXPORTER_OTLP_ENDPOINT: spans are exported (OTLP/HTTP JSON), the last ones at shutdown', async () => {
  const result = await probe({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '60000' });
  expect(result.loaded).toBeGreaterThan(0);
  // The SDK came before pg: nothing the tracing module imports may load pg, gRPC or http first.
  expect(result.pgPatched).toBe(true);
  expect(result.early).toEqual([]);
  // Flushed by shutdownTracing long before the 60 s export delay.
  expect(collector.spans()).toEqual([expect.objectContaining({ name: 'probe span', service: 'tongban' })]);
  expect(collector.contentTypes()).toEqual(['application/json']);
}, 60_000);

it('an invalid OTEL_* value leaves tracing off (the process then stops naming it)', async () => {
  const before = collector.spans().length;
  expect(await probe({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual({ loaded: 0, pgPatched: false, early: [] });
  expect(collector.spans().length).toBe(before);
}, 60_000);
