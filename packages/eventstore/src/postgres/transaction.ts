/** One way to run a PostgreSQL transaction: BEGIN, the work, COMMIT — or ROLLBACK on any error. */
import type pg from 'pg';

/** How a transaction begins (PostgreSQL's default: READ COMMITTED, read-write). */
export interface TransactionOptions {
  /** Isolation level (default: the server's, READ COMMITTED). */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  /** READ ONLY (default false). */
  readOnly?: boolean;
}

/** Handed to the work: lets it end the transaction with ROLLBACK instead of COMMIT without an error. */
export interface TransactionControl {
  /** The transaction ends with ROLLBACK (e.g. the work found it had nothing to do); the work's result is still returned. */
  rollback(): void;
}

/** The work of a transaction, given the client it runs on. */
export type TransactionWork<T, C extends pg.ClientBase = pg.PoolClient> = (client: C, tx: TransactionControl) => Promise<T>;

function beginStatement(options: TransactionOptions): string {
  let sql = 'BEGIN';
  if (options.isolation) sql += ` ISOLATION LEVEL ${options.isolation.toUpperCase()}`;
  if (options.readOnly) sql += ' READ ONLY';
  return sql;
}

/**
 * Runs `fn` in a transaction on a client the caller already holds (and releases): BEGIN, `fn`, COMMIT;
 * on any error (including a failed COMMIT) ROLLBACK and rethrow the original error. A failed ROLLBACK
 * (a broken connection) is reported to `onRollbackFailure` (default: ignored) and does not hide the error.
 */
export async function inTransaction<T, C extends pg.ClientBase>(
  client: C,
  fn: TransactionWork<T, C>,
  options: TransactionOptions = {},
  onRollbackFailure: (err: Error) => void = () => undefined,
): Promise<T> {
  let rollbackOnly = false;
  await client.query(beginStatement(options));
  try {
    const result = await fn(client, { rollback: () => { rollbackOnly = true; } });
    await client.query(rollbackOnly ? 'ROLLBACK' : 'COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      onRollbackFailure(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError)));
    });
    throw error;
  }
}

/**
 * Checks a client out of `pool`, runs `fn` in a transaction on it ({@link inTransaction}) and always
 * releases the client. While the client is checked out it has an `error` listener of its own (as
 * {@link guardPool} gives every client of a guarded pool), so a connection lost mid-transaction (server
 * restart, terminated session) fails the pending query instead of ending the process; a client whose
 * connection broke or whose ROLLBACK failed is destroyed rather than returned to the pool.
 * @returns what `fn` returns.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: TransactionWork<T>, options: TransactionOptions = {}): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => { broken ??= err; };
  client.on('error', onError);
  try {
    return await inTransaction(client, fn, options, onError);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
