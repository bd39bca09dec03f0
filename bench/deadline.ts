/**
 * `npm run bench:deadline` — the deadline service with 1,000,000 open timers (issue 4).
 *
 * Runs the real deadline process (services/deadline/src/main.ts, the test clock on) against a fresh
 * PostgreSQL database and an isolated NATS namespace, twice: a baseline with 1,000 open timers and the
 * target with 1,000,000, and prints for each, and the ratio of target to baseline:
 * - memory of the deadline process (RSS at idle with the table loaded, and peak RSS: VmHWM, MB);
 * - lateness of timers firing while the test clock runs over their due times (steady phase: STEADY timers
 *   due evenly over STEADY_WINDOW_S seconds): fire instant (DeadlineBreached.breachedAt) − due time, p50/p99/max;
 * - an advance of the test clock that makes BURST timers due at once (a backlog): p50/p99 of fire − advance
 *   instant, and the drain rate (BURST / time from the advance to the last fire, timers/s);
 * - restart recovery after kill -9 while RESTART timers fall due: process start → ready, start → all of
 *   them fired (each exactly once), and the drain rate after ready (RESTART / time from ready to the last fire).
 * Each fired timer is a real breach: RecordDeadlineBreach carrying the automatic escalation (one append of
 * DeadlineBreached + TicketEscalated) through the executor (the remaining timers are rows for tickets far in
 * the future). TONGBAN_TIMER_CONCURRENCY / TONGBAN_TIMER_BATCH pass through to the deadline process.
 * Targets (issue 4): every timer within 1 s of its due time; the deadline process under 256 MB.
 * Not part of `npm test`. Needs PostgreSQL and NATS (DATABASE_URL, NATS_URL as for the tests).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { type NatsConnection, connect } from '@nats-io/transport-node';
import type { ActorContext, Clock, TicketCommand } from '@tongban/domain';
import { PostgresEventStore, runMigrations } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { TicketExecutor, setTestClock, testClockNames } from '@tongban/runtime';
import { createTestDatabase, natsUrl, uniqueName } from '@tongban/testing';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { DEADLINE_MIGRATIONS } from '../services/deadline/src/migrations';

const ROOT = join(__dirname, '..');
const HOUR = 3_600_000;
const STEADY = Number(process.env['BENCH_STEADY'] ?? 2000);
const STEADY_WINDOW_S = Number(process.env['BENCH_STEADY_WINDOW_S'] ?? 20);
const BURST = Number(process.env['BENCH_BURST'] ?? 300);
const RESTART = Number(process.env['BENCH_RESTART'] ?? 1000);
const TARGET = Number(process.env['BENCH_TIMERS'] ?? 1_000_000);
const BASELINE = Number(process.env['BENCH_BASELINE_TIMERS'] ?? 1_000);
/** The instant (test clock) the steady phase starts. */
const T_START = Date.parse('2030-01-07T01:00:00.000Z');
const T_BURST = T_START + STEADY_WINDOW_S * 1000 + 120_000;
const BURST_SPAN = 50_000;
const T_RESTART = T_BURST + BURST_SPAN + 600_000;
const RESTART_SPAN = 10_000;

const REPORTER: ActorContext = { kind: 'citizen', id: 'device-bench' };
const ROUTING: ActorContext = { kind: 'system', id: 'routing' };
const ref = loadReferenceData();

interface Result {
  openTimers: number;
  setupS: number;
  idleRssMb: number;
  peakRssMb: number;
  steady: { p50: number; p99: number; max: number; fired: number };
  burst: { p50: number; p99: number; max: number; fired: number; drainPerS: number };
  restart: { readyMs: number; recoveredMs: number; fired: number; duplicates: number; drainPerS: number };
}

const percentile = (xs: number[], p: number): number => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

