/**
 * `npm run bench:path` (issue 13; not part of npm test): the main path against bare PostgreSQL and
 * fastify, measured side by side in one run so that the ratios hold on a busy machine.
 *
 * On a private PostgreSQL cluster (initdb into a temporary directory) and a private nats-server:
 * 1. append: the event store's append with an exact expected revision, single events and batches of
 *    10, against raw INSERTs of rows of the same shape (same columns, indexes and payload) into a twin
 *    table, 8 concurrent writers on one pool, rounds interleaved (each in another order); the log and
 *    the JSON also give the CPU per statement of the append and the INSERT (this process — the client —
 *    and PostgreSQL), steadier than the rates on a busy machine; the INSERT is a named prepared
 *    statement, as the store's append is (the baseline of the goal), and also shown unprepared (the
 *    baseline of the figures before the append was prepared: parsing and planning it costs ~1/3);
 * 2. submit: POST /api/v1/tickets through the full stack (every service as its own process) against a
 *    bare fastify route validating the same body with the gateway's schema and inserting one row
 *    (bench/path-baseline.ts, its own process), 32 keep-alive connections, rounds interleaved;
 * 3. open loop: submissions at fixed rates (25/50/100/200 per s), each sent at its scheduled instant and
 *    its latency counted from that instant (no coordinated omission): HTTP p99, and p99 until the
 *    ticket is visible in the read model (ticket_views) with its routed unit; tickets not visible
 *    within the drain time are reported as lost; p99 of the first and last third shows a growing backlog.
 * 4. the database's share of a ticket (bench/db-share.ts): around each open-loop rate, and around one closed-loop
 *    round of the baseline alone and one of the stack alone (after the measured rounds, which interleave them),
 *    snapshots of PostgreSQL's counters — transactions committed and rows written in the workload's database
 *    (pg_stat_database, and per table of the stack's), transactions given an xid and WAL bytes and records
 *    (server-wide: the private cluster, where only that workload runs in the window), statements
 *    (pg_stat_statements, with BENCH_PATH_PG_STATS=1 only) — and the CPU of PostgreSQL's processes, divided by
 *    the tickets (rows) submitted. A window lasts until the pipeline drained and the statistics settled
 *    (backends flush them 10 s after going idle); the idle stack's steady commits and statements (heartbeats'
 *    SELECT 1, idle polls), measured in an idle window first, are taken off at their rate; the CPU is that of
 *    the load and the drain. The bench's own queries on the stack's database (polls, snapshots) are counted
 *    and left out, and their backends are labelled `pg:bench`.
 * Prints one table (figure, baseline, ratio, and the CPU other processes used meanwhile, in cores), the
 * per-ticket database tables, and writes bench/results/path-<time>.json (`dbShare`: the per-ticket figures;
 * `dbShareWindows`: each window's raw deltas; with BENCH_PATH_PG_STATS=1 `dbShareStatements`: statements
 * per ticket by statement).
 *
 * Environment: BENCH_PATH_QUICK=1 — short rounds and two rates (development); BENCH_PATH_RATES=25,50 —
 * the open-loop rates; BENCH_PATH_SECONDS — seconds per open-loop rate (default 30, 200/s: 60);
 * BENCH_PATH_ONLY=append | submit | openloop — only that measurement (development; openloop still warms the
 * stack up with a short closed-loop round first); BENCH_PATH_NODE_ARGS — node arguments of every stack
 * process, space-separated (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the gateway and the
 * services; profiles are written when the stack stops).
 * BENCH_PATH_PG_STATS=1 — load pg_stat_statements into the private cluster and log, after the submit and each
 * open-loop rate, the statements of the stack's database: calls per submission and time (round trips).
 * The log shows the CPU of each of our processes (cores) during the stack's submit rounds and each open-loop rate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { PostgresEventStore, type NewEvent } from '@tongban/eventstore';
import { startNatsCluster, startPrivatePostgres } from '@tongban/testing';
import pg from 'pg';
import { startStack } from '../scripts/stack';
import { type Counters, type DbShare, type TableShare, type Window, dbShare, difference } from './db-share';
import { nowMs, percentile, processTimes, round, table } from './lib';

const QUICK = process.env['BENCH_PATH_QUICK'] === '1';
const RATES = (process.env['BENCH_PATH_RATES'] ?? (QUICK ? '25,100' : '25,50,100,200')).split(',').map(Number);
const log = (m: string) => process.stderr.write(`[bench:path ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- CPU of other processes

/** Busy jiffies of the whole machine (all cores). */
function machineBusy(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return cpu.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
}

/**
 * What one of our processes is, for the CPU split: `gateway`, `intake` … (a stack process), `baseline`,
 * `bench` (this process: the load generator), `nats-server`, `pg:<database>` (a PostgreSQL backend),
 * `pg:other` (the postmaster and its background workers), else the command's name.
 */
function processLabel(pid: number): string {
  if (pid === process.pid) return 'bench';
  let cmd = '';
  try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return 'ended'; }
  const service = /services\/([a-z]+)\/src\/main\.ts/.exec(cmd);
  if (service) return service[1]!;
  if (cmd.includes('path-baseline')) return 'baseline';
  const backend = /^postgres: \S+ (\S+) \d/.exec(cmd);
  if (backend) return `pg:${backend[1]!}`;
  if (cmd.startsWith('postgres') || cmd.includes('/postgres ')) return 'pg:other';
  return cmd.split(' ')[0]!.split('/').pop() ?? 'unknown';
}

