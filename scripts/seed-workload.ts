/**
 * `npm run seed:workload -- --tickets N [--seed 1] [--days 365] [--now <ISO>] [--mode bulk|executor] [--no-rebuild]`
 *
 * Generates a realistic workload over the real Liangshan divisions (bench/workload): N tickets with a
 * spread of categories and channels, replies (some late, with the deadline service's warnings,
 * breaches and escalations), transfers and hand-backs, information requests, announced deadlines,
 * resolutions, reopenings, ratings and closes — every step through the ticket decider. Bulk mode (the
 * default) writes the events straight into the store's tables with the adapter's hash chain; executor
 * mode appends through TicketExecutor and the adapter (the production path; slow).
 * Then rebuilds the query read models (so statistics and the console show the tickets at once) unless
 * --no-rebuild. Uses DATABASE_URL (created and migrated when missing). Running services see the new
 * events through the relay like any other.
 */
import { parseArgs } from 'node:util';
import { PostgresEventStore, runMigrations } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { loadConfig } from '@tongban/runtime';
import pg from 'pg';
import { generateWorkload } from '../bench/workload/generate';
import { QUERY_MIGRATIONS } from '../services/query/src/migrations';
import { rebuildReadModels } from '../services/query/src/rebuild';
import { ensureDatabase } from './stack';

const USAGE = 'usage: npm run seed:workload -- --tickets <N> [--seed <n>] [--days <n>] [--now <ISO instant>] [--mode bulk|executor] [--no-rebuild]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tickets: { type: 'string' }, seed: { type: 'string', default: '1' }, days: { type: 'string', default: '365' },
      now: { type: 'string' }, mode: { type: 'string', default: 'bulk' }, 'no-rebuild': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const tickets = Number(values.tickets);
  if (values.help || !Number.isInteger(tickets) || tickets <= 0 || !['bulk', 'executor'].includes(values.mode)) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error(`--now: not an instant: ${values.now}`);
  const url = loadConfig().databaseUrl;
  await ensureDatabase(url);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    const store = await PostgresEventStore.create(pool);
    await runMigrations(pool, 'query', QUERY_MIGRATIONS);
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM streams WHERE stream LIKE 'ticket-%'");
    const firstSeq = (rows[0]?.n ?? 0) + 1;
    const started = Date.now();
    const result = await generateWorkload(pool, loadReferenceData(), {
      tickets, seed: Number(values.seed), days: Number(values.days), now, mode: values.mode as 'bulk' | 'executor', firstSeq,
      onProgress: (done, events) => {
        const s = (Date.now() - started) / 1000;
        process.stderr.write(`\r  ${done}/${tickets} tickets, ${events} events written, ${Math.round(done / s)} tickets/s   `);
      },
    });
    process.stderr.write('\n');
    console.log(`seeded ${result.tickets} tickets, ${result.events} events in ${(result.ms / 1000).toFixed(1)} s (${result.refused} commands refused by the decider)`);
    if (!values['no-rebuild']) {
      const rebuilt = await rebuildReadModels(pool, store, { onProgress: (p) => process.stderr.write(`\r  rebuilding read models: ${p.events} events   `) });
      process.stderr.write('\n');
      console.log(`read models rebuilt: ${rebuilt.tickets} tickets from ${rebuilt.events} events in ${(rebuilt.ms / 1000).toFixed(1)} s (${rebuilt.eventsPerSecond} events/s)`);
    }
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error('seed:workload failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
