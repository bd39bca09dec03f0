/**
 * A small, idempotent schema migrator shared by every component that owns PostgreSQL tables
 * (event store, relay checkpoints, read models). Safe when N replicas start together: all of it runs in
 * one transaction holding a transaction-level advisory lock.
 */
import type pg from 'pg';
import { withTransaction } from './transaction';

/** One forward-only schema change. Never edit an applied migration; add a new one. */
export interface Migration {
  /** Unique within its component and ordered by position in the list, e.g. `"001_events"`. */
  id: string;
  /** SQL run once, inside the migration transaction (may hold several statements). */
  sql: string;
}

/** Advisory lock key (two int4s) serializing all migrations on a database: "tongban", "migrate". */
const LOCK_CLASS = 0x746f6e67;
const LOCK_OBJECT = 0x6d696772;

/**
 * Applies the migrations of `component` that are not yet recorded in `schema_migrations`
 * (component, id, applied_at), in list order, in one transaction under an advisory lock.
 * A replica that starts concurrently waits for the lock, then finds them applied.
 * @returns the ids applied by this call ([] when up to date).
 * @throws the pg error of a failing migration (nothing of this call is applied then).
 */
export async function runMigrations(
  pool: pg.Pool,
  component: string,
  migrations: readonly Migration[],
): Promise<string[]> {
  return withTransaction(pool, async (db) => {
    const applied: string[] = [];
    await db.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_OBJECT]);
    await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component text NOT NULL,
      id text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (component, id)
    )`);
    const { rows } = await db.query<{ id: string }>('SELECT id FROM schema_migrations WHERE component = $1', [
      component,
    ]);
    const done = new Set(rows.map((row) => row.id));
    for (const migration of migrations) {
      if (done.has(migration.id)) continue;
      await db.query(migration.sql);
      await db.query('INSERT INTO schema_migrations (component, id) VALUES ($1, $2)', [component, migration.id]);
      applied.push(migration.id);
    }
    return applied;
  });
}
