/** The relay's position in the store's global order, persisted in PostgreSQL (`relay_checkpoints`). */
import type pg from 'pg';
import { runMigrations, type GlobalPosition, type Migration } from '@tongban/eventstore';

/** Migrations of `relay_checkpoints` (component `relay` in `schema_migrations`). */
export const relayMigrations: readonly Migration[] = [
  {
    id: '001_relay_checkpoints',
    sql: `
      CREATE TABLE relay_checkpoints (
        name text PRIMARY KEY,
        transaction_id numeric(20, 0) NOT NULL,
        position numeric(20, 0) NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/** Creates `relay_checkpoints` if missing (idempotent, replica-safe). Returns the ids applied. */
export function migrateRelay(pool: pg.Pool): Promise<string[]> {
  return runMigrations(pool, 'relay', relayMigrations);
}

/** The saved checkpoint of relay `name`, or null when it never saved one (start from the beginning). */
export async function loadCheckpoint(db: pg.Pool | pg.ClientBase, name: string): Promise<GlobalPosition | null> {
  const { rows } = await db.query<{ transaction_id: string; position: string }>(
    'SELECT transaction_id::text AS transaction_id, position::text AS position FROM relay_checkpoints WHERE name = $1',
    [name],
  );
  const row = rows[0];
  return row ? { transactionId: row.transaction_id, position: row.position } : null;
}

/**
 * Saves `position` as relay `name`'s checkpoint, only moving it forward in (transaction id, position)
 * order, so a stale relay can never rewind it.
 * @returns true when saved; false when the stored checkpoint was already at or past `position`.
 */
export async function saveCheckpoint(db: pg.Pool | pg.ClientBase, name: string, position: GlobalPosition): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO relay_checkpoints AS c (name, transaction_id, position) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id, position = excluded.position,
       updated_at = now()
     WHERE (c.transaction_id, c.position) < (excluded.transaction_id, excluded.position)`,
    [name, position.transactionId, position.position],
  );
  return rowCount === 1;
}
