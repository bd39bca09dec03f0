/**
 * Who holds the event pipeline (issue 16 item 10): committed events that readers cannot see yet because
 * an older transaction that could still write here is running (see READ_HORIZON_SQL), and that
 * transaction's backend.
 */
import type pg from 'pg';
import { READ_HORIZON_SQL } from './read';

/** The transaction at the read horizon, from pg_stat_activity. */
export interface HorizonHolder {
  pid: number;
  /** Its database (null when the backend is not visible, e.g. a prepared transaction). */
  database: string | null;
  /** Seconds since its transaction started. */
  ageSeconds: number | null;
  /** Backend state (`idle in transaction`, `active`, …). */
  state: string | null;
  applicationName: string | null;
}

/** What {@link pipelineStall} finds. */
export interface PipelineHold {
  /** Committed events at or above the horizon (not yet readable). 0: nothing held. */
  waiting: number;
  /** Global position of the first of them (to tell a lasting hold from a moving one). */
  firstPosition: string | null;
  /** The backend whose transaction is the horizon, when visible. */
  holder: HorizonHolder | null;
}

/**
 * Counts committed events not yet readable and names the transaction holding them.
 * @throws the pg error (e.g. while PostgreSQL is away).
 */
export async function pipelineStall(db: pg.Pool | pg.ClientBase): Promise<PipelineHold> {
  const { rows } = await db.query<{
    waiting: number; first_position: string | null; pid: number | null; datname: string | null; age: number | null; state: string | null; application_name: string | null;
  }>(
    `WITH h AS (SELECT ${READ_HORIZON_SQL} AS horizon),
          w AS (SELECT count(*)::int AS waiting, min(e.global_position)::text AS first_position FROM events e, h WHERE e.transaction_id >= h.horizon)
     SELECT w.waiting, w.first_position, a.pid, a.datname, extract(epoch FROM now() - a.xact_start)::float8 AS age, a.state, a.application_name
     FROM w CROSS JOIN h LEFT JOIN pg_stat_activity a ON w.waiting > 0 AND a.backend_xid = h.horizon::xid`,
  );
  const r = rows[0]!;
  return {
    waiting: r.waiting,
    firstPosition: r.first_position,
    holder: r.pid === null ? null : { pid: r.pid, database: r.datname, ageSeconds: r.age === null ? null : Math.round(r.age), state: r.state, applicationName: r.application_name },
  };
}
