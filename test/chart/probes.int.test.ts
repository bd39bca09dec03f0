/**
 * The chart's probes against real processes: a gRPC service (query) and the deadline worker started with
 * the environment the chart renders — their address is the Kubernetes Service name, which does not
 * resolve here, and TONGBAN_GRPC_HOST=0.0.0.0 — answer the Kubernetes `grpc:` readiness probe (standard
 * grpc.health.v1 Check, SERVING) and GET /healthz, /readyz, /metrics on the health port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { credentials, makeClientConstructor, type Client } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { createTestDatabase, freePort, natsUrl, uniqueName, waitFor, type TestDatabase } from '@tongban/testing';

const ROOT = join(__dirname, '..', '..');

interface Proc { child: ChildProcess; output: string[] }
const procs: Proc[] = [];
let db: TestDatabase;

function start(name: string, env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services', name, 'src', 'main.ts')], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = { child, output: [] as string[] };
  child.stdout?.on('data', (c: Buffer) => proc.output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => proc.output.push(c.toString()));
  procs.push(proc);
  return proc;
}

/** The grpc.health.v1.Health/Check answer of `address` for the overall status (""). */
function grpcHealth(address: string): Promise<string> {
  const Health = makeClientConstructor(healthService, 'Health') as unknown as new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => Client & {
    check(req: { service: string }, cb: (err: Error | null, res?: { status: string | number }) => void): void;
  };
  const client = new Health(address, credentials.createInsecure());
  return new Promise((resolve) => {
    client.check({ service: '' }, (err, res) => { client.close(); resolve(err ? `error: ${err.message}` : String(res?.status)); });
  });
}

let env: NodeJS.ProcessEnv;
let ports: { queryGrpc: number; queryHealth: number; deadlineHealth: number };

beforeAll(async () => {
  db = await createTestDatabase();
  const ns = uniqueName('probe').replace(/[^A-Za-z0-9_]/g, '_');
  ports = { queryGrpc: await freePort(), queryHealth: await freePort(), deadlineHealth: await freePort() };
  env = {
    DATABASE_URL: db.url, NATS_URL: natsUrl(), TONGBAN_NAMESPACE: ns, TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`, TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
    LOG_LEVEL: 'warn', TONGBAN_GRPC_HOST: '0.0.0.0', QUERY_ADDR: `tb-tongban-query:${ports.queryGrpc}`, TONGBAN_ANCHOR_INTERVAL_MS: '0',
  };
  delete process.env['TONGBAN_TEST_CLOCK'];
  start('query', { ...env, TONGBAN_HEALTH_PORT: String(ports.queryHealth) });
  start('deadline', { ...env, TONGBAN_HEALTH_PORT: String(ports.deadlineHealth) });
}, 60_000);

afterAll(async () => {
  await Promise.all(procs.map(({ child }) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  })));
  await db?.drop();
}, 30_000);

const dump = () => procs.map((p) => p.output.join('')).join('\n');

it('a gRPC service bound by its Service name answers the gRPC health probe SERVING', async () => {
  await waitFor(async () => (await grpcHealth(`127.0.0.1:${ports.queryGrpc}`)) === 'SERVING', { timeoutMs: 60_000, intervalMs: 500 })
    .catch((err: unknown) => { throw new Error(`${String(err)}\n${dump()}`); });
  expect(dump()).not.toContain('EADDRNOTAVAIL');
}, 70_000);

it('the deadline worker answers /healthz, /readyz (naming its checks) and /metrics on its health port', async () => {
  const base = `http://127.0.0.1:${ports.deadlineHealth}`;
  await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 60_000, intervalMs: 500 })
    .catch((err: unknown) => { throw new Error(`${String(err)}\n${dump()}`); });
  expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
  expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', checks: expect.objectContaining({ postgresql: 'ok', nats: 'ok', started: 'ok' }) });
  const metrics = await fetch(`${base}/metrics`);
  expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
  expect(await metrics.text()).toContain('process_cpu_seconds_total');
  const query = await fetch(`http://127.0.0.1:${ports.queryHealth}/readyz`);
  expect(query.status).toBe(200);
}, 70_000);