/**
 * CPU a phase used: the rest of the machine (cores), ours, ours per process label (cores, 2 decimals), the
 * phase's length (s) and ours per label unrounded (CPU seconds).
 */
interface CpuUse { otherCores: number; oursCores: number; split: Record<string, number>; seconds: number; cpuSeconds: Record<string, number> }

/** Measures the CPU the rest of the machine used while a phase ran: busy − ours (this process tree and the private PostgreSQL's). */
class CpuWatch {
  private readonly hz = 100;
  private readonly labels = new Map<number, string>();
  /** PostgreSQL backends of the bench's own connections (its polls and snapshots): labelled `pg:bench`, not `pg:<database>`. */
  readonly benchBackends = new Set<number>();
  constructor(private readonly roots: Set<number>) {}
  /** Jiffies of each of our processes. */
  private ours(): Map<number, number> {
    const times = processTimes();
    const out = new Map<number, number>();
    for (const [pid, t] of times) {
      let p = pid;
      for (let depth = 0; depth < 30 && p > 1; depth += 1) {
        if (this.roots.has(p)) { out.set(pid, t.ticks); break; }
        p = times.get(p)?.ppid ?? 0;
      }
    }
    return out;
  }
  private label(pid: number): string {
    let label = this.labels.get(pid);
    if (label === undefined || label === 'ended') { label = this.benchBackends.has(pid) ? 'pg:bench' : processLabel(pid); this.labels.set(pid, label); }
    return label;
  }
  /**
   * Starts measuring; the returned function stops and reports. Our processes are sampled every second, so a
   * process that ends meanwhile (a PostgreSQL backend whose pool let its connection go) keeps the CPU it had.
   */
  start(): () => CpuUse {
    const t0 = Date.now();
    const busy0 = machineBusy();
    const ours0 = this.ours();
    for (const pid of ours0.keys()) this.label(pid);
    const last = new Map(ours0);
    const sample = () => { for (const [pid, ticks] of this.ours()) { last.set(pid, ticks); this.label(pid); } };
    const timer = setInterval(sample, 1000);
    timer.unref();
    return () => {
      clearInterval(timer);
      sample();
      const seconds = (Date.now() - t0) / 1000;
      const busy = (machineBusy() - busy0) / this.hz;
      const split: Record<string, number> = {};
      const cpuSeconds: Record<string, number> = {};
      let ours = 0;
      for (const [pid, ticks] of last) {
        const used = (ticks - (ours0.get(pid) ?? 0)) / this.hz;
        ours += used;
        const label = this.label(pid);
        cpuSeconds[label] = (cpuSeconds[label] ?? 0) + used;
      }
      for (const [k, v] of Object.entries(cpuSeconds)) split[k] = round(v / seconds);
      return { otherCores: round(Math.max(0, busy - ours) / seconds), oursCores: round(ours / seconds), split, seconds, cpuSeconds };
    };
  }
}

/** Adds the per-process cores of `b` to `a` (for averaging several rounds). */
function addSplit(a: Record<string, number>, b: Record<string, number>): void {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
}

// ---------------------------------------------------------------- 1. append

const PAYLOAD = {
  reference: 'LS-2026-000123', serviceCode: 'dangerous-structure', division: '513437100001',
  title: '路灯坏了', description: '锦城镇主街的路灯已经坏了三天，晚上很黑，老人和孩子出行不安全。'.repeat(3), address: '锦城镇主街 12 号',
  channel: 'app', reporter: { deviceId: randomUUID(), staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
  attributes: {}, mediaUrl: '', divisionDerivation: 'given',
};
const METADATA = { actor: { kind: 'citizen', id: randomUUID() }, channel: 'app', correlationId: randomUUID(), causationId: randomUUID(), service: 'intake', schemaVersion: 1, occurredAt: new Date().toISOString() };

const RAW_TABLE = `
  CREATE TABLE raw_events (
    global_position bigserial NOT NULL,
    transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream text NOT NULL, revision bigint NOT NULL CHECK (revision >= 0), id uuid NOT NULL, type text NOT NULL,
    data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL, prev_hash text NOT NULL, hash text NOT NULL,
    CONSTRAINT raw_events_pkey PRIMARY KEY (stream, revision), CONSTRAINT raw_events_id_key UNIQUE (id)
  );
  CREATE UNIQUE INDEX raw_events_global_order_idx ON raw_events (transaction_id, global_position);`;

const HASH = 'a'.repeat(64);

/** Runs `workers` loops of `op` for `ms` and returns operations per second. */
async function closedLoop(workers: number, ms: number, op: (worker: number, i: number) => Promise<void>): Promise<number> {
  const end = nowMs() + ms;
  let done = 0;
  const start = nowMs();
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; nowMs() < end; i += 1) { await op(w, i); done += 1; }
  }));
  return done / ((nowMs() - start) / 1000);
}

interface Figure { figure: string; value: number; baseline: number; unit: string; ratio: number; goal: string; otherCores: number }

