import type pg from 'pg';
import { withTransaction } from '@tongban/eventstore';
import type { Timer } from './schedule';

/**
 * The durable timer table, idempotent DDL (used by the migration and by the rebuild command, which
 * recreates the table when it was lost). One row per (ticket, leg, kind); `due_key` names what the timer
 * is for and makes the events it causes deterministic.
 */
export const TIMER_TABLE_DDL = `
  CREATE TABLE IF NOT EXISTS sla_timers (
    ticket_id uuid NOT NULL,
    leg text NOT NULL,
    kind text NOT NULL,
    due_at timestamptz NOT NULL,
    due_key text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    PRIMARY KEY (ticket_id, leg, kind)
  );
  CREATE INDEX IF NOT EXISTS sla_timers_due ON sla_timers (due_at);`;

/** Creates the timer table when it does not exist. */
export async function ensureTimerTable(db: pg.Pool | pg.PoolClient): Promise<void> {
  await db.query(TIMER_TABLE_DDL);
}

/** True when the timer table exists. */
export async function timerTableExists(db: pg.Pool | pg.PoolClient): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>("SELECT to_regclass('sla_timers')::text AS t");
  return rows[0]?.t != null;
}

/**
 * Makes the rows of tickets `ticketIds` exactly `timers` (each a timer of one of them) in one statement:
 * deletes their rows of other (ticket, leg, kind) and upserts the given ones, writing a row only when its
 * due time, key or attempts change (a new or changed timer starts at attempts 0, as a re-inserted row did).
 * The deletion and the upsert touch disjoint rows. Before issue 13 this was a DELETE of every row and an
 * INSERT of all of them again, per event: more round trips and every unchanged row rewritten (with its
 * index entries) for every event of the ticket.
 */
async function writeTimers(db: pg.PoolClient, ticketIds: readonly string[], timers: readonly Timer[]): Promise<void> {
  await db.query({
    name: 'deadline_timers_write_many',
    text: `WITH wanted AS (
       SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) AS w(ticket_id, leg, kind, due_at, due_key)
     ), gone AS (
       DELETE FROM sla_timers t WHERE t.ticket_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.ticket_id = t.ticket_id AND w.leg = t.leg AND w.kind = t.kind)
     )
     INSERT INTO sla_timers AS t (ticket_id, leg, kind, due_at, due_key) SELECT ticket_id, leg, kind, due_at, due_key FROM wanted
     ORDER BY ticket_id, leg, kind
     ON CONFLICT (ticket_id, leg, kind) DO UPDATE SET due_at = EXCLUDED.due_at, due_key = EXCLUDED.due_key, attempts = 0
       WHERE (t.due_at, t.due_key, t.attempts) IS DISTINCT FROM (EXCLUDED.due_at, EXCLUDED.due_key, 0)`,
    values: [
      ticketIds, timers.map((t) => t.ticketId), timers.map((t) => t.leg), timers.map((t) => t.kind), timers.map((t) => t.dueAt), timers.map((t) => t.dueKey),
    ],
  });
}

/**
 * Replaces a ticket's timers with those `compute` returns (see {@link replaceTimersOf}).
 */
export async function replaceTimers(pool: pg.Pool, ticketId: string, compute: () => Promise<Timer[]>): Promise<Timer[]> {
  return (await replaceTimersOf(pool, [ticketId], async () => new Map([[ticketId, await compute()]]))).get(ticketId) ?? [];
}

/**
 * Replaces the timers of tickets `ticketIds` with those `compute` returns for them (called once with the
 * distinct ids; a ticket it leaves out gets none), in one transaction serialised per ticket by advisory
 * locks (taken in ticket id order in one statement; `compute` runs under them so that it reads the latest
 * streams) and written in one statement (issue 13: a consumer's batch of events costs the same few round
 * trips whatever its size). A timer being fired (row-locked) makes this wait until the firing commits, so
 * a fired timer is never resurrected.
 * @returns each ticket's timers.
 * @throws Error when `compute` returns a timer of another ticket than the one it is listed for (nothing is written).
 */
export async function replaceTimersOf(
  pool: pg.Pool, ticketIds: readonly string[], compute: (ticketIds: readonly string[]) => Promise<ReadonlyMap<string, Timer[]>>,
): Promise<Map<string, Timer[]>> {
  const ids = [...new Set(ticketIds)].sort();
  return withTransaction(pool, async (db) => {
    // Named (prepared) statements, here and in writeTimers: parsed and planned once per connection (issue 13).
    await db.query({
      name: 'deadline_tickets_lock', text: 'SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest($1::text[]) AS k', values: [ids.map((id) => `sla:${id}`)],
    });
    const all = await compute(ids);
    const computed = new Map<string, Timer[]>();
    for (const id of ids) {
      const timers = all.get(id) ?? [];
      if (timers.some((t) => t.ticketId !== id)) throw new Error(`replaceTimers(${id}): a computed timer belongs to another ticket`);
      computed.set(id, timers);
    }
    await writeTimers(db, ids, [...computed.values()].flat());
    return computed;
  });
}

