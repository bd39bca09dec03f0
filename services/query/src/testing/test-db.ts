/**
 * Test helper (not used by the service): a fresh database with the event store and the query
 * service's tables, for integration tests of the read side.
 */
import { runMigrations, PostgresEventStore } from '@tongban/eventstore';
import { createTestDatabase, waitFor } from '@tongban/testing';
import pg from 'pg';
import { QUERY_MIGRATIONS } from '../migrations';

/** A migrated test database with a pool and a store (the store's clock is settable). */
export interface QueryTestDb {
  url: string;
  pool: pg.Pool;
  store: PostgresEventStore;
  /** The store's recording clock: `now` is returned while set, real time otherwise. */
  clock: { now(): Date; set(instant: Date | undefined): void };
  dispose(): Promise<void>;
}

/** Creates the database (createTestDatabase: isolated, parallel-safe) and migrates it. */
export async function createQueryTestDb(): Promise<QueryTestDb> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  pool.on('error', () => undefined);
  let fixed: Date | undefined;
  const clock = { now: () => fixed ?? new Date(), set: (instant: Date | undefined) => { fixed = instant; } };
  const store = await PostgresEventStore.create(pool, clock);
  await runMigrations(pool, 'query', QUERY_MIGRATIONS);
  return {
    url: db.url, pool, store, clock,
    async dispose() {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
}

/**
 * Runs anchor rounds until `stream` is anchored at its last revision. The snapshot horizon is
 * cluster-wide, so a transaction running in another test's database can hold a round back for a while.
 */
export async function anchorUntilCovered(t: QueryTestDb, stream: string): Promise<void> {
  const { recordAnchors } = await import('../audit/anchors');
  await waitFor(async () => {
    await recordAnchors({ pool: t.pool, store: t.store, clock: t.clock });
    const { rows } = await t.pool.query(
      `SELECT 1 FROM audit_anchor_heads a JOIN streams s USING (stream) WHERE a.stream = $1 AND a.revision = s.last_revision`, [stream],
    );
    return rows.length > 0;
  }, { timeoutMs: 20_000, intervalMs: 50, description: `${stream} to be anchored` });
}
