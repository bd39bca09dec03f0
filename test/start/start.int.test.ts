/**
 * `npm start` as a real process (npm → sh → node scripts/start.ts → one child per platform process): refusals with one
 * line naming the setting, a child crash stopping the stack (exit 1, naming it), and `kill` of a
 * backgrounded `npm start` leaving no process and no port behind.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, natsUrl, uniqueName, waitFor } from '@tongban/testing';
import pg from 'pg';
import { PROCESSES } from '../../scripts/stack';

const ROOT = join(__dirname, '..', '..');
const dbBase = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const created: string[] = [];
const runs: ChildProcess[] = [];

interface Run { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; ms: number }> }

/** Runs `npm start` (or node scripts/start.ts) with `env` over the test's environment. */
function run(env: NodeJS.ProcessEnv, viaNpm = false): Run {
  const started = Date.now();
  const child = viaNpm
    ? spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'start.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr?.on('data', (c: Buffer) => { out += c.toString(); });
  runs.push(child);
  const exited = new Promise<{ code: number | null; ms: number }>((resolve) => child.once('exit', (code) => resolve({ code, ms: Date.now() - started })));
  return { child, output: () => out, exited };
}

/** An isolated environment: free ports, own database name, namespace and stream; pid file in /tmp. */
async function isolatedEnv(): Promise<NodeJS.ProcessEnv> {
  const ns = uniqueName('start').replace(/[^A-Za-z0-9_]/g, '_');
  const db = new URL(dbBase);
  db.pathname = `/${ns.toLowerCase()}`;
  created.push(ns.toLowerCase());
  const env: NodeJS.ProcessEnv = {
    PORT: String(await freePort()), DATABASE_URL: db.toString(), NATS_URL: natsUrl(), LOG_LEVEL: 'warn',
    TONGBAN_NAMESPACE: ns, TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`, TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
    TONGBAN_PID_FILE: `/tmp/${ns}.pid`, TONGBAN_ANCHOR_INTERVAL_MS: '0', TONGBAN_TEST_CLOCK: '',
  };
  for (const s of PROCESSES.filter((p) => p !== 'relay' && p !== 'gateway').map((p) => p.toUpperCase())) env[`${s}_ADDR`] = `127.0.0.1:${await freePort()}`;
  return env;
}

/** True while `pid` runs (a zombie left to init counts as gone). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const childrenOf = (pid: number) => {
  try { return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number); } catch { return []; }
};
/** The supervisor (node scripts/start.ts) below an npm process: npm → sh → node. */
const supervisorBelow = (npmPid: number): number | undefined => {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = out.split('\n').map((l) => l.trim().split(/\s+/)).filter((r) => r.length > 2);
  const below = (p: number): number[] => rows.filter((r) => Number(r[1]) === p).map((r) => Number(r[0]));
  for (const sh of [npmPid, ...below(npmPid)]) {
    for (const pid of below(sh)) {
      const row = rows.find((r) => Number(r[0]) === pid);
      if (row?.[2] === 'node' && row.join(' ').includes('scripts/start.ts')) return pid;
    }
  }
  return undefined;
};

afterAll(async () => {
  // A failed test may leave its stack running: end it, and give the children time to follow their supervisor
  // (it stops each gracefully, killing it after 5 s). When every run has exited there is nothing to wait for.
  const running = runs.filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  if (running.length > 0) await new Promise((r) => setTimeout(r, 6000));
  const admin = new pg.Client({ connectionString: dbBase });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
  await admin.end();
});

describe('refusals (within 10 s, one line naming the setting, exit 1)', () => {
  let taken: Server;
  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it('PORT already in use', async () => {
    const env = await isolatedEnv();
    taken = createServer();
    await new Promise<void>((r) => taken.listen(Number(env['PORT']), '0.0.0.0', () => r()));
    const r = run(env);
    const { code, ms } = await r.exited;
    expect(code).toBe(1);
    expect(ms).toBeLessThan(10_000);
    expect(r.output()).toContain(`PORT=${env['PORT']}: port ${env['PORT']} already in use`);
    expect(r.output()).not.toContain('Tongban is running');
  }, 30_000);

  it('a service port (QUERY_ADDR) already in use', async () => {
    const env = await isolatedEnv();
    const port = Number(env['QUERY_ADDR']!.split(':')[1]);
    const other = createServer();
    await new Promise<void>((r) => other.listen(port, '127.0.0.1', () => r()));
    const r = run(env);
    const { code } = await r.exited;
    other.close();
    expect(code).toBe(1);
    expect(r.output()).toContain(`QUERY_ADDR=127.0.0.1:${port}: port ${port} already in use`);
  }, 30_000);

  it('PostgreSQL unreachable: names DATABASE_URL and the address, password masked', async () => {
    const port = await freePort();
    const r = run({ ...(await isolatedEnv()), DATABASE_URL: `postgres://tongban:s3cret@127.0.0.1:${port}/tongban` });
    const { code, ms } = await r.exited;
    expect(code).toBe(1);
    expect(ms).toBeLessThan(10_000);
    expect(r.output().trim()).toBe(`Tongban failed to start: DATABASE_URL=postgres://tongban:***@127.0.0.1:${port}/tongban: PostgreSQL unreachable at 127.0.0.1:${port} (ECONNREFUSED)`);
  }, 30_000);

  it('NATS unreachable: one line naming NATS_URL', async () => {
    const port = await freePort();
    const r = run({ ...(await isolatedEnv()), NATS_URL: `nats://127.0.0.1:${port}` });
    const { code, ms } = await r.exited;
    expect(code).toBe(1);
    expect(ms).toBeLessThan(10_000);
    expect(r.output().trim().split('\n')).toEqual([`Tongban failed to start: NATS_URL=nats://127.0.0.1:${port}: NATS unreachable (connection refused)`]);
  }, 30_000);
});

