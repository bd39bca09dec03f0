/** Argument checks shared by every adapter, so that they all reject the same malformed calls. */
import { validate as isUuid } from 'uuid';
import { InvalidAppendError, type ExpectedRevision, type NewEvent } from './port';

/**
 * What an event type may look like: letters, digits, `_` and `-` (at most 128), so that it is one NATS
 * subject token (`tickets.events.<type>`) — a type with a `.`, `*`, `>` or a space could never be
 * published, and would hold back every event behind it.
 */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Checks an append's arguments: non-empty stream name; at least one event; each with a UUID id
 * (unique within the batch, compared case-insensitively), a type matching {@link EVENT_TYPE_PATTERN}, object data and
 * metadata; expected revision one of the four modes (exact: a non-negative safe integer).
 * @throws InvalidAppendError naming the first problem.
 */
export function validateAppend(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): void {
  if (typeof stream !== 'string' || stream.length === 0) throw new InvalidAppendError('stream name must be a non-empty string');
  // Typed before Array.isArray, which would narrow a readonly array to any[].
  const batch: readonly NewEvent[] = events;
  if (!Array.isArray(events) || events.length === 0) throw new InvalidAppendError(`stream ${stream}: nothing to append`);
  if (
    expected !== 'any' &&
    expected !== 'no_stream' &&
    expected !== 'stream_exists' &&
    !(typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0)
  ) {
    throw new InvalidAppendError(`stream ${stream}: invalid expected revision ${String(expected)}`);
  }
  const seen = new Set<string>();
  batch.forEach((event, index) => {
    const where = `stream ${stream}, event #${index}`;
    if (typeof event.id !== 'string' || !isUuid(event.id)) throw new InvalidAppendError(`${where}: id must be a UUID`);
    const id = event.id.toLowerCase();
    if (seen.has(id)) throw new InvalidAppendError(`${where}: id ${id} appears twice in the batch`);
    seen.add(id);
    if (typeof event.type !== 'string' || event.type.length === 0) throw new InvalidAppendError(`${where}: type must be a non-empty string`);
    if (!EVENT_TYPE_PATTERN.test(event.type)) {
      throw new InvalidAppendError(`${where}: type ${JSON.stringify(event.type)} must be letters, digits, _ or - (one NATS subject token)`);
    }
    if (!isPlainObject(event.data)) throw new InvalidAppendError(`${where}: data must be a JSON object`);
    if (!isPlainObject(event.metadata)) throw new InvalidAppendError(`${where}: metadata must be a JSON object`);
  });
}

/** Checks a readStream range: revisions are non-negative safe integers when given. */
export function validateRange(options: { fromRevision?: number; toRevision?: number }): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(`${key} must be a non-negative integer, got ${String(value)}`);
    }
  }
}

/** Checks a readAll limit: a positive safe integer. */
export function validateLimit(limit: number): void {
  if (!(Number.isSafeInteger(limit) && limit > 0)) throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
}

/** Does the stream's actual last revision (-1: no stream) satisfy `expected`? */
export function expectationHolds(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'stream_exists':
      return actual >= 0;
    default:
      return actual === expected;
  }
}

/**
 * Could an earlier append with `expected` have put its first event at `firstRevision`?
 * Used to recognise an idempotent repeat of that append.
 */
export function expectationAllowsFirstRevision(expected: ExpectedRevision, firstRevision: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return firstRevision === 0;
    case 'stream_exists':
      return firstRevision >= 1;
    default:
      return firstRevision === expected + 1;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
