/**
 * Transient versus deterministic failures. A transient failure is a dependency that is briefly not
 * there (PostgreSQL restarting or unreachable, a dropped connection, a timeout, NATS reconnecting):
 * the same work succeeds later without any change, so it is retried — never dead-lettered and never
 * answered as a bug (gRPC UNAVAILABLE, HTTP 503). Every other failure is deterministic.
 */

/** A failure the thrower knows to be transient (e.g. a webhook receiver that is down). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  readonly code = 'transient';
  readonly transient = true;
}

/**
 * SQLSTATEs of transient PostgreSQL conditions: class 08 (connection exception), 57P01–57P03
 * (admin/crash shutdown, cannot connect now), 53300 (too many connections), 40001/40P01
 * (serialization failure, deadlock: retrying is the documented remedy), 55P03 (lock not available).
 * Source: PostgreSQL 15 documentation, Appendix A "PostgreSQL Error Codes".
 */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01', '55P03']);

/** Node.js socket errors of a peer that is not there (yet). */
const TRANSIENT_SYSCALL_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** Error names of nats.js failures that end when the connection is back. */
const TRANSIENT_ERROR_NAMES = new Set(['TimeoutError', 'ClosedConnectionError', 'DrainingConnectionError', 'ConnectionError', 'NoResponders', 'TransientError']);

/** Messages of node-postgres (pg, pg-pool) for lost or unobtainable connections. */
const TRANSIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Query read timeout/,
  /^canceling statement due to statement timeout/,
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/,
];

/** gRPC status codes UNAVAILABLE (14) and DEADLINE_EXCEEDED (4), for calls between services. */
const TRANSIENT_GRPC_CODES = new Set([4, 14]);

/**
 * True when `err` (or, recursively, its `cause`, or every one of an AggregateError's `errors`) is a
 * transient failure: an error with `transient === true`, a PostgreSQL SQLSTATE of class 08 or in
 * {@link TRANSIENT_SQLSTATES}, a socket error (ECONNREFUSED, ECONNRESET, …), a nats.js timeout or
 * closed/draining connection, node-postgres' "Connection terminated …" family, or a gRPC
 * UNAVAILABLE/DEADLINE_EXCEEDED. Anything else (including non-errors) is deterministic.
 */
export function isTransientError(err: unknown, depth = 0): boolean {
  if (depth > 8 || typeof err !== 'object' || err === null) return false;
  const e = err as { transient?: unknown; code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown; metadata?: unknown };
  if (e.transient === true) return true;
  if (typeof e.code === 'string') {
    if (/^08[0-9A-Z]{3}$/.test(e.code) || TRANSIENT_SQLSTATES.has(e.code) || TRANSIENT_SYSCALL_CODES.has(e.code)) return true;
  }
  if (typeof e.code === 'number' && e.metadata !== undefined && TRANSIENT_GRPC_CODES.has(e.code)) return true;
  if (typeof e.name === 'string' && TRANSIENT_ERROR_NAMES.has(e.name)) return true;
  if (typeof e.message === 'string' && TRANSIENT_MESSAGES.some((pattern) => pattern.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isTransientError(inner, depth + 1))) return true;
  return e.cause !== undefined && e.cause !== err && isTransientError(e.cause, depth + 1);
}