async function benchAppend(url: string, cpu: CpuWatch): Promise<{ figures: Figure[]; detail: Record<string, unknown> }> {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  const store = await PostgresEventStore.create(pool);
  await pool.query(RAW_TABLE);
  const workers = 8;
  const roundMs = QUICK ? 1000 : 4000;
  const rounds = QUICK ? 2 : 4;
  let run = 0;
  const event = (): NewEvent => ({ id: randomUUID(), type: 'TicketSubmitted', data: PAYLOAD, metadata: METADATA });
  const figures: Figure[] = [];
  const insert = `INSERT INTO raw_events (stream, revision, id, type, data, metadata, recorded_at, prev_hash, hash)
    SELECT $1, r.revision, r.id, r.type, r.data, r.metadata, r.recorded_at, r.prev_hash, r.hash
    FROM jsonb_to_recordset($2::jsonb) AS r(revision bigint, id uuid, type text, data jsonb, metadata jsonb, recorded_at timestamptz, prev_hash text, hash text)`;
  /** Raw INSERTs of `size` rows per statement into streams of their own; `prepared`: as a named statement, as the store's append is. */
  const rawLoop = (size: number, prepared: boolean) => {
    const streams = new Map<number, number>();
    const prefix = `raw${prepared ? 'p' : ''}-${run}`;
    return closedLoop(workers, roundMs, async (w) => {
      const next = streams.get(w) ?? 0;
      streams.set(w, next + size);
      const rows = Array.from({ length: size }, (_, k) => ({ revision: next + k, ...event(), recorded_at: new Date().toISOString(), prev_hash: HASH, hash: HASH }));
      await pool.query({ text: insert, name: prepared ? 'raw_insert' : undefined, values: [`${prefix}-${w}`, JSON.stringify(rows)] });
    });
  };
  /** CPU per statement (µs): this process (the client: pg, and the store's canonical JSON and hashes) and PostgreSQL (backends, WAL writer, autovacuum). */
  const cpuPer: Record<string, { statements: number; node: number; postgres: number }> = {};
  /** Runs `loop` (statements per second), adding its statements and CPU to cpuPer[key]. */
  const measured = async (key: string, loop: () => Promise<number>): Promise<number> => {
    const stopLoop = cpu.start();
    const t0 = nowMs();
    const rate = await loop();
    const seconds = (nowMs() - t0) / 1000;
    const { split } = stopLoop();
    const use = (cpuPer[key] ??= { statements: 0, node: 0, postgres: 0 });
    use.statements += rate * seconds;
    use.node += (split['bench'] ?? 0) * seconds;
    use.postgres += Object.entries(split).filter(([label]) => label.startsWith('pg:')).reduce((sum, [, cores]) => sum + cores, 0) * seconds;
    return rate;
  };
  const detail: Record<string, unknown> = {};
  for (const size of [1, 10]) {
    let raw = 0;
    let rawUnprepared = 0;
    let ours = 0;
    const stop = cpu.start();
    for (let r = 0; r < rounds; r += 1) {
      run += 1;
      const streams = new Map<number, number>();
      const loops = [
        async () => { raw += await measured(`insert ${size}`, () => rawLoop(size, true)); },
        async () => { rawUnprepared += await rawLoop(size, false); },
        async () => {
          ours += await measured(`append ${size}`, () => closedLoop(workers, roundMs, async (w) => {
            const last = streams.get(w);
            const result = await store.append(`ticket-${run}-${w}`, Array.from({ length: size }, event), last === undefined ? 'no_stream' : last);
            streams.set(w, result.nextExpectedRevision);
          }));
        },
      ];
      // Each round in another order: a round pays for what the one before it left (autovacuum, dirty pages).
      for (let k = 0; k < loops.length; k += 1) await loops[(k + r) % loops.length]!();
    }
    const { otherCores } = stop();
    for (const key of [`append ${size}`, `insert ${size}`]) {
      const use = cpuPer[key]!;
      detail[`cpu ${key}`] = { nodeMicros: Math.round((use.node * 1e6) / use.statements), postgresMicros: Math.round((use.postgres * 1e6) / use.statements) };
    }
    log(`CPU per statement of ${size} event(s), µs (client, postgres): append ${JSON.stringify(detail[`cpu append ${size}`])}, prepared INSERT ${JSON.stringify(detail[`cpu insert ${size}`])}`);
    raw = (raw / rounds) * size;
    rawUnprepared = (rawUnprepared / rounds) * size;
    ours = (ours / rounds) * size;
    const figure = size === 1 ? 'append 1 event, exact revision' : 'append 10 events, exact revision';
    figures.push(
      { figure, value: Math.round(ours), baseline: Math.round(raw), unit: 'events/s', ratio: round(ours / raw), goal: '≥ 0.9', otherCores },
      { figure: `${figure} (vs unprepared INSERT)`, value: Math.round(ours), baseline: Math.round(rawUnprepared), unit: 'events/s', ratio: round(ours / rawUnprepared), goal: '', otherCores },
    );
  }
  await store.close();
  await pool.end();
  return { figures, detail };
}

// ---------------------------------------------------------------- 2. submit (closed loop, 32 connections)

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(base: URL, path: string, token: string | undefined, body: unknown): Promise<{ status: number; body: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: base.hostname, port: base.port, path, method: 'POST', agent,
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'idempotency-key': randomUUID(),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

let bodyCounter = 0;
function submission(): Record<string, unknown> {
  bodyCounter += 1;
  return { service_code: 'dangerous-structure', division: '513437100001', title: `基准测试 ${bodyCounter}`, description: `bench:path ticket ${bodyCounter}: 路灯坏了，晚上很黑。` };
}

interface Closed { rps: number; p50: number; p99: number; errors: number; ok: number }

async function submitLoop(base: URL, token: string | undefined, ms: number, connections: number): Promise<Closed> {
  const samples: number[] = [];
  let errors = 0;
  const rps = await closedLoop(connections, ms, async () => {
    const t = nowMs();
    try {
      const res = await post(base, '/api/v1/tickets', token, submission());
      if (res.status === 201) samples.push(nowMs() - t);
      else errors += 1;
    } catch {
      errors += 1;
    }
  });
  return { rps: rps * (samples.length / Math.max(1, samples.length + errors)), p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), errors, ok: samples.length };
}

