/**
 * The workload generator: N tickets over the real divisions, submitted over the `days` before `now`
 * (more by day than by night), each simulated through the decider (simulate.ts), written either in
 * bulk (default) or through TicketExecutor and the store adapter (`mode: 'executor'`, slow: one read
 * and one append per command, the production path), or only as the statistics rows the projection
 * would write for them (`mode: 'facts'`, no events; see facts-writer.ts).
 */
import { PostgresEventStore } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import type pg from 'pg';
import { writeTickets } from './bulk-writer';
import { writeFacts } from './facts-writer';
import { Prng } from './prng';
import { ExecutorRunner, InMemoryRunner, SimClock } from './runners';
import { simulateTicket } from './simulate';

/** Options of {@link generateWorkload}. */
export interface WorkloadOptions {
  tickets: number;
  /** PRNG seed (default 1): the same seed, stream, options and reference data give the same workload. */
  seed?: number;
  /**
   * PRNG stream of the seed (0–15, default 0; see Prng): workloads of one seed on different streams are
   * different tickets (e.g. generated side by side in workers).
   */
  stream?: number;
  /** End of simulated time (default: the current time). */
  now?: Date;
  /** Tickets are submitted over this many days before `now` (default 365). */
  days?: number;
  /** bulk (default), executor, or facts (only `ticket_stats` rows; `events` in the result is then 0). */
  mode?: 'bulk' | 'executor' | 'facts';
  /** Facts mode: the table shaped like `ticket_stats` the rows go to (default `ticket_stats`). */
  table?: string;
  /** Tickets per bulk transaction (default 2,000). */
  batch?: number;
  /** First reference number (default 1). */
  firstSeq?: number;
  onProgress?: (done: number, events: number) => void;
}

/** What was generated. */
export interface WorkloadResult {
  tickets: number;
  events: number;
  /** Commands the decider refused (e.g. an Open311 client may not rate). */
  refused: number;
  ms: number;
}

/**
 * Generates and writes the workload into the (migrated) event store of `pool`. Executor mode appends
 * through a PostgresEventStore whose recording clock is the simulated instant.
 */
export async function generateWorkload(pool: pg.Pool, ref: ReferenceData, options: WorkloadOptions): Promise<WorkloadResult> {
  const started = Date.now();
  const seed = options.seed ?? 1;
  const now = options.now ?? new Date();
  const days = options.days ?? 365;
  const batch = options.batch ?? 2000;
  const stream = options.stream ?? 0;
  const rng = new Prng(seed, stream);
  const clock = new SimClock();
  const bulk = options.mode !== 'executor';
  const factsOnly = options.mode === 'facts';
  const runner = bulk ? new InMemoryRunner(ref, seed, stream) : new ExecutorRunner({ store: new PostgresEventStore({ pool, clock }), ref, clock }, seed, stream);
  const ctx = { ref, runner, now };
  let events = 0;
  let done = 0;
  let pending: Promise<number> | undefined;
  const span = days * 86_400_000;
  for (let i = 0; i < options.tickets; i++) {
    // Submission instant: uniform day, more likely between 08:00 and 20:00 Asia/Shanghai.
    const day = Math.floor(rng.next() * days);
    const hour = rng.chance(0.85) ? rng.between(8, 20) : rng.between(0, 24);
    const dayStart = now.getTime() - span + day * 86_400_000;
    const shanghaiMidnight = dayStart - ((dayStart + 8 * 3_600_000) % 86_400_000);
    const submittedAt = Math.min(now.getTime() - 60_000, Math.max(now.getTime() - span, shanghaiMidnight + hour * 3_600_000));
    await simulateTicket(ctx, rng, (options.firstSeq ?? 1) + i, Math.floor(submittedAt));
    done += 1;
    if (bulk && (done % batch === 0 || i === options.tickets - 1)) {
      const tickets = (runner as InMemoryRunner).drain();
      // Overlap: simulate the next batch while this one is written.
      if (pending) events += await pending;
      pending = factsOnly ? writeFacts(pool, tickets, options.table).then(() => 0) : writeTickets(pool, tickets);
      options.onProgress?.(done, events);
    } else if (!bulk && done % 100 === 0) {
      options.onProgress?.(done, events);
    }
  }
  if (pending) events += await pending;
  if (!bulk) {
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM events WHERE stream LIKE 'ticket-%'");
    events = rows[0]?.n ?? 0;
  }
  return { tickets: done, events, refused: runner.refused, ms: Date.now() - started };
}
