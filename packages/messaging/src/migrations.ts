/** All of the messaging package's tables in one call, for a service's start-up. */
import type pg from 'pg';
import { migrateRelay } from './checkpoint';
import { migrateProcessedEvents } from './processed';

/** Creates or upgrades `relay_checkpoints` and `processed_events` (idempotent, replica-safe). */
export async function migrateMessaging(pool: pg.Pool): Promise<void> {
  await migrateRelay(pool);
  await migrateProcessedEvents(pool);
}
