import type { Migration } from '@tongban/eventstore';

/** Intake's tables: idempotency keys of submissions and the per-year reference counter. */
export const INTAKE_MIGRATIONS: readonly Migration[] = [
  {
    id: '001_intake',
    sql: `
      CREATE TABLE intake_idempotency (
        principal text NOT NULL,
        idempotency_key text NOT NULL,
        request_hash text NOT NULL,
        ticket_id uuid NOT NULL,
        reference text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (principal, idempotency_key)
      );
      CREATE TABLE intake_reference_counters (
        year int PRIMARY KEY,
        last_value bigint NOT NULL
      );`,
  },
];
