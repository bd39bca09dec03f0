import { HttpProblem } from './problem';
import type { JsonSchema } from './schemas';

/**
 * The Idempotency-Key header, one rule for every route that takes it (a new ticket — `POST /api/v1/tickets`
 * and Open311's POST requests — and the reporter's own commands): 1–256 printable ASCII characters (a UUID
 * is fine). Printable ASCII because Node reads other bytes of a header as Latin-1: a UTF-8 key would reach
 * intake silently altered (another key than the client's), so it is refused instead.
 */

/** Longest Idempotency-Key accepted, in characters (intake's client update ids are as long at most). */
const MAX_IDEMPOTENCY_KEY_LENGTH = 256;

/** Printable ASCII (U+0020–U+007E), at least one character. */
const IDEMPOTENCY_KEY_PATTERN = '^[ -~]+$';
const IDEMPOTENCY_KEY_RE = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/**
 * The JSON schema of the `idempotency-key` header property of a JSON route (fastify validates it: a bad key
 * answers 400 problem+json `validation_failed` naming `headers/idempotency-key`).
 * @param description what the key does on the route, for the OpenAPI document (the rule is prepended).
 */
export function idempotencyKeyHeader(description: string): JsonSchema {
  return {
    type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH, pattern: IDEMPOTENCY_KEY_PATTERN,
    description: `1–${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (a UUID is fine). ${description}`,
  };
}

/**
 * What is wrong with an Idempotency-Key read by a route without a header schema (Open311's form routes,
 * which answer an Open311 errors document): the same rule as {@link idempotencyKeyHeader}.
 * @returns one sentence per problem; empty when the key is acceptable or absent (`undefined`).
 */
export function idempotencyKeyProblems(key: string | undefined): string[] {
  if (key === undefined) return [];
  if (key.length === 0) return ['the Idempotency-Key header must not be empty'];
  const problems: string[] = [];
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) problems.push(`the Idempotency-Key header is ${key.length} characters long; at most ${MAX_IDEMPOTENCY_KEY_LENGTH} are allowed`);
  if (!IDEMPOTENCY_KEY_RE.test(key)) problems.push('the Idempotency-Key header must be printable ASCII characters only');
  return problems;
}

/**
 * Refuses an Idempotency-Key sent in more than one header line. Node joins repeated lines into one value
 * (`a, b`), which passes the key's rule as a key the client never sent: its retry with one of them would
 * write again. The header is one item (IETF Idempotency-Key draft), so which one was meant is unknown.
 * Runs on every POST (a gateway hook), before authentication; under /open311 the error handler answers it
 * as an Open311 errors document.
 * @param rawHeaders the request's header names and values as received (Node's `rawHeaders`).
 * @throws HttpProblem 400 validation_failed naming `headers/idempotency-key`.
 */
export function refuseRepeatedIdempotencyKey(rawHeaders: readonly string[]): void {
  let lines = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'idempotency-key') lines++;
  if (lines < 2) return;
  const message = `is given ${lines} times; give it once`;
  throw new HttpProblem(400, 'validation_failed', `the Idempotency-Key header ${message}`, { errors: [{ location: 'headers/idempotency-key', message }] });
}
