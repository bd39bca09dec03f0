/** Small helpers of the benchmarks: timing, percentiles, formatting, process CPU. */
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';
import { CandidatePager, verifyStreams } from '../services/query/src/audit/evidence';

/** Milliseconds since an arbitrary origin (monotonic, sub-millisecond). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `fn` and returns its result with the elapsed milliseconds. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const start = nowMs();
  const value = await fn();
  return { value, ms: nowMs() - start };
}

/** The p-th percentile (0–100, nearest rank) of samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Summary of latency samples, ms. */
export interface Latency {
  runs: number;
  p50: number;
  p95: number;
  max: number;
}

/** Summarises latency samples. */
export function latency(samples: readonly number[]): Latency {
  return { runs: samples.length, p50: round(percentile(samples, 50)), p95: round(percentile(samples, 95)), max: round(Math.max(...samples)) };
}

/** Rounds to 2 decimals. */
export function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Formats a table of rows (objects with the same keys) as aligned text. */
export function table(rows: readonly Record<string, string | number>[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const width = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(width[i]!)).join('  ');
  return [line(keys), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}

/**
 * Whether two statistics answers (services/query/src/stats/definitions.ts) are the same: equal
 * structure, strings and booleans, numbers equal to 1e-9 relative (SQL and the in-memory table add
 * up floating-point ratings and hours in different orders).
 */
export function sameStats(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameStats((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

/** CPU jiffies (user + system, 1/100 s) and parent pid of every process, from /proc/<pid>/stat (Linux). */
export function processTimes(): Map<number, { ppid: number; ticks: number }> {
  const out = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch { /* ended */ }
  }
  return out;
}

/**
 * The baseline of rebuild and verification: reads every ticket event (stream, revision, data, metadata,
 * hash) in stream order, pages of 20,000 rows by keyset, and does nothing with them.
 * @returns the number of events read.
 */
export async function plainRead(pool: pg.Pool): Promise<number> {
  let n = 0;
  for (let after = { stream: 'ticket-', revision: -1 }; ;) {
    const { rows } = await pool.query<{ stream: string; revision: string }>(
      `SELECT e.stream, e.revision::text AS revision, e.data, e.metadata, e.hash FROM events e
       WHERE (e.stream, e.revision) > ($1, $2) AND e.stream < 'ticket.' ORDER BY e.stream, e.revision LIMIT 20000`,
      [after.stream, after.revision],
    );
    if (rows.length === 0) return n;
    n += rows.length;
    const last = rows[rows.length - 1]!;
    after = { stream: last.stream, revision: Number(last.revision) };
  }
}

/**
 * Verifies every ticket chain as `tongban-audit verify --all` does (pages of 500 candidate streams).
 * @returns the events checked and the streams found broken.
 */
export async function verifyEveryTicket(pool: pg.Pool): Promise<{ events: number; broken: number }> {
  let events = 0;
  let broken = 0;
  const pages = new CandidatePager(pool, { limit: 500 }); // as the CLI pages
  for (let after: string | undefined; ;) {
    const page = await pages.page(after);
    for (const v of await verifyStreams(pool, page.streams)) { events += v.checkedEvents; if (!v.intact) broken += 1; }
    if (!page.next) return { events, broken };
    after = page.next;
  }
}
