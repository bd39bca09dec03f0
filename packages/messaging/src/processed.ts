/**
 * Exactly-once effects under at-least-once delivery: a consumer records (consumer, event id) in the
 * same transaction as the effect, and skips events it has recorded.
 */
import type pg from 'pg';
import { runMigrations, type Migration } from '@tongban/eventstore';

/** Migrations of `processed_events` (component `processed_events` in `schema_migrations`). */
export const processedEventsMigrations: readonly Migration[] = [
  {
    id: '001_processed_events',
    sql: `
      CREATE TABLE processed_events (
        consumer text NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      );
    `,
  },
];

/** Creates `processed_events` if missing (idempotent, replica-safe). Returns the ids applied. */
export function migrateProcessedEvents(pool: pg.Pool): Promise<string[]> {
  return runMigrations(pool, 'processed_events', processedEventsMigrations);
}

/**
 * Runs `fn` in a transaction that also records (consumerName, eventId) in `processed_events`; when the
 * pair is already recorded, skips `fn`. A concurrent call for the same pair waits for the first to
 * finish, then skips (first committed) or runs (first rolled back). If `fn` throws, nothing of it
 * and no record is kept, and the error is rethrown.
 * @param eventId a UUID (the event id).
 * @returns true when `fn` ran and committed; false when the event had already been processed.
 */
export async function withProcessedEvent(
  pool: pg.Pool,
  consumerName: string,
  eventId: string,
  fn: (client: pg.PoolClient) => Promise<void>,
): Promise<boolean> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const { rowCount } = await client.query(
        'INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [consumerName, eventId],
      );
      if (rowCount === 0) {
        await client.query('ROLLBACK');
        return false;
      }
      await fn(client);
      await client.query('COMMIT');
      return true;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}
