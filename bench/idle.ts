/**
 * `npm run bench:idle` (issue 13; not part of npm test): the CPU the whole stack burns while nothing happens.
 * On a private PostgreSQL cluster and a private nats-server, starts the stack (every process, as `npm start`),
 * submits a few tickets (so every consumer and timer has work behind it), lets it settle, then measures the CPU of
 * each process over BENCH_IDLE_SECONDS (default 60): each stack process, the PostgreSQL backends of each
 * (attributed through their client port), the postmaster's other processes and nats-server. Prints cores (CPU
 * seconds per second) per process and the total, and the PostgreSQL statements run meanwhile (calls per second per
 * statement, from pg_stat_statements) — the polling a quiet stack does.
 * Environment: BENCH_IDLE_SECONDS — the measured window, s; BENCH_IDLE_SETTLE — s to wait before it (default 15).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { startNatsCluster, startPrivatePostgres } from '@tongban/testing';
import pg from 'pg';
import { startStack } from '../scripts/stack';
import { processTimes, round, table } from './lib';

const SECONDS = Number(process.env['BENCH_IDLE_SECONDS'] ?? 60);
const SETTLE = Number(process.env['BENCH_IDLE_SETTLE'] ?? 15);
const HZ = 100;
const log = (m: string) => process.stderr.write(`[bench:idle ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Socket inode → local TCP port, from /proc/net/tcp and tcp6. */
function socketPorts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      out.set(f[9]!, parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return out;
}

/** Local TCP ports held by a process. */
function portsOf(pid: number, inodes: Map<string, number>): number[] {
  const ports: number[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        const port = m ? inodes.get(m[1]!) : undefined;
        if (port !== undefined) ports.push(port);
      } catch { /* closed */ }
    }
  } catch { /* ended */ }
  return ports;
}

/** Name of a stack process from its command line (`intake`, `gateway` …), undefined for others. */
function stackName(pid: number): string | undefined {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return /services\/([a-z]+)\/src\/main\.ts/.exec(cmd)?.[1];
  } catch { return undefined; }
}

async function main(): Promise<void> {
  const postgres = await startPrivatePostgres();
  const nats = await startNatsCluster(1);
  const setup = new pg.Client({ connectionString: postgres.url });
  await setup.connect();
  await setup.query("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
  await setup.end();
  await postgres.restart('fast');
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query('CREATE DATABASE tongban');
  const dbUrl = new URL(postgres.url);
  dbUrl.pathname = '/tongban';
  const db = new pg.Client({ connectionString: dbUrl.toString() });
  await db.connect();
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const { rows: [me] } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmaster = processTimes().get(me!.pid)!.ppid;
  const ns = `bi${Date.now().toString(36)}`;
  const stack = await startStack({
    randomPorts: true, readyTimeoutMs: 300_000,
    env: {
      DATABASE_URL: dbUrl.toString(), NATS_URL: nats.url, TONGBAN_NAMESPACE: ns, TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`, TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
      LOG_LEVEL: 'warn',
    },
    nodeArgs: (process.env['BENCH_IDLE_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean),
    output: (name, line) => { if (/"level":(50|60)|Error/.test(line)) process.stderr.write(`[${name}] ${line.slice(0, 300)}\n`); },
  });
  try {
    const base = new URL(stack.gatewayUrl);
    const device = await (await fetch(new URL('/api/v1/devices', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json() as { token: string };
    for (let i = 0; i < 5; i += 1) {
      const res = await fetch(new URL('/api/v1/tickets', base), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${device.token}`, 'idempotency-key': crypto.randomUUID() },
        body: JSON.stringify({ service_code: 'dangerous-structure', division: '513437100001', title: `空闲测量 ${i}`, description: `bench:idle ticket ${i}: 路灯坏了，晚上很黑。` }),
      });
      if (res.status >= 300) log(`submission ${i}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    }
    log(`stack ready; settling ${SETTLE} s`);
    await sleep(SETTLE * 1000);
    await db.query('SELECT pg_stat_statements_reset()');
    const t0 = processTimes();
    const started = Date.now();
    await sleep(SECONDS * 1000);
    const t1 = processTimes();
    const seconds = (Date.now() - started) / 1000;
    // Label: stack processes by name; PostgreSQL backends by the stack process holding their client port.
    const labels = new Map<number, string>();
    const inodes = socketPorts();
    const portOwner = new Map<number, string>();
    for (const pid of t1.keys()) {
      const name = stackName(pid);
      if (!name) continue;
      labels.set(pid, name);
      for (const port of portsOf(pid, inodes)) portOwner.set(port, name);
    }
    const { rows: backends } = await admin.query<{ pid: number; client_port: number | null; backend_type: string }>(
      'SELECT pid, client_port, backend_type FROM pg_stat_activity',
    );
    for (const b of backends) {
      const owner = b.client_port === null ? undefined : portOwner.get(b.client_port);
      labels.set(b.pid, owner ? `pg:${owner}` : b.pid === me!.pid ? 'pg:bench' : `pg:${b.backend_type}`);
    }
    for (const [pid, t] of t1) {
      if (labels.has(pid)) continue;
      if (t.ppid === postmaster) labels.set(pid, 'pg:ended/other');
      else if (pid === postmaster) labels.set(pid, 'pg:postmaster');
      else {
        try { if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server')) labels.set(pid, 'nats-server'); } catch { /* ended */ }
      }
    }
    const split = new Map<string, number>();
    for (const [pid, label] of labels) {
      const used = ((t1.get(pid)?.ticks ?? 0) - (t0.get(pid)?.ticks ?? 0)) / HZ;
      split.set(label, (split.get(label) ?? 0) + used / seconds);
    }
    const rows = [...split].sort((a, b) => b[1] - a[1]).map(([process, cores]) => ({ process, 'cores (ms/s)': round(cores * 1000) }));
    rows.push({ process: 'total', 'cores (ms/s)': round([...split.values()].reduce((a, b) => a + b, 0) * 1000) });
    process.stdout.write(`idle CPU over ${round(seconds)} s (load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}):\n${table(rows)}\n`);
    const { rows: statements } = await db.query<{ query: string; calls: string; total: number }>(
      `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query, calls, total_exec_time AS total FROM pg_stat_statements ORDER BY calls DESC LIMIT 25`,
    );
    process.stdout.write(`\nstatements (per s):\n${table(statements.map((s) => ({ perSecond: round(Number(s.calls) / seconds), ms: round(s.total), query: s.query })))}\n`);
  } finally {
    await stack.stop().catch(() => undefined);
    await db.end();
    await admin.end();
    await nats.dispose();
    await postgres.dispose();
  }
}

void main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
