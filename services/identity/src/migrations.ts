import type { Migration } from '@tongban/eventstore';

/**
 * Identity's tables (append only: never edit an applied migration).
 * 001: the installation key — the secret the token signing key is derived from when TONGBAN_JWT_SECRET is
 *      unset, generated on the first start and kept (one row), so tokens survive restarts.
 * 002: the staff directory's tables: the accounts as projected from their `staff-<id>` streams (state JSON,
 *      revision-guarded), password hashes (Argon2id, never in an event), refresh tokens (hashed; families for
 *      reuse detection), throttling counters, and the bounded sign-in log.
 * 003: how a refresh-token family signed in (`password` | `oidc`): a pending one-time password restricts
 *      password sessions only (single sign-on never used it).
 */
export const IDENTITY_MIGRATIONS: readonly Migration[] = [
  {
    id: '001_identity_installation_key',
    sql: `
      CREATE TABLE identity_installation_key (
        id int PRIMARY KEY CHECK (id = 1),
        secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );`,
  },
  {
    id: '002_identity_staff_directory',
    sql: `
      CREATE TABLE identity_staff (
        staff_id uuid PRIMARY KEY,
        username text NOT NULL UNIQUE,
        division text NOT NULL,
        revision int NOT NULL,
        state jsonb NOT NULL
      );
      CREATE TABLE identity_passwords (
        staff_id uuid PRIMARY KEY,
        hash text NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE TABLE identity_refresh_tokens (
        token_hash text PRIMARY KEY,
        family_id uuid NOT NULL,
        staff_id uuid NOT NULL,
        role_id text NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        spent_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX identity_refresh_tokens_family ON identity_refresh_tokens (family_id);
      CREATE INDEX identity_refresh_tokens_staff ON identity_refresh_tokens (staff_id);
      CREATE TABLE identity_throttle (
        key text PRIMARY KEY,
        failures int NOT NULL,
        last_failure_at timestamptz NOT NULL,
        locked_until timestamptz
      );
      CREATE TABLE identity_sign_ins (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        username text NOT NULL,
        staff_id uuid,
        client_ip text NOT NULL,
        user_agent text NOT NULL,
        method text NOT NULL,
        outcome text NOT NULL
      );
      CREATE INDEX identity_sign_ins_staff ON identity_sign_ins (staff_id, at DESC);
      CREATE INDEX identity_sign_ins_at ON identity_sign_ins (at);`,
  },
  {
    id: '003_identity_refresh_token_method',
    sql: `ALTER TABLE identity_refresh_tokens ADD COLUMN method text NOT NULL DEFAULT 'password';`,
  },
  {
    // The paged sign-in log (GET /api/v1/staff/{id}/sign-ins) walks a person's entries by id.
    id: '004_identity_sign_ins_staff_id',
    sql: `CREATE INDEX identity_sign_ins_staff_id ON identity_sign_ins (staff_id, id DESC);`,
  },
];
