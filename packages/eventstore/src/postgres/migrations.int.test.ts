import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import { newTestEvent, newTicketStream } from '../testing/fixtures';
import { verifyChain } from '../hash';
import { systemClock } from '../clock';
import { PostgresEventStore } from './adapter';
import { migrateEventStore } from './migrations';
import { runMigrations } from './migrator';

describe('PostgreSQL schema', () => {
  let db: TestDatabase;
  const pools: pg.Pool[] = [];
  const newPool = (): pg.Pool => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await db.drop();
  });

  it('migrates once when N replicas start together, then is a no-op', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => migrateEventStore(newPool())));
    expect(results.filter((applied) => applied.length > 0)).toEqual([['001_events_and_streams', '002_append_function', '003_drop_append_function']]);
    expect(await migrateEventStore(newPool())).toEqual([]);
    const { rows } = await newPool().query<{ component: string; id: string }>('SELECT component, id FROM schema_migrations ORDER BY id');
    expect(rows).toEqual([
      { component: 'eventstore', id: '001_events_and_streams' },
      { component: 'eventstore', id: '002_append_function' },
      { component: 'eventstore', id: '003_drop_append_function' },
    ]);
    // 002's function is unused (the append is a prepared statement) and gone.
    const { rows: [fn] } = await newPool().query<{ f: string | null }>("SELECT to_regproc('eventstore_append')::text AS f");
    expect(fn!.f).toBeNull();
  });

  it('applies nothing of a batch whose migration fails', async () => {
    const pool = newPool();
    await expect(
      runMigrations(pool, 'broken', [
        { id: '001_ok', sql: 'CREATE TABLE broken_ok (x int)' },
        { id: '002_bad', sql: 'CREATE TABLE broken_bad (x no_such_type)' },
      ]),
    ).rejects.toThrow(/no_such_type/);
    const { rows } = await pool.query("SELECT 1 FROM schema_migrations WHERE component = 'broken'");
    expect(rows).toEqual([]);
    const { rows: tables } = await pool.query("SELECT to_regclass('broken_ok') AS t");
    expect(tables[0].t).toBeNull();
  });

  it('an auditor detects rows altered or deleted directly in the table', async () => {
    const pool = newPool();
    const store = await PostgresEventStore.create(pool, systemClock);
    const stream = newTicketStream();
    await store.append(stream, [newTestEvent(), newTestEvent(), newTestEvent(), newTestEvent()], 'no_stream');
    expect(verifyChain(await store.readStream(stream)).intact).toBe(true);

    await pool.query(`UPDATE events SET data = data || '{"n": 99}' WHERE stream = $1 AND revision = 1`, [stream]);
    expect(verifyChain(await store.readStream(stream))).toMatchObject({ intact: false, firstBadRevision: 1 });

    await pool.query(`UPDATE events SET data = '{}' WHERE stream = $1 AND revision = 1`, [stream]);
    await pool.query('DELETE FROM events WHERE stream = $1 AND revision = 2', [stream]);
    expect(verifyChain(await store.readStream(stream))).toMatchObject({ intact: false, firstBadRevision: 2 });
  });
});
