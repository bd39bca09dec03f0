import type { Migration } from '@tongban/eventstore';

/**
 * Intake's tables (append only: never edit an applied migration).
 * 001: idempotency keys of submissions and the per-year reference counter.
 * 002: Open311 API keys (hashed with a per-key salt, see api-keys.ts) and the retry window of Open311
 *      submissions (same client, device and body within the window → the same ticket, see open311-dedup.ts).
 * 003: reference numbers from one PostgreSQL sequence per year (`intake_reference_<year>`, created on
 *      first use, continuing from the year's row of intake_reference_counters) instead of updating that
 *      one row per submission, which serialized every submission behind the row lock until commit
 *      (issue 13). See reference-number.ts.
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
  {
    id: '003_reference_sequences',
    sql: `
      CREATE OR REPLACE FUNCTION intake_next_reference(p_year int) RETURNS bigint
      LANGUAGE plpgsql AS $fn$
      DECLARE
        name text := 'intake_reference_' || p_year;
        seq regclass := to_regclass(name);
      BEGIN
        IF seq IS NULL THEN
          BEGIN
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', name,
              COALESCE((SELECT c.last_value FROM intake_reference_counters c WHERE c.year = p_year), 0) + 1);
          EXCEPTION WHEN duplicate_table OR unique_violation THEN
            NULL; -- created concurrently
          END;
          seq := to_regclass(name);
        END IF;
        RETURN nextval(seq);
      END
      $fn$;`,
  },
];
