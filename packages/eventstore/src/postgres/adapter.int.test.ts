import pg from 'pg';
import { createTestDatabase } from '@tongban/testing';
import { describeEventStoreConformance } from '../testing/conformance';
import { PostgresEventStore } from './adapter';

describeEventStoreConformance('PostgreSQL', async (clock) => {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 10 });
  const store = await PostgresEventStore.create(pool, clock);
  return {
    store,
    async dispose() {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
});
