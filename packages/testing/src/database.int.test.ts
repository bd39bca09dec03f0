import pg from 'pg';
import { createTestDatabase } from './database';

describe('createTestDatabase', () => {
  it('creates an empty database of its own and drops it even while connected', async () => {
    const db = await createTestDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
      expect(rows[0]?.name).toBe(db.name);
      await client.query('CREATE TABLE t (x int)');
    } finally {
      client.on('error', () => undefined); // the forced drop terminates this session
      await db.drop({ graceMs: 0 });
      await client.end().catch(() => undefined);
    }
    await db.drop(); // idempotent
    const other = await createTestDatabase();
    try {
      expect(other.name).not.toBe(db.name);
      const admin = new pg.Client({ connectionString: other.url });
      await admin.connect();
      const { rows } = await admin.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM pg_database WHERE datname = $1',
        [db.name],
      );
      await admin.end();
      expect(rows[0]?.n).toBe('0');
    } finally {
      await other.drop();
    }
  });
});
