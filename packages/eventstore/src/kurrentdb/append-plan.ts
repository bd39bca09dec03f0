/**
 * The pure half of a KurrentDB append: given the stream as it was just read, decide whether the batch is
 * an idempotent repeat, a duplicate, a wrong expectation, or a write, and for a write chain the hashes
 * and choose the exact stream state to send. The adapter does the I/O and retries lost races.
 *
 * Why the adapter never sends `any` or `stream_exists` to the server: the hash of an event covers its
 * revision and its predecessor's hash, so the client must know the head it appends after. Every write is
 * therefore sent with the head it was planned on (`no_stream` or that exact revision), and a lost race
 * is planned again on a fresh read, where the port's own expectation is checked.
 */
import type { CurrentStreamState, JSONEventData } from '@kurrent/kurrentdb-client';
import { computeEventHash, GENESIS_HASH } from '../hash';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
} from '../port';
import { expectationAllowsFirstRevision, expectationHolds } from '../validation';
import { toEventData, type BatchEvent } from './envelope';

/** The stream state sent with a write: the head the batch was chained on. */
export type WireStreamState = 'no_stream' | bigint;

/** What to do with an append, decided by {@link planAppend}. */
export type AppendPlan =
  /** Every id is already stored where this append would have put it: answer with the stored result. */
  | { kind: 'repeat'; result: AppendResult }
  /** Write `events` with `streamState`; the last one will be `lastRevision` with hash `lastHash`. */
  | { kind: 'write'; streamState: WireStreamState; events: JSONEventData[]; lastRevision: number; lastHash: string };

/**
 * Normalises a validated batch as it will be stored and read back: lower-case ids, data and metadata
 * round-tripped through JSON (drops `undefined`, applies `toJSON`), so that the hash covers exactly
 * what a reader gets.
 */
export function normaliseBatch(events: readonly NewEvent[]): BatchEvent[] {
  return events.map((event) => ({
    id: event.id.toLowerCase(),
    type: event.type,
    data: roundTrip(event.data) as Record<string, unknown>,
    metadata: roundTrip(event.metadata) as NewEvent['metadata'],
  }));
}

/**
 * Plans appending `batch` (from {@link normaliseBatch}) to `stream` whose events are `existing` (all of
 * them, in revision order, as just read; [] when the stream does not exist), with `expected`.
 * - Some id of the batch is in `existing`: an idempotent repeat when every id is there, in batch order,
 *   at consecutive revisions where an append with `expected` could have put them (returns the stored
 *   last revision and position, `appended: false`); otherwise DuplicateEventIdError.
 * - Otherwise `expected` must hold for the head; the batch is chained from the head's hash with one
 *   `recordedAt` and sent with the head as the exact stream state.
 * @throws DuplicateEventIdError for the first batch id stored in the stream when the batch is not a repeat.
 * @throws WrongExpectedRevisionError when the head does not satisfy `expected` (actual -1: no stream).
 */
export function planAppend(
  stream: string,
  batch: readonly BatchEvent[],
  expected: ExpectedRevision,
  existing: readonly RecordedEvent[],
  recordedAt: string,
): AppendPlan {
  const repeat = findRepeat(batch, expected, existing);
  if (repeat) return { kind: 'repeat', result: repeat };

  const head = existing[existing.length - 1];
  const actual = head ? head.revision : -1;
  if (!expectationHolds(expected, actual)) throw new WrongExpectedRevisionError(stream, expected, actual);

  let prevHash = head ? head.hash : GENESIS_HASH;
  const events = batch.map((event, index) => {
    const hash = computeEventHash(prevHash, { stream, revision: actual + 1 + index, ...event, recordedAt });
    const data = toEventData(event, { recordedAt, prevHash, hash });
    prevHash = hash;
    return data;
  });
  return { kind: 'write', streamState: toWireStreamState(actual), events, lastRevision: actual + batch.length, lastHash: prevHash };
}

/** The exact stream state for a head revision: -1 (no stream) → `no_stream`, n → `n` as a bigint. */
export function toWireStreamState(actual: number): WireStreamState {
  return actual === -1 ? 'no_stream' : BigInt(actual);
}

/**
 * The actual last revision a KurrentDB WrongExpectedVersionError reports: `no_stream` → -1,
 * a revision → that number (negative markers, e.g. -1, pass through).
 */
export function actualRevisionOf(actualState: CurrentStreamState): number {
  return actualState === 'no_stream' ? -1 : Number(actualState);
}

/**
 * Is `error` KurrentDB's WrongExpectedVersionError? Checked by its `type` tag rather than `instanceof`,
 * so that the client library is only loaded when a store is created (see adapter.ts).
 */
export function isWrongExpectedVersion(error: unknown): error is { type: 'wrong-expected-version'; actualState: CurrentStreamState } {
  return (error as { type?: unknown } | null)?.type === 'wrong-expected-version';
}

/** Is `error` KurrentDB's StreamNotFoundError (a read of a stream that does not exist)? */
export function isStreamNotFound(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'stream-not-found';
}

function findRepeat(
  batch: readonly BatchEvent[],
  expected: ExpectedRevision,
  existing: readonly RecordedEvent[],
): AppendResult | null {
  const wanted = new Set(batch.map((event) => event.id));
  const stored = new Map<string, RecordedEvent>();
  for (const event of existing) if (wanted.has(event.id)) stored.set(event.id, event);
  if (stored.size === 0) return null;

  const first = stored.get(batch[0]?.id ?? '');
  const isRepeat =
    first !== undefined &&
    stored.size === batch.length &&
    expectationAllowsFirstRevision(expected, first.revision) &&
    batch.every((event, index) => stored.get(event.id)?.revision === first.revision + index);
  if (!isRepeat) {
    const duplicate = batch.find((event) => stored.has(event.id));
    throw new DuplicateEventIdError(duplicate?.id ?? 'unknown');
  }
  const last = stored.get(batch[batch.length - 1]?.id ?? '');
  if (!last) throw new Error('unreachable: a repeat has a last event');
  return { nextExpectedRevision: last.revision, position: last.position, appended: false };
}

function roundTrip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
