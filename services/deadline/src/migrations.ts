import type { Migration } from '@tongban/eventstore';

/**
 * Durable timers: one row per (ticket, leg, kind) that is due to fire. Claimed with
 * FOR UPDATE SKIP LOCKED so each fires once across replicas; the events they cause have deterministic
 * ids, so a retry after a crash cannot write twice.
 */
export const DEADLINE_MIGRATIONS: readonly Migration[] = [
  {
    id: '001_sla_timers',
    sql: `
      CREATE TABLE sla_timers (
        ticket_id uuid NOT NULL,
        leg text NOT NULL,
        kind text NOT NULL,
        due_at timestamptz NOT NULL,
        due_key text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        PRIMARY KEY (ticket_id, leg, kind)
      );
      CREATE INDEX sla_timers_due ON sla_timers (due_at);`,
  },
];