async function benchSubmit(stackBase: URL, token: string, baselineBase: URL, cpu: CpuWatch): Promise<{ figures: Figure[]; detail: Record<string, unknown> }> {
  const ms = QUICK ? 3000 : 8000;
  const rounds = QUICK ? 1 : 2;
  await submitLoop(baselineBase, undefined, 1500, 32);
  await submitLoop(stackBase, token, 1500, 32);
  const base: Closed[] = [];
  const full: Closed[] = [];
  const stop = cpu.start();
  const stackSplit: Record<string, number> = {};
  const baselineSplit: Record<string, number> = {};
  for (let r = 0; r < rounds; r += 1) {
    const stopBase = cpu.start();
    base.push(await submitLoop(baselineBase, undefined, ms, 32));
    addSplit(baselineSplit, stopBase().split);
    const stopFull = cpu.start();
    full.push(await submitLoop(stackBase, token, ms, 32));
    addSplit(stackSplit, stopFull().split);
    await sleep(QUICK ? 2000 : 5000); // let the pipeline drain a little between rounds
  }
  const { otherCores } = stop();
  for (const split of [stackSplit, baselineSplit]) for (const k of Object.keys(split)) split[k] = round(split[k]! / rounds);
  log(`CPU (cores) during the stack's rounds: ${JSON.stringify(stackSplit)}`);
  log(`CPU (cores) during the baseline's rounds: ${JSON.stringify(baselineSplit)}`);
  const avg = (xs: Closed[], k: keyof Closed) => round(xs.reduce((a, x) => a + x[k], 0) / xs.length);
  return {
    figures: [
      { figure: 'submit, 32 connections', value: avg(full, 'rps'), baseline: avg(base, 'rps'), unit: 'req/s', ratio: round(avg(full, 'rps') / avg(base, 'rps')), goal: '≥ 0.5', otherCores },
      { figure: 'submit p50, 32 connections', value: avg(full, 'p50'), baseline: avg(base, 'p50'), unit: 'ms', ratio: round(avg(full, 'p50') / avg(base, 'p50')), goal: '', otherCores },
    ],
    detail: { stack: full, baseline: base, cpuStack: stackSplit, cpuBaseline: baselineSplit },
  };
}

// ---------------------------------------------------------------- 3. open loop

interface OpenLoop { rate: number; seconds: number; sent: number; ok: number; errors: number; statuses: Record<string, number>; httpP99: number; visibleP50: number; visibleP99: number; visibleP99First: number; visibleP99Last: number; notVisible: number; cpu?: Record<string, number> }

async function openLoop(base: URL, token: string, pool: pg.Pool, rate: number, seconds: number, drainMs: number): Promise<OpenLoop> {
  const total = Math.round(rate * seconds);
  const t0 = nowMs() + 200;
  const scheduled: number[] = [];
  const http99: number[] = [];
  const sentAt = new Map<string, number>(); // ticket id → scheduled instant
  const visible = new Map<string, number>(); // ticket id → latency ms
  let errors = 0;
  let ok = 0;
  const statuses: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  const send = async (at: number): Promise<void> => {
    try {
      const res = await post(base, '/api/v1/tickets', token, submission());
      http99.push(nowMs() - at);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 201) { ok += 1; sentAt.set((JSON.parse(res.body) as { id: string }).id, at); } else errors += 1;
    } catch {
      errors += 1;
      statuses['network'] = (statuses['network'] ?? 0) + 1;
      http99.push(nowMs() - at);
    }
  };
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const pending = [...sentAt.keys()].filter((id) => !visible.has(id));
      if (pending.length > 0) {
        const { rows } = await pool.query<{ ticket_id: string }>(
          "SELECT ticket_id::text AS ticket_id FROM ticket_views WHERE ticket_id = ANY($1::uuid[]) AND routed_unit_id <> ''", [pending],
        );
        const now = nowMs();
        for (const r of rows) visible.set(r.ticket_id, now - sentAt.get(r.ticket_id)!);
      }
      await sleep(20);
    }
  })();
  for (let i = 0; i < total; i += 1) {
    const at = t0 + (i * 1000) / rate;
    scheduled.push(at);
    const wait = at - nowMs();
    if (wait > 1) await sleep(wait - 1);
    while (nowMs() < at) { /* spin the last millisecond */ }
    const p = send(at).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const until = nowMs() + drainMs;
  while (nowMs() < until && visible.size < sentAt.size) await sleep(50);
  polling = false;
  await poller;
  // Tickets in schedule order: thirds show whether latency grows over the run.
  const order = [...sentAt.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => visible.get(id) ?? Number.POSITIVE_INFINITY);
  const third = Math.max(1, Math.floor(order.length / 3));
  const p99 = (xs: number[]) => (xs.length ? round(percentile(xs, 99)) : Number.NaN);
  return {
    rate, seconds, sent: total, ok, errors, statuses, httpP99: p99(http99),
    visibleP50: round(percentile(order, 50)), visibleP99: p99(order),
    visibleP99First: p99(order.slice(0, third)), visibleP99Last: p99(order.slice(-third)),
    notVisible: order.filter((x) => !Number.isFinite(x)).length,
  };
}

// ---------------------------------------------------------------- statements (BENCH_PATH_PG_STATS=1)

const PG_STATS = process.env['BENCH_PATH_PG_STATS'] === '1';

/**
 * pg_stat_statements of the stack's database through `db` (the bench's pool on it; the cluster restarted with
 * the library loaded first): returns `take(phase)`, which logs the statements since the last take — calls per TicketSubmitted
 * event, total ms, ms per call — and resets the counters.
 */
