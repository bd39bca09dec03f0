/**
 * `npm run query:rebuild`: recreates the query service's read models (ticket_views, ticket_stats,
 * audit_anchor_heads) from the event store at DATABASE_URL while the service keeps running (see
 * rebuild.ts), and prints what it did. Exit 1 on failure.
 */
import { parseArgs } from 'node:util';
import { PostgresEventStore, runMigrations } from '@tongban/eventstore';
import { loadConfig } from '@tongban/runtime';
import pg from 'pg';
import { QUERY_MIGRATIONS } from './migrations';
import { rebuildReadModels } from './rebuild';

async function main(): Promise<void> {
  parseArgs({ options: {} }); // no options: an unknown one (e.g. the removed --workers) fails
  const pool = new pg.Pool({ connectionString: loadConfig().databaseUrl, max: 4 });
  try {
    const store = await PostgresEventStore.create(pool);
    await runMigrations(pool, 'query', QUERY_MIGRATIONS);
    const started = Date.now();
    const result = await rebuildReadModels(pool, store, {
      onProgress: (p) => {
        const s = (Date.now() - started) / 1000;
        process.stderr.write(`\r  ${p.events} events, ${p.tickets} tickets, ${Math.round(p.events / Math.max(s, 0.001))} events/s   `);
      },
    });
    process.stderr.write('\n');
    console.log(`rebuilt ${result.tickets} tickets from ${result.events} events in ${(result.ms / 1000).toFixed(1)} s ` +
      `(${result.eventsPerSecond} events/s); ${result.caughtUp} events caught up after the swap; ${result.anchors} anchors indexed`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error('query:rebuild failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
