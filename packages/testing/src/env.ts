/** Where the test servers are: the environment wins, otherwise the local development defaults. */

/** Default PostgreSQL server URL for tests (local, trust auth). */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Default NATS server URL for tests (local, JetStream enabled). */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** The PostgreSQL URL tests use: `DATABASE_URL` when set and non-empty, else {@link DEFAULT_DATABASE_URL}. */
export function databaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  return url !== undefined && url !== '' ? url : DEFAULT_DATABASE_URL;
}

/** The NATS URL tests use: `NATS_URL` when set and non-empty, else {@link DEFAULT_NATS_URL}. */
export function natsUrl(): string {
  const url = process.env['NATS_URL'];
  return url !== undefined && url !== '' ? url : DEFAULT_NATS_URL;
}