async function statementStats(db: pg.Pool): Promise<(phase: string) => Promise<Record<string, unknown>[]>> {
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  let tickets = 0;
  const count = async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE type = 'TicketSubmitted'").catch(() => ({ rows: [{ n: 0 }] }))).rows[0]!.n;
  await db.query('SELECT pg_stat_statements_reset()');
  return async (phase) => {
    const now = await count();
    const submitted = Math.max(1, now - tickets);
    tickets = now;
    const { rows } = await db.query<{ query: string; calls: string; total: number; rows: string }>(
      `SELECT left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110) AS query, s.calls, s.total_exec_time AS total, s.rows
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'tongban' ORDER BY s.total_exec_time DESC`,
    );
    await db.query('SELECT pg_stat_statements_reset()');
    const calls = rows.reduce((a, r) => a + Number(r.calls), 0);
    const total = rows.reduce((a, r) => a + r.total, 0);
    log(`${phase}: ${submitted} tickets, ${round(calls / submitted)} statements and ${round(total / submitted)} ms of execution per ticket; top:`);
    const top = rows.slice(0, 25).map((r) => ({ perTicket: round(Number(r.calls) / submitted), ms: round(r.total), msPerCall: round(r.total / Number(r.calls)), query: r.query }));
    for (const t of top) process.stderr.write(`  ${String(t.perTicket).padStart(6)} ×  ${String(t.ms).padStart(8)} ms  ${String(t.msPerCall).padStart(6)} ms/call  ${t.query}\n`);
    return top;
  };
}

// ---------------------------------------------------------------- the database's share of a ticket

/**
 * How long a window waits, after its load and the pipeline's drain, before its last snapshot: PostgreSQL 15
 * backends flush their statistics at most once a second while busy and 10 s after going idle
 * (PGSTAT_IDLE_INTERVAL), so a snapshot taken sooner misses the tail of the window.
 */
const STATS_SETTLE_MS = 11_500;

/** Tickets submitted and not yet visible in ticket_views with their routed unit (the pipeline's backlog). */
async function backlog(db: pg.Pool): Promise<number> {
  return (await db.query<{ n: number }>(
    "SELECT (SELECT count(*) FROM events WHERE type = 'TicketSubmitted')::int - (SELECT count(*) FROM ticket_views WHERE routed_unit_id <> '')::int AS n",
  )).rows[0]!.n;
}

/** Waits until the pipeline's backlog is empty, at most `maxMs`; returns what is left. */
async function drain(db: pg.Pool, maxMs: number): Promise<number> {
  const start = Date.now();
  let left = await backlog(db);
  while (left > 0 && Date.now() - start < maxMs) { await sleep(500); left = await backlog(db); }
  return left;
}

/**
 * Windows of the per-ticket database accounting (bench/db-share.ts). `db` is the bench's own pool on the stack's
 * database (two connections kept open, their backends labelled `pg:bench`); every transaction it runs — the
 * open loop's polls, the backlog checks, the snapshots — is counted and left out of the stack's commits.
 */
class Accounting {
  private benchTransactions = 0;
  /** The text of each `stmt:<database>:<queryid>` key. */
  private readonly texts = new Map<string, string>();
  constructor(
    readonly db: pg.Pool, private readonly cpu: CpuWatch,
    private readonly databases: readonly string[], private readonly statements: boolean,
  ) {
    db.on('acquire', () => { this.benchTransactions += 1; });
  }