describe('a running stack', () => {
  it('a child crashing after start stops every process; exit 1 naming it and how it ended', async () => {
    const env = await isolatedEnv();
    const r = run(env);
    await waitFor(() => r.output().includes('Tongban is running') || r.child.exitCode !== null, { timeoutMs: 150_000, intervalMs: 250 });
    expect(r.output()).toContain('Tongban is running');
    // where the web apps are (README: npm start serves them)
    expect(r.output()).toMatch(/Citizen app: http:\/\/127\.0\.0\.1:\d+\/app\/ {3}Web console: http:\/\/127\.0\.0\.1:\d+\/console\//);
    // a fresh database: how to sign in as the bootstrap administrator, once
    expect(r.output()).toMatch(/Bootstrap administrator created: sign in as "admin" with one-time password [A-Za-z0-9]{16}/);
    const kids = childrenOf(r.child.pid!);
    expect(kids).toHaveLength(PROCESSES.length);
    const intake = kids.find((pid) => execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).includes('services/intake/'))!;
    process.kill(intake, 'SIGKILL');
    const { code } = await r.exited;
    expect(code).toBe(1);
    expect(r.output()).toContain('[tongban] intake exited unexpectedly (signal SIGKILL); stopping every process');
    await waitFor(() => kids.every((pid) => !alive(pid)), { timeoutMs: 10_000, intervalMs: 100 });
  }, 180_000);

  it('kill of a backgrounded npm start leaves no process and frees the ports', async () => {
    const env = await isolatedEnv();
    const r = run(env, true);
    await waitFor(() => r.output().includes('Tongban is running') || r.child.exitCode !== null, { timeoutMs: 150_000, intervalMs: 250 });
    expect(r.output()).toContain('Tongban is running');
    const supervisor = supervisorBelow(r.child.pid!)!;
    const kids = childrenOf(supervisor);
    expect(kids).toHaveLength(PROCESSES.length);
    r.child.kill('SIGTERM');
    await r.exited;
    const t0 = Date.now();
    await waitFor(() => [supervisor, ...kids].every((pid) => !alive(pid)), { timeoutMs: 15_000, intervalMs: 100 });
    const stoppedMs = Date.now() - t0;
    const probe = createServer();
    await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.listen(Number(env['PORT']), '0.0.0.0', () => resolve()); });
    probe.close();
    expect(stoppedMs).toBeLessThan(15_000);
  }, 180_000);
});
