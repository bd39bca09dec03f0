import type { Migration } from '@tongban/eventstore';

/**
 * Intake's tables (append only: never edit an applied migration).
 * 001: idempotency keys of submissions and the per-year reference counter.
 * 002: Open311 API keys (hashed with a per-key salt, see api-keys.ts) and the retry window of Open311
 *      submissions (same client, device and body within the window → the same ticket, see open311-dedup.ts).
 */
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
  {
    id: '002_open311_api_keys_and_retries',
    sql: `
      CREATE TABLE intake_api_keys (
        key_id text PRIMARY KEY,
        client_name text NOT NULL,
        salt text NOT NULL,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX intake_api_keys_client ON intake_api_keys (client_name);
      CREATE TABLE intake_submission_retries (
        principal text NOT NULL,
        device_id text NOT NULL,
        request_hash text NOT NULL,
        ticket_id uuid NOT NULL,
        reference text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (principal, device_id, request_hash)
      );`,
  },
];