  /** Opens the pool's connections and labels their backends (call once, before the first window). */
  async open(): Promise<void> {
    const clients = await Promise.all([this.db.connect(), this.db.connect()]);
    for (const c of clients) this.cpu.benchBackends.add((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    for (const c of clients) c.release();
  }

  /** The cluster's counters now (keys: bench/db-share.ts). */
  async snapshot(): Promise<Counters> {
    const out: Counters = { 'bench:tongban': this.benchTransactions };
    const { rows: [r] } = await this.db.query<{ wal: number; records: number; xid: number; dbs: Record<string, number>[]; tables: Record<string, number | string>[] | null }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::float8 AS wal, (SELECT wal_records FROM pg_stat_wal)::float8 AS records,
        pg_snapshot_xmax(pg_current_snapshot())::text::float8 AS xid,
        (SELECT json_agg(json_build_object('db', datname, 'commits', xact_commit, 'rollbacks', xact_rollback,
          'ins', tup_inserted, 'upd', tup_updated, 'del', tup_deleted)) FROM pg_stat_database WHERE datname = ANY($1)) AS dbs,
        (SELECT json_agg(json_build_object('name', CASE WHEN schemaname = 'public' THEN relname
            WHEN schemaname = 'pg_toast' THEN coalesce((SELECT o.relname FROM pg_class o WHERE o.reltoastrelid = t.relid), relname) || ' (TOAST)'
            ELSE schemaname || '.' || relname END,
          'ins', n_tup_ins, 'upd', n_tup_upd, 'hot', n_tup_hot_upd, 'del', n_tup_del))
          FROM pg_stat_all_tables t WHERE n_tup_ins + n_tup_upd + n_tup_del > 0) AS tables`,
      [this.databases],
    );
    Object.assign(out, { 'wal:bytes': r!.wal, 'wal:records': r!.records, xid: r!.xid });
    for (const d of r!.dbs) for (const f of ['commits', 'rollbacks', 'ins', 'upd', 'del']) out[`db:${String(d['db'])}:${f}`] = Number(d[f]);
    for (const t of r!.tables ?? []) for (const f of ['ins', 'upd', 'hot', 'del']) out[`table:tongban:${String(t['name'])}:${f}`] = Number(t[f]);
    if (this.statements) {
      const { rows } = await this.db.query<{ db: string; id: string; calls: string; query: string }>(
        `SELECT d.datname AS db, s.queryid::text AS id, s.calls::text AS calls, left(regexp_replace(regexp_replace(s.query, '\\s+', ' ', 'g'), '^SELECT (.{40}).*? FROM ', 'SELECT \\1 … FROM '), 200) AS query
         FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ANY($1)`,
        [this.databases],
      );
      for (const db of this.databases) out[`stmts:${db}`] = 0;
      for (const r of rows) {
        out[`stmts:${r.db}`]! += Number(r.calls);
        out[`stmt:${r.db}:${r.id}`] = (out[`stmt:${r.db}:${r.id}`] ?? 0) + Number(r.calls);
        this.texts.set(`stmt:${r.db}:${r.id}`, r.query);
      }
    }
    return out;
  }

  /** Statements per ticket of `db` in a window (pg_stat_statements; the idle background taken off at its rate), most frequent first. */
  statementsPerTicket(w: Window, idle: Window, db: string): { perTicket: number; query: string }[] {
    return Object.entries(w.delta).filter(([k]) => k.startsWith(`stmt:${db}:`))
      .map(([k, v]) => ({ perTicket: round((v - (idle.delta[k] ?? 0) * (w.seconds / idle.seconds)) / w.tickets), query: this.texts.get(k) ?? k }))
      .filter((x) => Math.abs(x.perTicket) >= 0.01).sort((a, b) => b.perTicket - a.perTicket);
  }

  /**
   * Runs `work` (returns the tickets it submitted) between two snapshots; the window ends once the pipeline
   * drained and the statistics settled ({@link STATS_SETTLE_MS}). The CPU per process label (`cpu:` keys of the
   * delta) is that of the work and the drain, not of the settling.
   */
  async window(work: () => Promise<number>): Promise<Window & { otherCores: number }> {
    const before = await this.snapshot();
    const t0 = Date.now();
    const stop = this.cpu.start();
    const tickets = await work();
    await drain(this.db, QUICK ? 30_000 : 90_000);
    const use = stop();
    await sleep(STATS_SETTLE_MS);
    const seconds = (Date.now() - t0) / 1000;
    const delta = difference(before, await this.snapshot());
    for (const [label, s] of Object.entries(use.cpuSeconds)) delta[`cpu:${label}`] = s;
    return { delta, seconds, tickets, otherCores: use.otherCores };
  }
}

/** The stack's own processes among the CPU labels: all but the load generator, the baseline and PostgreSQL. */
const stackProcess = (label: string) => label !== 'bench' && label !== 'baseline' && !label.startsWith('pg:');

/** The rows of the per-ticket table: one column per window. */
function shareTable(columns: Record<string, DbShare>): string {
  const rows: [string, (s: DbShare) => string | number][] = [
    ['tickets (rows) in the window', (s) => s.tickets],
    ['transactions committed', (s) => s.commits],
    ['  of which wrote (xid)', (s) => s.writeTransactions],
    ['rows inserted', (s) => s.inserted],
    ['rows updated', (s) => s.updated],
    ['rows deleted', (s) => s.deleted],
    ['WAL bytes', (s) => s.walBytes],
    ['WAL records', (s) => s.walRecords],
    ['statements', (s) => s.statements ?? 'n/a'],
    ['PostgreSQL CPU, ms', (s) => s.postgresCpuMs],
    ['CPU with its processes, ms', (s) => s.workloadCpuMs],
  ];
  return table(rows.map(([name, f]) => ({ 'per ticket': name, ...Object.fromEntries(Object.entries(columns).map(([col, s]) => [col, f(s)])) })));
}

/** Rows per ticket by table: `inserted / updated (HOT) / deleted` for each window of the stack. */
function tableShareTable(columns: Record<string, DbShare>): string {
  const names = [...new Set(Object.values(columns).flatMap((s) => Object.keys(s.tables)))].sort();
  const cell = (t: TableShare | undefined) => (t ? `${t.ins} / ${t.upd} (${t.hot}) / ${t.del}` : '');
  return table(names.map((name) => ({ table: name, ...Object.fromEntries(Object.entries(columns).map(([col, s]) => [col, cell(s.tables[name])])) })));
}

// ---------------------------------------------------------------- main

/** BENCH_PATH_ONLY: one measurement only (development), or undefined for all three. */
const ONLY = process.env['BENCH_PATH_ONLY'];
if (ONLY !== undefined && !['append', 'submit', 'openloop'].includes(ONLY)) throw new Error(`BENCH_PATH_ONLY must be append, submit or openloop, not ${ONLY}`);
const runs = (part: 'append' | 'submit' | 'openloop') => ONLY === undefined || ONLY === part;

async function main(): Promise<void> {
  const started = Date.now();
  log(`${QUICK ? 'quick' : 'full'} run; private PostgreSQL and nats-server`);
  const postgres = await startPrivatePostgres();
  const nats = await startNatsCluster(1);
  if (PG_STATS) {
    const setup = new pg.Client({ connectionString: postgres.url });
    await setup.connect();
    await setup.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
    await setup.end();
    await postgres.restart('fast');
  }
  const admin = new pg.Pool({ connectionString: postgres.url, max: 2 });
  const { rows: [backend] } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = processTimes().get(backend!.pid)?.ppid ?? 0;
  const cpu = new CpuWatch(new Set([process.pid, postmaster]));
  const dbUrl = (name: string) => { const u = new URL(postgres.url); u.pathname = `/${name}`; return u.toString(); };
  for (const name of ['appendbench', 'baseline', 'tongban']) await admin.query(`CREATE DATABASE ${name}`);
  // The bench's own connections to the stack's database: polls, backlog checks, snapshots (and pg_stat_statements).
  const benchDb = new pg.Pool({ connectionString: dbUrl('tongban'), max: 2, idleTimeoutMillis: 0 });
  benchDb.on('error', () => undefined); // the cluster stops before this process ends
  const accounting = new Accounting(benchDb, cpu, ['tongban', 'baseline'], PG_STATS);
  await accounting.open();
  const statements = PG_STATS ? await statementStats(benchDb) : undefined;
  const figures: Figure[] = [];
  const results: Record<string, unknown> = { quick: QUICK, startedAt: new Date(started).toISOString(), cores: (await import('node:os')).cpus().length };
  let baseline: ChildProcess | undefined;
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  try {
    if (runs('append')) {
      log('append: event store vs raw INSERT');
      const append = await benchAppend(dbUrl('appendbench'), cpu);
      figures.push(...append.figures);
      results['append'] = append.detail;
    }
    if (ONLY !== 'append') {
      log('starting the baseline and the stack');
      baseline = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'path-baseline.ts')], {
        env: { ...process.env, DATABASE_URL: dbUrl('baseline'), PORT: '0' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const baselinePort = await new Promise<number>((resolve, reject) => {
        baseline!.once('message', (m: { ready?: number }) => (m.ready ? resolve(m.ready) : reject(new Error('baseline did not start'))));
        baseline!.once('exit', (code) => reject(new Error(`baseline exited ${code}`)));
      });
      const ns = `bp${Date.now().toString(36)}`;
      stack = await startStack({
        randomPorts: true, readyTimeoutMs: 300_000,
        env: {
          DATABASE_URL: dbUrl('tongban'), NATS_URL: nats.url, TONGBAN_NAMESPACE: ns, TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`, TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
          LOG_LEVEL: 'warn', TONGBAN_RATE_LIMIT_PER_MINUTE: '0', TONGBAN_RATE_LIMIT_STAFF_PER_MINUTE: '0', TONGBAN_RATE_LIMIT_IP_PER_MINUTE: '0',
        },
        nodeArgs: (process.env['BENCH_PATH_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean),
        output: (name, line) => { if (/"level":(50|60)|Error/.test(line)) process.stderr.write(`[${name}] ${line.slice(0, 300)}\n`); },
      });
      const stackBase = new URL(stack.gatewayUrl);
      const device = JSON.parse((await post(stackBase, '/api/v1/devices', undefined, {})).body) as { token: string };

      if (runs('submit')) {
        log('submit: 32 connections, stack vs bare fastify + INSERT');
        const submit = await benchSubmit(stackBase, device.token, new URL(`http://127.0.0.1:${baselinePort}`), cpu);
        figures.push(...submit.figures);
        results['submit'] = submit.detail;
        if (statements) results['statementsSubmit'] = await statements('submit');
      } else {
        log('warm-up: 32 connections for 3 s');
        await submitLoop(stackBase, device.token, 3000, 32);
      }
      // The closed loop leaves a backlog: let the pipeline drain (and PostgreSQL's statistics settle) before the
      // database accounting's idle window, which measures what the stack does with no load (its pollers).
      const drainStart = Date.now();
      const left = await drain(benchDb, QUICK ? 30_000 : 90_000);
      results['drainSeconds'] = Math.round((Date.now() - drainStart) / 1000);
      log(`backlog after submit drained in ${String(results['drainSeconds'])} s (left: ${left})`);
      await sleep(STATS_SETTLE_MS);
      const idle = await accounting.window(() => Promise.resolve(0));
      const shares: Record<string, DbShare> = {};
      const windows: Record<string, Window> = {};
      const ofStack = (w: Window) => dbShare(w, ['tongban'], stackProcess, idle);
      if (runs('submit')) {
        // The closed loop's accounting: the baseline alone, then the stack alone (the measured rounds interleave
        // them, and the server-wide counters cannot tell them apart).
        const ms = QUICK ? 2000 : 8000;
        log(`database accounting: the baseline alone, then the stack alone, 32 connections for ${ms / 1000} s each`);
        const base = await accounting.window(async () => (await submitLoop(new URL(`http://127.0.0.1:${baselinePort}`), undefined, ms, 32)).ok);
        shares['baseline'] = dbShare(base, ['baseline'], (l) => l === 'baseline', idle);
        windows['baseline'] = base;
        const full = await accounting.window(async () => (await submitLoop(stackBase, device.token, ms, 32)).ok);
        shares['stack, closed loop'] = ofStack(full);
        windows['stack, closed loop'] = full;
        const [b, st] = [shares['baseline'], shares['stack, closed loop']];
        const rowsOf = (x: DbShare) => round(x.inserted + x.updated + x.deleted);
        for (const [figure, unit, f] of [
          ['per ticket: transactions committed', '', (x: DbShare) => x.commits],
          ['per ticket: rows written (ins+upd+del)', '', rowsOf],
          ['per ticket: WAL', 'bytes', (x: DbShare) => x.walBytes],
          ['per ticket: PostgreSQL CPU', 'ms', (x: DbShare) => x.postgresCpuMs],
          ['per ticket: CPU of it all', 'ms', (x: DbShare) => x.workloadCpuMs],
        ] as const) figures.push({ figure, value: f(st), baseline: f(b), unit, ratio: round(f(st) / f(b)), goal: '', otherCores: full.otherCores });
      }
      if (runs('openloop')) {
        const loops: OpenLoop[] = [];
        for (const rate of RATES) {
          const seconds = Number(process.env['BENCH_PATH_SECONDS'] ?? (QUICK ? 5 : rate >= 200 ? 60 : 30));
          log(`open loop: ${rate}/s for ${seconds} s`);
          let r: OpenLoop | undefined;
          let use: CpuUse | undefined;
          const w = await accounting.window(async () => {
            const stop = cpu.start();
            r = await openLoop(stackBase, device.token, benchDb, rate, seconds, QUICK ? 5000 : 10_000);
            use = stop();
            return r.ok;
          });
          const { otherCores, split } = use!;
          log(`CPU (cores) at ${rate}/s: ${JSON.stringify(split)}`);
          loops.push({ ...r!, cpu: split });
          if (r!.ok > 0) shares[`stack ${rate}/s`] = ofStack(w);
          windows[`stack ${rate}/s`] = w;
          figures.push({ figure: `open loop ${rate}/s: visible+routed p99`, value: r!.visibleP99, baseline: Number.NaN, unit: 'ms', ratio: Number.NaN, goal: rate === 200 ? '≤ 1000' : '', otherCores });
          figures.push({ figure: `open loop ${rate}/s: HTTP p99`, value: r!.httpP99, baseline: Number.NaN, unit: 'ms', ratio: Number.NaN, goal: rate === 200 ? '≤ 250' : '', otherCores });
          log(JSON.stringify(r));
          // (after the window's last snapshot: the take resets pg_stat_statements)
          if (statements) results[`statements${rate}`] = await statements(`open loop ${rate}/s`);
        }
        results['openLoop'] = loops;
      }
      results['dbShare'] = shares;
      if (PG_STATS) {
        const perStatement: Record<string, unknown> = {};
        for (const [name, w] of Object.entries(windows)) {
          const list = accounting.statementsPerTicket(w, idle, name === 'baseline' ? 'baseline' : 'tongban');
          perStatement[name] = list;
          log(`statements per ticket, ${name} (the bench's own included):\n${list.map((x) => `  ${String(x.perTicket).padStart(6)}  ${x.query}`).join('\n')}`);
        }
        results['dbShareStatements'] = perStatement;
      }
      // The windows' raw deltas (counters and CPU seconds that moved), for a second look at the figures.
      results['dbShareWindows'] = Object.fromEntries(Object.entries({ idle, ...windows }).map(([name, w]) => [name, {
        seconds: round(w.seconds), tickets: w.tickets, delta: Object.fromEntries(Object.entries(w.delta).filter(([, v]) => v !== 0).map(([k, v]) => [k, k.startsWith('cpu:') ? round(v) : v])),
      }]));
    }
  } finally {
    await stack?.stop().catch(() => undefined);
    baseline?.kill('SIGTERM');
    await admin.end();
    await benchDb.end().catch(() => undefined);
    await nats.dispose();
    await postgres.dispose();
  }
  results['figures'] = figures;
  results['seconds'] = Math.round((Date.now() - started) / 1000);
  const show = (x: number) => (Number.isFinite(x) ? String(x) : Number.isNaN(x) ? '' : 'not visible');
  process.stdout.write(`${table(figures.map((f) => ({
    figure: f.figure, value: show(f.value), baseline: show(f.baseline), unit: f.unit, ratio: show(f.ratio), goal: f.goal, 'other CPU (cores)': f.otherCores,
  })))}\n`);
  const shares = (results['dbShare'] as Record<string, DbShare> | undefined) ?? {};
  if (Object.keys(shares).length) {
    process.stdout.write(`\nThe database's share of a ticket (the baseline: of its one row). Each window runs until the pipeline drained and
PostgreSQL's statistics settled (${STATS_SETTLE_MS / 1000} s). Commits and rows: the workload's own database (read-only
transactions count, each statement outside BEGIN is one; the bench's polls and the idle stack's steady background —
heartbeats' SELECT 1, idle polls — left out); xid (transactions that wrote), WAL: the whole private cluster (only this
workload runs in a window; autovacuum and the 60 s audit-anchor round land in whichever window they fall in);
statements: pg_stat_statements (BENCH_PATH_PG_STATS=1, else n/a); CPU (load and drain): PostgreSQL's backends of that
database plus its background processes, and with the workload's own processes (the stack's nine and nats-server, or
the baseline).\n`);
    process.stdout.write(`${shareTable(shares)}\n`);
    const stackOnly = Object.fromEntries(Object.entries(shares).filter(([k]) => k !== 'baseline'));
    if (Object.keys(stackOnly).length) process.stdout.write(`\nRows per ticket by table of the stack (inserted / updated (HOT) / deleted):\n${tableShareTable(stackOnly)}\n`);
  }
  const open = (results['openLoop'] as OpenLoop[] | undefined) ?? [];
  if (open.length) {
    process.stdout.write(`\n${table(open.map((o) => ({
      rate: o.rate, s: o.seconds, sent: o.sent, ok: o.ok, errors: o.errors, 'http p99': show(o.httpP99), 'visible p50': show(o.visibleP50), 'visible p99': show(o.visibleP99),
      'p99 first third': show(o.visibleP99First), 'p99 last third': show(o.visibleP99Last), 'not visible': o.notVisible,
    })))}\n`);
  }
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `path-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
  log(`${String(results['seconds'])} s; written ${file}`);
}

void main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
