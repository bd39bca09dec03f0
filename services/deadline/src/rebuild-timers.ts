/**
 * `npm run deadline:rebuild-timers`: recreates the deadline service's timer table (sla_timers) from the
 * event store — after the table was lost, or to repair it. Reads DATABASE_URL, TONGBAN_REESCALATE_HOURS and
 * TONGBAN_AUTO_CLOSE_DAYS like the service; prints a JSON report. Safe while the service runs.
 */
import { PostgresEventStore } from '@tongban/eventstore';
import { loadConfig, systemClock } from '@tongban/runtime';
import pg from 'pg';
import { rebuildTimers } from './rebuild';
import { deadlineSettings } from './settings';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = deadlineSettings(process.env, config.autoCloseDays);
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 8 });
  try {
    const store = await PostgresEventStore.create(pool, systemClock);
    const report = await rebuildTimers(pool, store, settings, {
      concurrency: 6, onProgress: (n) => { if (n % 10_000 === 0) process.stderr.write(`${n} tickets\n`); },
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error('rebuild failed:', err);
  process.exit(1);
});