/** Options of {@link fireDueTimers}. */
export interface FireOptions {
  /** Tickets fired in parallel within a batch (a ticket's own timers fire in due order, one at a time). Default 8. */
  concurrency?: number;
  /** Called when a timer's fire fails (it is retried after a backoff). */
  onError?: (timer: Timer, err: unknown) => void;
}

interface TimerRow { ticket_id: string; leg: string; kind: string; due_at: Date; due_key: string; attempts: number }

const toTimer = (r: TimerRow): Timer => ({ ticketId: r.ticket_id, leg: r.leg as Timer['leg'], kind: r.kind as Timer['kind'], dueAt: r.due_at.toISOString(), dueKey: r.due_key });

/**
 * Claims up to `limit` timers due at or before `now` (row locks with SKIP LOCKED: replicas never take
 * the same row), fires them inside the claiming transaction — tickets in parallel, each ticket's timers
 * in due order — and deletes those that fired, in the same transaction. A timer whose fire fails stays,
 * pushed back by an exponential backoff (1 s … 60 s). A process killed mid-batch loses its locks with its
 * connection: the rows are claimed again and fire again, and the deterministic event ids make the second
 * fire write nothing new.
 * @returns the number of timers claimed (fired or pushed back).
 */
export async function fireDueTimers(pool: pg.Pool, now: Date, limit: number, fire: (t: Timer) => Promise<void>, options: FireOptions = {}): Promise<number> {
  // withTransaction keeps an error listener on the client: a connection lost mid-batch (server restart,
  // terminated session) fails the pending query instead of crashing the process, and the client is dropped.
  return withTransaction(pool, async (db) => {
    const { rows } = await db.query<TimerRow>(
      `SELECT ticket_id, leg, kind, due_at, due_key, attempts FROM sla_timers WHERE due_at <= $1
       ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    if (!rows.length) return 0;
    const byTicket = new Map<string, TimerRow[]>();
    for (const r of rows) byTicket.set(r.ticket_id, [...(byTicket.get(r.ticket_id) ?? []), r]);
    const fired: TimerRow[] = [];
    const failed: TimerRow[] = [];
    const groups = [...byTicket.values()];
    const worker = async () => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        for (const r of group) {
          try {
            await fire(toTimer(r));
            fired.push(r);
          } catch (err) {
            options.onError?.(toTimer(r), err);
            failed.push(r);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, groups.length)) }, worker));
    if (fired.length) {
      await db.query(
        `DELETE FROM sla_timers t USING unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS f(ticket_id, leg, kind, due_key)
         WHERE t.ticket_id = f.ticket_id AND t.leg = f.leg AND t.kind = f.kind AND t.due_key = f.due_key`,
        [fired.map((r) => r.ticket_id), fired.map((r) => r.leg), fired.map((r) => r.kind), fired.map((r) => r.due_key)],
      );
    }
    for (const r of failed) {
      const backoffMs = Math.min(60_000, 1000 * 2 ** r.attempts);
      await db.query(
        'UPDATE sla_timers SET attempts = attempts + 1, due_at = $5 WHERE ticket_id = $1 AND leg = $2 AND kind = $3 AND due_key = $4',
        [r.ticket_id, r.leg, r.kind, r.due_key, new Date(now.getTime() + backoffMs)],
      );
    }
    return rows.length;
  });
}

/** The earliest due time in the table (UTC), or undefined when it is empty. */
export async function nextDueAt(db: pg.Pool): Promise<Date | undefined> {
  const { rows } = await db.query<{ due_at: Date }>('SELECT due_at FROM sla_timers ORDER BY due_at LIMIT 1');
  return rows[0]?.due_at;
}

/** Every timer of a ticket (for tests and the rebuild report), in due order. */
export async function timersOf(db: pg.Pool, ticketId: string): Promise<Timer[]> {
  const { rows } = await db.query<TimerRow>('SELECT ticket_id, leg, kind, due_at, due_key, attempts FROM sla_timers WHERE ticket_id = $1 ORDER BY due_at, leg, kind', [ticketId]);
  return rows.map(toTimer);
}
