import type pg from 'pg';
import type { Timer } from './schedule';

/**
 * Replaces a ticket's timers with `timers` in one transaction, serialised per ticket by an advisory
 * lock. `compute` runs under the lock so that it reads the latest stream.
 */
export async function replaceTimers(pool: pg.Pool, ticketId: string, compute: () => Promise<Timer[]>): Promise<Timer[]> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sla:${ticketId}`]);
    const timers = await compute();
    await db.query('DELETE FROM sla_timers WHERE ticket_id = $1', [ticketId]);
    for (const t of timers) {
      await db.query('INSERT INTO sla_timers (ticket_id, leg, kind, due_at, due_key) VALUES ($1,$2,$3,$4,$5)', [t.ticketId, t.leg, t.kind, t.dueAt, t.dueKey]);
    }
    await db.query('COMMIT');
    return timers;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    db.release();
  }
}

/**
 * Claims up to `limit` timers due at or before `now` (row locks, SKIP LOCKED: replicas never take the
 * same row), runs `fire` for each inside the claiming transaction and deletes those that fired. A timer
 * whose fire fails is pushed back by a backoff and retried later.
 * @returns the number of timers that fired.
 */
export async function fireDueTimers(pool: pg.Pool, now: Date, limit: number, fire: (t: Timer) => Promise<void>): Promise<number> {
  const db = await pool.connect();
  let fired = 0;
  try {
    await db.query('BEGIN');
    const { rows } = await db.query<{ ticket_id: string; leg: string; kind: string; due_at: Date; due_key: string; attempts: number }>(
      `SELECT ticket_id, leg, kind, due_at, due_key, attempts FROM sla_timers WHERE due_at <= $1
       ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    for (const r of rows) {
      const timer: Timer = { ticketId: r.ticket_id, leg: r.leg as Timer['leg'], kind: r.kind as Timer['kind'], dueAt: r.due_at.toISOString(), dueKey: r.due_key };
      try {
        await fire(timer);
        await db.query('DELETE FROM sla_timers WHERE ticket_id = $1 AND leg = $2 AND kind = $3 AND due_key = $4', [r.ticket_id, r.leg, r.kind, r.due_key]);
        fired++;
      } catch {
        const backoffMs = Math.min(60_000, 1000 * 2 ** r.attempts);
        await db.query(
          'UPDATE sla_timers SET attempts = attempts + 1, due_at = $5 WHERE ticket_id = $1 AND leg = $2 AND kind = $3 AND due_key = $4',
          [r.ticket_id, r.leg, r.kind, r.due_key, new Date(now.getTime() + backoffMs)],
        );
      }
    }
    await db.query('COMMIT');
    return fired;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    db.release();
  }
}
