import type { Migration } from '@tongban/eventstore';
import { TIMER_TABLE_DDL } from './timer-store';

/**
 * Durable timers: one row per (ticket, leg, kind) that is due to fire. Claimed with
 * FOR UPDATE SKIP LOCKED so each fires once across replicas; the events they cause have deterministic
 * ids, so a retry after a crash cannot write twice. The DDL is idempotent (the rebuild command recreates
 * a lost table with it).
 */
export const DEADLINE_MIGRATIONS: readonly Migration[] = [
  { id: '001_sla_timers', sql: TIMER_TABLE_DDL },
];
