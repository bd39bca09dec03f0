/**
 * `npm run identity:rebuild`: re-projects the staff directory (`identity_staff`) from the `staff-<id>`
 * streams of the event store at DATABASE_URL, repairing rows a crash left missing or behind (see
 * StaffRepository.rebuildAll); safe while identity runs. Prints what it did; exit 1 on failure.
 */
import { PostgresEventStore, createPool, runMigrations } from '@tongban/eventstore';
import { loadConfig } from '@tongban/runtime';
import { IDENTITY_MIGRATIONS } from './migrations';
import { StaffRepository } from './staff-store';

async function main(): Promise<void> {
  const pool = createPool(loadConfig().databaseUrl, { max: 2 });
  try {
    const store = await PostgresEventStore.create(pool);
    await runMigrations(pool, 'identity', IDENTITY_MIGRATIONS);
    const started = Date.now();
    const { accounts, repaired } = await new StaffRepository(store, pool).rebuildAll();
    console.log(`identity:rebuild: ${accounts} staff accounts in the event store, ${repaired} directory rows written (missing or behind), ${Date.now() - started} ms`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error('identity:rebuild failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
