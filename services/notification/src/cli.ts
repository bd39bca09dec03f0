/** Shared plumbing of the notification command-line tools (`npm run notify`, `npm run webhooks`). */
import { runMigrations } from '@tongban/eventstore';
import { endQuietlyWhenStdoutCloses } from '@tongban/runtime';
import pg from 'pg';
import { NOTIFICATION_MIGRATIONS } from './migrations';

/** Runs `work` with a one-connection pool on DATABASE_URL, migrated; ends the pool afterwards. */
export async function withNotificationPool<T>(work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/tongban', max: 1 });
  try {
    await runMigrations(pool, 'notification', NOTIFICATION_MIGRATIONS);
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/**
 * Runs a command's `main` with the process arguments: its result is the exit code; an error is printed, exit 1.
 * A reader of stdout closing early (`| head`) ends it quietly (endQuietlyWhenStdoutCloses).
 */
export function runCli(main: (argv: string[]) => Promise<number>): void {
  endQuietlyWhenStdoutCloses();
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
