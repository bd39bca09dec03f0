/**
 * The event store's schema, as migrations (see migrator.ts).
 *
 * - `events`: one row per event. `transaction_id` is the appending transaction's xid8; readers of
 *   the global order only see rows whose transaction is older than every running one and order by
 *   `(transaction_id, global_position)` (see DESIGN.md: a bigserial-only cursor skips late commits).
 * - `streams`: one row per stream holding its head (last revision and hash). Appends lock it
 *   (`SELECT … FOR UPDATE`) so appends to one stream are serialized and the chain stays linear.
 */
import type pg from 'pg';
import { runMigrations, type Migration } from './migrator';

/** Component name of the event store in `schema_migrations`. */
export const EVENTSTORE_COMPONENT = 'eventstore';

/** The event store's migrations, in order. */
export const eventStoreMigrations: readonly Migration[] = [
  {
    id: '001_events_and_streams',
    sql: `
      CREATE TABLE streams (
        stream text PRIMARY KEY,
        last_revision bigint NOT NULL CHECK (last_revision >= -1),
        last_hash text NOT NULL
      );
      CREATE TABLE events (
        global_position bigserial NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream text NOT NULL,
        revision bigint NOT NULL CHECK (revision >= 0),
        id uuid NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        CONSTRAINT events_pkey PRIMARY KEY (stream, revision),
        CONSTRAINT events_id_key UNIQUE (id)
      );
      CREATE UNIQUE INDEX events_global_order_idx ON events (transaction_id, global_position);
    `,
  },
];

/**
 * Creates or upgrades the event store schema on the database of `pool` (idempotent, replica-safe).
 * @returns the migration ids applied by this call.
 */
export function migrateEventStore(pool: pg.Pool): Promise<string[]> {
  return runMigrations(pool, EVENTSTORE_COMPONENT, eventStoreMigrations);
}
