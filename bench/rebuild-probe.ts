/**
 * `npx tsx bench/rebuild-probe.ts <database> [rounds] [modes]` (not part of npm test; run it under the bench
 * lock): on a database kept by `npm run bench -- --tickets N --only rebuild --keep`, runs `rounds` rounds of
 * `modes` in one process (default `read,rebuild,verify`: the plain read of bench/run.ts, the rebuild, every
 * ticket chain verified as bench/run.ts does; also the plain read's parts, `read-text`, `read-copy`,
 * `read-server`, see readParts) and prints for each its wall time, events/s, the ratio to the
 * round's plain read and the CPU seconds per 100k events of this process and of the
 * database's backends (sampled every 100 ms from their process titles, so connections opened and closed
 * within a run and parallel workers count too). Alternating in one process is what compares on a busy machine.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PostgresEventStore } from '@tongban/eventstore';
import pg from 'pg';
import { copyOut } from '../services/query/src/audit/copy-out';
import { rebuildReadModels } from '../services/query/src/rebuild';
import { nowMs, plainRead, verifyEveryTicket } from './lib';

const ticks = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
};

async function main(): Promise<void> {
  const [db, roundsArg, only] = process.argv.slice(2);
  const rounds = Number(roundsArg ?? 3);
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:5432/${db}`, max: 6, idleTimeoutMillis: 0 });
  const store = await PostgresEventStore.create(pool);
  // Backends of this database (their process title names it) and their parallel workers, sampled every
  // 100 ms so that connections opened and closed within a measurement (the COPY connections) are counted too.
  const seen = new Map<number, number>();
  const sample = () => {
    const leaders = new Set<number>();
    const workers: [number, number][] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let title: string;
      try { title = readFileSync(`/proc/${name}/cmdline`, 'utf8'); } catch { continue; }
      if (!title.startsWith('postgres: ')) continue;
      const pid = Number(name);
      if (title.includes(` ${db} `)) { leaders.add(pid); seen.set(pid, Math.max(seen.get(pid) ?? 0, ticks(pid))); }
      const w = /parallel worker for PID (\d+)/.exec(title);
      if (w) workers.push([pid, Number(w[1])]);
    }
    for (const [pid, leader] of workers) if (leaders.has(leader)) seen.set(pid, Math.max(seen.get(pid) ?? 0, ticks(pid)));
  };
  const sampler = setInterval(sample, 100);
  const serverTicks = async () => {
    sample();
    let sum = 0;
    for (const [, t] of seen) sum += t;
    return sum;
  };
  const measure = async (label: string, fn: () => Promise<number>) => {
    const s0 = await serverTicks();
    const c0 = process.cpuUsage();
    const t0 = nowMs();
    const events = await fn();
    const ms = nowMs() - t0;
    const c = process.cpuUsage(c0);
    const s1 = await serverTicks();
    const clientS = (c.user + c.system) / 1e6;
    const serverS = (s1 - s0) / 100;
    const per = 100_000 / events;
    console.log(`${label.padEnd(8)} ${events} events ${(ms / 1000).toFixed(2)} s ${Math.round(events / (ms / 1000))} ev/s  cpu/100k: client ${(clientS * per).toFixed(2)} s, server ${(serverS * per).toFixed(2)} s, total ${((clientS + serverS) * per).toFixed(2)} s  load ${loadavg()[0]!.toFixed(1)}`);
    return events / (ms / 1000);
  };
  const runs: Record<string, () => Promise<number>> = {
    read: () => plainRead(pool),
    rebuild: async () => (await rebuildReadModels(pool, store)).events,
    verify: async () => (await verifyEveryTicket(pool)).events,
    ...readParts(pool),
  };
  const modes = (only ?? 'read,rebuild,verify').split(',');
  const unknown = modes.filter((m) => !runs[m]);
  if (unknown.length) throw new Error(`unknown mode ${unknown.join(', ')} (modes: ${Object.keys(runs).join(', ')})`);
  for (let i = 0; i < rounds; i++) {
    let r = 0;
    for (const m of modes) {
      const rate = await measure(m, runs[m]!);
      if (m === 'read') r = rate;
      else if (r) console.log(`   ratio ${m} ${(rate / r).toFixed(2)}`);
    }
  }
  clearInterval(sampler);
  await pool.end();
}

/** The rows of the plain read: every ticket event, in stream order (`plainRead`'s query without its paging). */
const TICKET_EVENTS = "FROM events e WHERE e.stream > 'ticket-' AND e.stream < 'ticket.'";

/**
 * The plain read taken apart, each returning the events it read: `read-text` — the same pages with data and
 * metadata as text (pg's row decoding without JSON.parse); `read-copy` — the same columns in one
 * `COPY … TO STDOUT (FORMAT binary)`, nothing decoded (the protocol's and the server's part); `read-server`
 * — the server computes the same rows' text and sends one number (its part alone: the index scan and jsonb's output).
 */
function readParts(pool: pg.Pool): Record<string, () => Promise<number>> {
  return {
    'read-text': async () => {
      let n = 0;
      for (let after = { stream: 'ticket-', revision: '-1' }; ;) {
        const { rows } = await pool.query<{ stream: string; revision: string }>(
          `SELECT e.stream, e.revision::text AS revision, e.data::text, e.metadata::text, e.hash ${TICKET_EVENTS}
           AND (e.stream, e.revision) > ($1, $2) ORDER BY e.stream, e.revision LIMIT 20000`, [after.stream, after.revision],
        );
        if (rows.length === 0) return n;
        n += rows.length;
        after = rows[rows.length - 1]!;
      }
    },
    'read-copy': async () => {
      const client = await pool.connect();
      let messages = 0;
      try {
        await copyOut(client, `COPY (SELECT e.stream, e.revision, e.data, e.metadata, e.hash ${TICKET_EVENTS} ORDER BY e.stream, e.revision) TO STDOUT (FORMAT binary)`, () => { messages += 1; });
      } finally {
        client.release();
      }
      return messages - 2; // one CopyData message a row, besides the header's and the trailer's
    },
    'read-server': async () => {
      const { rows } = await pool.query<{ n: number; bytes: string }>(
        `SELECT count(*)::int AS n, sum(length(e.data::text) + length(e.metadata::text) + length(e.hash))::text AS bytes ${TICKET_EVENTS}`,
      );
      return rows[0]!.n;
    },
  };
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
