import type { EventStore } from '@tongban/eventstore';
import type pg from 'pg';
import type { TimerSettings } from './schedule';
import { rescheduleTicket } from './scheduler';
import { ensureTimerTable } from './timer-store';

/** What a rebuild did. */
export interface RebuildReport {
  /** Ticket streams read. */
  tickets: number;
  /** Timer rows afterwards. */
  timers: number;
  /** Rows removed because their ticket has no stream. */
  orphansRemoved: number;
  /** Wall time, ms. */
  ms: number;
}

/**
 * Recreates the timer table from the event store: creates the table if it is missing, then recomputes
 * every ticket's timers from its stream (desiredTimers, the same plan the live consumer uses) and removes
 * rows of tickets that have no stream. Safe while the service runs (per-ticket advisory locks, idempotent),
 * so it can also repair a table that drifted. Ticket ids come from the PostgreSQL adapter's `streams`
 * table in key order, `pageSize` at a time.
 */
export async function rebuildTimers(
  pool: pg.Pool, store: EventStore, settings: TimerSettings,
  options: { concurrency?: number; pageSize?: number; onProgress?: (tickets: number) => void } = {},
): Promise<RebuildReport> {
  const started = Date.now();
  await ensureTimerTable(pool);
  const pageSize = options.pageSize ?? 1000;
  let after = '';
  let tickets = 0;
  for (;;) {
    const { rows } = await pool.query<{ stream: string }>(
      "SELECT stream FROM streams WHERE stream LIKE 'ticket-%' AND stream > $1 ORDER BY stream LIMIT $2", [after, pageSize],
    );
    if (!rows.length) break;
    const ids = rows.map((r) => r.stream.slice('ticket-'.length));
    const worker = async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) await rescheduleTicket(pool, store, id, settings);
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
    tickets += rows.length;
    after = rows[rows.length - 1]?.stream ?? after;
    options.onProgress?.(tickets);
  }
  const orphans = await pool.query(
    "DELETE FROM sla_timers t WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream = 'ticket-' || t.ticket_id::text)",
  );
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sla_timers');
  return { tickets, timers: rows[0]?.n ?? 0, orphansRemoved: orphans.rowCount ?? 0, ms: Date.now() - started };
}
