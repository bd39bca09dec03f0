/** PostgreSQL pools that survive the server going away (restart, crash, terminated sessions). */
import pg from 'pg';

/**
 * Gives every client of `pool` an `error` listener for its whole life, and the pool one too.
 *
 * node-postgres emits `error` on a client whose connection breaks (`Connection terminated
 * unexpectedly`, 57P01 `terminating connection due to administrator command`). The pool listens only
 * while a client is idle; a client checked out for a transaction or held across awaits has no
 * listener, and Node.js then ends the process with `Unhandled 'error' event`. With this guard the
 * pending query fails instead (the caller sees the error and retries or answers UNAVAILABLE), the
 * broken client is not returned to the pool (pg-pool drops clients that are no longer queryable), and
 * the next checkout connects again.
 * @param onError told about every connection error (e.g. to log it once per client).
 * @returns the same pool.
 */
export function guardPool(pool: pg.Pool, onError: (err: Error) => void = () => undefined): pg.Pool {
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
  // Idle clients also report through the pool; the client listener above already told onError.
  pool.on('error', () => undefined);
  return pool;
}

/** Options of {@link createPool}. */
export interface CreatePoolOptions {
  /** Most connections (default 10). */
  max?: number;
  /** Longest wait for a connection, ms (default 5000; then the checkout fails with a transient error). */
  connectionTimeoutMs?: number;
  /** Told about connection errors (see {@link guardPool}). */
  onError?: (err: Error) => void;
}

/**
 * A guarded pool (see {@link guardPool}) on `connectionString` that waits at most
 * `connectionTimeoutMs` for a connection, so an outage or an exhausted pool fails fast and
 * transiently instead of hanging.
 */
export function createPool(connectionString: string, options: CreatePoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
  });
  return guardPool(pool, options.onError);
}
