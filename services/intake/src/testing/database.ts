/**
 * Shared set-up of intake's integration tests against a real PostgreSQL (not part of the service): a
 * fresh database with the event store and intake's migrations, a TicketExecutor over it and the reporter key store, created in
 * beforeAll and closed and dropped in afterAll.
 */
import type { Clock } from '@tongban/domain';
import { PostgresEventStore, runMigrations } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { ReporterKeyStore, TicketExecutor } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase } from '@tongban/testing';
import pg from 'pg';
import { INTAKE_MIGRATIONS } from '../migrations';

/** What a test file's database offers; read it inside tests (it exists from beforeAll on). */
export interface IntakeTestDatabase {
  readonly pool: pg.Pool;
  readonly store: PostgresEventStore;
  readonly executor: TicketExecutor;
  /** The reporters' data keys (the generated installation key of this database). */
  readonly reporters: ReporterKeyStore;
}

/**
 * Registers beforeAll/afterAll for one test file. `max` is the pool's connection count (the concurrency
 * tests want more than one submission in flight); `clock` stamps the events.
 */
export function useIntakeDatabase(options: { ref: ReferenceData; clock: Clock; max: number }): IntakeTestDatabase {
  const { ref, clock, max } = options;
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let ready: IntakeTestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max });
    const store = await PostgresEventStore.create(pool, clock);
    await runMigrations(pool, 'intake', INTAKE_MIGRATIONS);
    ready = { pool, store, executor: new TicketExecutor({ store, ref, clock, service: 'test' }), reporters: await ReporterKeyStore.open(pool, {}) };
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  const get = (): IntakeTestDatabase => {
    if (ready === undefined) throw new Error('useIntakeDatabase: read the database inside a test, after beforeAll');
    return ready;
  };
  return {
    get pool() { return get().pool; },
    get store() { return get().store; },
    get executor() { return get().executor; },
    get reporters() { return get().reporters; },
  };
}
