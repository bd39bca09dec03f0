import pg from 'pg';
import { databaseUrl } from './env';
import { uniqueName } from './names';

/** A throwaway database created by {@link createTestDatabase}. */
export interface TestDatabase {
  /** Connection URL of the new database (same server and credentials as the base URL). */
  url: string;
  /** The database name. */
  name: string;
  /**
   * Drops the database. Waits up to `graceMs` (default 1000 ms) for sessions to disconnect (pools
   * close their clients asynchronously), then terminates any still there. Safe to call twice.
   */
  drop(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Creates a new, empty, uniquely named database on the server of `baseUrl` (default: {@link databaseUrl}),
 * so that test files can run in parallel without seeing each other's rows.
 * The base URL's database is used only for the administrative connection.
 * @throws the pg error when the server is unreachable or the role may not create databases.
 */
export async function createTestDatabase(baseUrl: string = databaseUrl()): Promise<TestDatabase> {
  const name = uniqueName('tongban_test');
  await runAdmin(baseUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop(options = {}) {
      if (dropped) return;
      dropped = true;
      await runAdmin(baseUrl, async (client) => {
        const deadline = Date.now() + (options.graceMs ?? 1000);
        while (Date.now() < deadline) {
          const { rows } = await client.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if ((rows[0]?.n ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

async function runAdmin(baseUrl: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
