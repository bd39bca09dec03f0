/**
 * A whole platform for an Open311 test file: its own database (so that API keys can be issued with the
 * admin tool, `npm run apikey`) and one API key of a client application.
 */
import { createTestDatabase } from '@tongban/testing';
import pg from 'pg';
import { runApiKeyCommand } from '../../../services/intake/src/apikey-cli';
import { type TestStack, startTestStack } from '../../support/test-stack';

/** The stack, the key and how to stop both. */
export interface Open311Stack {
  stack: TestStack;
  apiKey: string;
  /** Stops the stack and drops the database. */
  stop(): Promise<void>;
}

/** Starts the stack (with `env`) on a new database and creates an API key for the application `app`. */
export async function startOpen311Stack(app: string, env: NodeJS.ProcessEnv = {}): Promise<Open311Stack> {
  const db = await createTestDatabase();
  const stack = await startTestStack({ DATABASE_URL: db.url, ...env });
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    const apiKey = await runApiKeyCommand(pool, ['create', '--name', app], () => undefined);
    return { stack, apiKey, stop: async () => { await stack.stop(); await db.drop(); } };
  } finally {
    await pool.end();
  }
}