function memory(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Starts the deadline process; resolves when it logs "deadline started". */
function startDeadline(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; startedAt: number; readyAt: number }> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/deadline/src/main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      if (buffer.includes('"msg":"deadline started"')) { resolve({ child, startedAt, readyAt: Date.now() }); buffer = ''; }
      if (buffer.length > 100_000) buffer = buffer.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => { onData(c); if (process.env['BENCH_VERBOSE']) process.stderr.write(c); });
    child.once('exit', (code) => reject(new Error(`deadline exited (${code}) before it was ready`)));
  });
}

/** Stores the test clock for processes that start later (no process is listening now). */
async function storeTestClock(nc: NatsConnection, ns: string, instant: Date): Promise<void> {
  const kv = await new Kvm(nc).create(testClockNames(ns).bucket, { history: 1 });
  await kv.put('offset', String(instant.getTime() - Date.now()));
}

async function scenario(openTimers: number): Promise<Result> {
  const setupStarted = Date.now();
  const db = await createTestDatabase();
  const ns = uniqueName('bench').replace(/[^A-Za-z0-9_]/g, '_');
  const pool = new pg.Pool({ connectionString: db.url, max: 10 });
  const clock = { current: new Date(T_START), now(): Date { return this.current; } } satisfies Clock & { current: Date };
  const nc = await connect({ servers: natsUrl() });
  let child: ChildProcess | undefined;
  try {
    const store = await PostgresEventStore.create(pool, clock);
    await runMigrations(pool, 'deadline', DEADLINE_MIGRATIONS);
    // Hot tickets: each one's first-response leg is due exactly when its timer is.
    const hot: { ticketId: string; due: number; phase: 'steady' | 'burst' | 'restart' }[] = [
      ...Array.from({ length: STEADY }, (_, i) => ({ ticketId: uuidv7(), due: T_START + Math.round((i * STEADY_WINDOW_S * 1000) / STEADY), phase: 'steady' as const })),
      ...Array.from({ length: BURST }, (_, i) => ({ ticketId: uuidv7(), due: T_BURST + Math.round((i * BURST_SPAN) / BURST), phase: 'burst' as const })),
      ...Array.from({ length: RESTART }, (_, i) => ({ ticketId: uuidv7(), due: T_RESTART + Math.round((i * RESTART_SPAN) / RESTART), phase: 'restart' as const })),
    ];
    const queue = [...hot];
    const worker = async () => {
      const local = new TicketExecutor({ store, ref, clock: { now: () => new Date(current) }, service: 'bench' });
      let current = 0;
      for (let t = queue.shift(); t; t = queue.shift()) {
        current = t.due - 24 * HOUR;
        const submit: TicketCommand = {
          type: 'SubmitTicket', ticketId: t.ticketId, reference: `LS-2030-${t.ticketId.slice(-6)}`, serviceCode: 'dangerous-structure', division: '513437100001',
          title: '危墙', description: '围墙出现裂缝', address: '', channel: 'app',
          reporter: { deviceId: REPORTER.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
          attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
        };
        await local.execute(t.ticketId, submit, REPORTER, { correlationId: t.ticketId });
        await local.execute(t.ticketId, { type: 'RouteTicket', unitId: 'adm-513437100', division: '513437100', suggestedDepartment: 'housing-construction' }, ROUTING, { correlationId: t.ticketId });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const iso = (ms: number) => new Date(ms).toISOString();
    await pool.query(
      `INSERT INTO sla_timers (ticket_id, leg, kind, due_at, due_key)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])`,
      [hot.map((t) => t.ticketId), hot.map(() => 'first_response'), hot.map(() => 'breach'), hot.map((t) => iso(t.due)), hot.map((t) => iso(t.due))],
    );
    // Cold timers: open, far in the future (30–60 days ahead), for tickets that are not in the store.
    const cold = Math.max(0, openTimers - hot.length);
    for (let done = 0; done < cold; done += 250_000) {
      await pool.query(
        `INSERT INTO sla_timers (ticket_id, leg, kind, due_at, due_key)
         SELECT gen_random_uuid(), 'resolution', 'breach', $1::timestamptz + (random() * interval '30 days'), 'cold'
         FROM generate_series(1, $2)`,
        [iso(T_START + 30 * 24 * HOUR), Math.min(250_000, cold - done)],
      );
    }
    await pool.query('ANALYZE sla_timers');
    const total = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM sla_timers')).rows[0]?.n ?? 0);
    const setupS = (Date.now() - setupStarted) / 1000;

    const env: NodeJS.ProcessEnv = {
      ...process.env, DATABASE_URL: db.url, NATS_URL: natsUrl(), TONGBAN_TEST_CLOCK: '1', TONGBAN_NAMESPACE: ns,
      TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`, TONGBAN_EVENTS_SUBJECT: `${ns}.events`, LOG_LEVEL: 'info',
    };
    // The clock stands well before the first due time while the process starts.
    await storeTestClock(nc, ns, new Date(T_START - 60_000));
    const first = await startDeadline(env);
    child = first.child;
    const pid = first.child.pid ?? 0;
    await new Promise((r) => setTimeout(r, 1500));
    const idleRssMb = memory(pid).rss;

    const breaches = async (from: number, to: number): Promise<{ due: number; fired: number }[]> =>
      (await pool.query<{ due: Date; fired: Date }>(
        `SELECT (data->>'dueAt')::timestamptz AS due, (data->>'breachedAt')::timestamptz AS fired FROM events
         WHERE type = 'DeadlineBreached' AND (data->>'dueAt')::timestamptz BETWEEN $1 AND $2`, [iso(from), iso(to)],
      )).rows.map((r) => ({ due: r.due.getTime(), fired: r.fired.getTime() }));

    // Steady: the clock runs over STEADY due times.
    await setTestClock(nc, ns, new Date(T_START - 2000), ['deadline']);
    const steadyRows = await waitUntil('the steady timers', async () => {
      const rows = await breaches(T_START, T_START + STEADY_WINDOW_S * 1000);
      return rows.length >= STEADY ? rows : undefined;
    }, (STEADY_WINDOW_S + 120) * 1000, 250);
    const steadyLate = steadyRows.map((r) => r.fired - r.due);

    // Burst: one advance of the clock makes BURST timers due at once.
    const jump = T_BURST + BURST_SPAN;
    await setTestClock(nc, ns, new Date(jump), ['deadline']);
    const burstRows = await waitUntil('the burst timers', async () => {
      const rows = await breaches(T_BURST, jump);
      return rows.length >= BURST ? rows : undefined;
    }, 120_000, 100);
    const burstLate = burstRows.map((r) => r.fired - Math.max(r.due, jump));
    const peakRssMb = memory(pid).hwm;

    // Restart: kill -9, RESTART timers fall due while it is down, start again.
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await storeTestClock(nc, ns, new Date(T_RESTART + RESTART_SPAN + 1000));
    const second = await startDeadline(env);
    child = second.child;
    const recoveredAt = await waitUntil('the restart timers', async () => {
      const rows = await breaches(T_RESTART, T_RESTART + RESTART_SPAN);
      return rows.length >= RESTART ? Date.now() : undefined;
    }, 300_000, 50);
    await new Promise((r) => setTimeout(r, 1000));
    const restartRows = await breaches(T_RESTART, T_RESTART + RESTART_SPAN);
    // Drain after ready, from the events' own instants (test clock: offset from real time is constant).
    const restartClockAtReady = T_RESTART + RESTART_SPAN + 1000 + (second.readyAt - second.startedAt);
    const restartDrainS = Math.max(1, Math.max(...restartRows.map((r) => r.fired)) - restartClockAtReady) / 1000;
    const escalations = Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE type = 'TicketEscalated'")).rows[0]?.n ?? 0);
    const duplicates = restartRows.length - RESTART + (escalations - hot.length);
    const peak2 = memory(second.child.pid ?? 0).hwm;
    console.error(`  [${openTimers.toLocaleString('en')} timers] table rows ${total.toLocaleString('en')}, setup ${setupS.toFixed(1)} s`);
    return {
      openTimers: total,
      setupS,
      idleRssMb,
      peakRssMb: Math.max(peakRssMb, peak2),
      steady: { p50: percentile(steadyLate, 50), p99: percentile(steadyLate, 99), max: Math.max(...steadyLate), fired: steadyRows.length },
      burst: { p50: percentile(burstLate, 50), p99: percentile(burstLate, 99), max: Math.max(...burstLate), fired: burstRows.length, drainPerS: burstRows.length / (Math.max(1, Math.max(...burstLate)) / 1000) },
      restart: { readyMs: second.readyAt - second.startedAt, recoveredMs: recoveredAt - second.startedAt, fired: restartRows.length, duplicates, drainPerS: restartRows.length / restartDrainS },
    };
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child?.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const jsm = await jetstreamManager(nc);
    for (const s of [`${ns}_EVENTS`, `${ns}_EVENTS_DEADLETTER`, `KV_${ns}_test_clock`]) await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
    await pool.end();
    await db.drop({ graceMs: 3000 });
  }
}

function print(baseline: Result, target: Result): void {
  const rows: [string, (r: Result) => number, string][] = [
    ['open timers', (r) => r.openTimers, ''],
    ['deadline RSS at idle (MB)', (r) => r.idleRssMb, 'MB'],
    ['deadline peak RSS, VmHWM (MB)', (r) => r.peakRssMb, 'MB'],
    [`steady lateness p50 (ms), ${STEADY} timers over ${STEADY_WINDOW_S} s`, (r) => r.steady.p50, 'ms'],
    ['steady lateness p99 (ms)', (r) => r.steady.p99, 'ms'],
    ['steady lateness max (ms)', (r) => r.steady.max, 'ms'],
    [`burst after a clock advance p50 (ms), ${BURST} timers`, (r) => r.burst.p50, 'ms'],
    ['burst p99 (ms)', (r) => r.burst.p99, 'ms'],
    ['burst drain rate (timers/s)', (r) => r.burst.drainPerS, '/s'],
    ['restart: start → ready (ms)', (r) => r.restart.readyMs, 'ms'],
    [`restart: start → ${RESTART} overdue timers fired (ms)`, (r) => r.restart.recoveredMs, 'ms'],
    ['restart: drain rate after ready (timers/s)', (r) => r.restart.drainPerS, '/s'],
    ['restart: duplicate events', (r) => r.restart.duplicates, ''],
  ];
  const w = Math.max(...rows.map(([n]) => n.length));
  console.log(`${'metric'.padEnd(w)}  ${'baseline'.padStart(12)}  ${'target'.padStart(12)}  ${'ratio'.padStart(8)}`);
  for (const [name, get] of rows) {
    const b = get(baseline);
    const t = get(target);
    const ratio = b === 0 ? (t === 0 ? 1 : Number.POSITIVE_INFINITY) : t / b;
    console.log(`${name.padEnd(w)}  ${b.toFixed(1).padStart(12)}  ${t.toFixed(1).padStart(12)}  ${ratio.toFixed(2).padStart(8)}`);
  }
  const within = target.steady.p99 <= 1000 && target.steady.max <= 1000;
  console.log(`\ntarget: every timer within 1 s of its due time (steady max ${target.steady.max.toFixed(0)} ms): ${within ? 'met' : 'NOT met'}; ` +
    `deadline process under 256 MB (peak ${target.peakRssMb.toFixed(0)} MB): ${target.peakRssMb < 256 ? 'met' : 'NOT met'}`);
  console.log(JSON.stringify({ baseline, target }));
}

async function main(): Promise<void> {
  console.error(`deadline benchmark: baseline ${BASELINE.toLocaleString('en')} open timers, target ${TARGET.toLocaleString('en')}`);
  const baseline = await scenario(BASELINE);
  const target = await scenario(TARGET);
  print(baseline, target);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
