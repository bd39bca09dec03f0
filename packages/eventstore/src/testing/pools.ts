/**
 * Shared set-up of the PostgreSQL adapter's integration tests (not exported from the package): a fresh
 * database per describe block, a guarded pool for the code under test and a one-connection admin pool
 * (to terminate backends and look behind the code's back), all closed and dropped after the block.
 */
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import pg from 'pg';
import { guardPool } from '../postgres/pool';

/** The pools of one describe block; read them inside tests (they exist from beforeAll on). */
export interface TestPools {
  readonly db: TestDatabase;
  /** The guarded pool (max 4 connections) the code under test uses. */
  readonly pool: pg.Pool;
  /** A plain pool of one connection for the test's own statements. */
  readonly admin: pg.Pool;
}

/** Registers beforeAll/afterAll that create the database and pools and close and drop them afterwards. */
export function usePostgresPools(): TestPools {
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  let admin: pg.Pool | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = guardPool(new pg.Pool({ connectionString: db.url, max: 4 }));
    admin = new pg.Pool({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await admin?.end();
    await db?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('usePostgresPools: read the pools inside a test, after beforeAll');
    return value;
  };
  return {
    get db() { return ready(db); },
    get pool() { return ready(pool); },
    get admin() { return ready(admin); },
  };
}
