/**
 * Every component's database migrations, once, before the processes start (issue 12 item 7): the Helm
 * chart's pre-install/pre-upgrade Job runs `node dist/migrate.js` (this file compiled, scripts/build-dist.ts) with the
 * release's DATABASE_URL (`npm run migrate` locally). Each process still migrates its own tables at start
 * (idempotent: recorded in schema_migrations, serialised by an advisory lock), so a rollout whose Job
 * was skipped still works; the Job makes a schema change happen once, before any new pod serves.
 * Prints one line per component with the migrations it applied; a failure: one line naming DATABASE_URL
 * (password masked) and the cause, exit 1 (the Job retries).
 */
import { createPool, migrateEventStore, runMigrations } from '@tongban/eventstore';
import { migrateRelay } from '@tongban/messaging';
import { endQuietlyWhenStdoutCloses, loadSettings, maskValue, startFailure } from '@tongban/runtime';
import { DEADLINE_MIGRATIONS } from '../../deadline/src/migrations';
import { IDENTITY_MIGRATIONS } from '../../identity/src/migrations';
import { INTAKE_MIGRATIONS } from '../../intake/src/migrations';
import { NOTIFICATION_MIGRATIONS } from '../../notification/src/migrations';
import { QUERY_MIGRATIONS } from '../../query/src/migrations';

/** The components in the order their processes would migrate them (the event store first). */
export const COMPONENTS: readonly [string, (pool: ReturnType<typeof createPool>) => Promise<string[]>][] = [
  ['eventstore', migrateEventStore],
  ['relay', migrateRelay],
  ['identity', (pool) => runMigrations(pool, 'identity', IDENTITY_MIGRATIONS)],
  ['intake', (pool) => runMigrations(pool, 'intake', INTAKE_MIGRATIONS)],
  ['deadline', (pool) => runMigrations(pool, 'deadline', DEADLINE_MIGRATIONS)],
  ['notification', (pool) => runMigrations(pool, 'notification', NOTIFICATION_MIGRATIONS)],
  ['query', (pool) => runMigrations(pool, 'query', QUERY_MIGRATIONS)],
];

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  loadSettings('relay', env);
  const url = env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/tongban';
  const pool = createPool(url, { max: 1 });
  try {
    for (const [component, migrate] of COMPONENTS) {
      const applied = await migrate(pool);
      console.log(`${component}: ${applied.length > 0 ? applied.join(', ') : 'up to date'}`);
    }
    return 0;
  } catch (err) {
    console.error(`migrations failed: DATABASE_URL=${maskValue({ masking: 'url-password' }, url)}: ${startFailure(err)}`);
    return 1;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

if (require.main === module) {
  endQuietlyWhenStdoutCloses();
  main(process.env).then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(`migrations failed: ${startFailure(err)}`);
    process.exitCode = 1;
  });
}
