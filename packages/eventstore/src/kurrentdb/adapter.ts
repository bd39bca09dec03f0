/**
 * The KurrentDB (EventStoreDB) implementation of the EventStore port, via `@kurrent/kurrentdb-client`.
 * One KurrentDB stream per port stream (same name, same 0-based revisions); the KurrentDB event id is our
 * event id; data is JSON; metadata is the envelope of envelope.ts (our metadata, recordedAt, hash chain).
 *
 * How it meets the port, and where it differs from the PostgreSQL adapter:
 * - Append reads the whole stream, plans on it (append-plan.ts: repeat / duplicate / expectation / hash
 *   chain) and writes with the head it planned on as the exact expected state, so the chain can never
 *   fork. A write that loses a race (KurrentDB WrongExpectedVersionError) is planned again on a fresh
 *   read: an exact or `no_stream` expectation then fails with WrongExpectedRevisionError (or is found to
 *   be a concurrent identical batch), `any` and `stream_exists` retry, up to `maxAppendAttempts`.
 *   PostgreSQL serialises appends with a row lock instead; here concurrent `any` appends to one stream
 *   cost one round of reads and writes per lost race. Each append costs a read of the whole stream
 *   (ticket streams are short) plus a one-event read to learn the stored position.
 * - Duplicate ids are only detected within the stream appended to. KurrentDB keeps no index of event
 *   ids across streams (it allows one id in several streams), so an id already stored in ANOTHER stream
 *   is appended again without DuplicateEventIdError; the conformance case "treats ids stored in another
 *   stream as duplicates" fails on this adapter. Producers use fresh UUIDv7 ids per event, so this is a
 *   producer bug that the store does not catch; the relay's JetStream dedup (Nats-Msg-Id = event id)
 *   would then drop the second event.
 * - `appended: false` is also reported when a concurrent identical batch (same ids, same revisions,
 *   another recordedAt) was written between this append's read and write and KurrentDB acknowledged
 *   ours as an idempotent repeat.
 * - readAll: `$all` from a position, skipping system events (`$` types, by a server-side filter) and
 *   events in `$` streams or without our envelope (foreign writers on a shared server). The position is
 *   the log's (commit, prepare) pair; `$all` is append-only and read up to the committed (in a cluster:
 *   replicated) point, so no event is ever inserted before a returned checkpoint, and events are
 *   visible as soon as the append returns. Reading `$all` needs a user allowed to (admin by default on
 *   a secure server).
 * - Requires KurrentDB / EventStoreDB 22.6 or later (positions on stream reads).
 */
import type { KurrentDBClient, Position, RegexFilter } from '@kurrent/kurrentdb-client';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type Clock,
  type EventStore,
  type ExpectedRevision,
  type GlobalPosition,
  type NewEvent,
  type RecordedEvent,
} from '../port';
import { systemClock } from '../clock';
import { validateAppend, validateLimit, validateRange } from '../validation';
import {
  actualRevisionOf,
  isStreamNotFound,
  isWrongExpectedVersion,
  normaliseBatch,
  planAppend,
} from './append-plan';
import { decodeRecord, isTongbanEvent, type KurrentRecord } from './envelope';
import { comparePositions, fromGlobalPosition } from './position';

/** Options of {@link KurrentDbEventStore}. */
export interface KurrentDbEventStoreOptions {
  /** A KurrentDB client (`KurrentDBClient.connectionString(...)`). */
  client: KurrentDBClient;
  /** Source of `recordedAt` (UTC). */
  clock: Clock;
  /** Dispose of the client on close() (default false: the caller owns it). */
  ownsClient?: boolean;
  /** How many times one append is planned and written before a lost race is reported (default 100). */
  maxAppendAttempts?: number;
}

/** Server-side filter of `$all` reads: event types not starting with `$` (as `excludeSystemEvents()`). */
const NO_SYSTEM_EVENTS: RegexFilter = { filterOn: 'eventType', regex: '^[^$].*', checkpointInterval: 1 };

/** Event store on a KurrentDB server or cluster; see the module comment for its semantics. */
export class KurrentDbEventStore implements EventStore {
  private readonly client: KurrentDBClient;
  private readonly clock: Clock;
  private readonly ownsClient: boolean;
  private readonly maxAppendAttempts: number;

  constructor(options: KurrentDbEventStoreOptions) {
    this.client = options.client;
    this.clock = options.clock;
    this.ownsClient = options.ownsClient ?? false;
    this.maxAppendAttempts = options.maxAppendAttempts ?? 100;
  }

  /**
   * Creates a store on a connection string, e.g. `kurrentdb://127.0.0.1:2113?tls=false`; close()
   * disposes of the client. Does not connect: the first call does. The client library (which loads a
   * native addon) is imported here, not when this module is, so that importing `@tongban/eventstore`
   * stays cheap for services that use PostgreSQL.
   * @throws the client's error when the connection string is malformed.
   */
  static async create(
    connectionString: string,
    clock: Clock = systemClock,
    options: Pick<KurrentDbEventStoreOptions, 'maxAppendAttempts'> = {},
  ): Promise<KurrentDbEventStore> {
    const { KurrentDBClient } = await import('@kurrent/kurrentdb-client');
    return new KurrentDbEventStore({ ...options, client: KurrentDBClient.connectionString(connectionString), clock, ownsClient: true });
  }

  /**
   * See {@link EventStore.append}. recordedAt is `clock.now()`, one instant for the whole batch.
   * @throws InvalidAppendError on malformed arguments (before any I/O).
   * @throws WrongExpectedRevisionError when the head does not satisfy `expected`, or when the append
   * lost `maxAppendAttempts` races in a row (any mode; `actual` is the head KurrentDB last reported).
   * @throws DuplicateEventIdError when an id is stored in this stream and the batch is not a repeat.
   * @throws MalformedEventError when the stream holds an event that is not ours; the client's errors.
   */
  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    validateAppend(stream, events, expected);
    const batch = normaliseBatch(events);
    const recordedAt = recordingTime(this.clock);
    for (let attempt = 1; ; attempt += 1) {
      const plan = planAppend(stream, batch, expected, await this.readStream(stream), recordedAt);
      if (plan.kind === 'repeat') return plan.result;
      try {
        await this.client.appendToStream(stream, plan.events, { streamState: plan.streamState });
      } catch (error) {
        if (!isWrongExpectedVersion(error)) throw error;
        if (attempt >= this.maxAppendAttempts) {
          throw new WrongExpectedRevisionError(stream, expected, actualRevisionOf(error.actualState), { cause: error });
        }
        // The head moved since the read: plan again on a fresh one, after a short random pause so
        // that concurrent `any` appenders do not keep colliding.
        await sleep(Math.random() * Math.min(50, 2 * attempt));
        continue;
      }
      const [last] = await this.readStream(stream, { fromRevision: plan.lastRevision, toRevision: plan.lastRevision });
      if (!last || last.id !== batch[batch.length - 1]?.id) {
        throw new Error(`stream ${stream}: revision ${plan.lastRevision} is not the event just appended`);
      }
      // A different hash there means KurrentDB acknowledged an identical batch written concurrently.
      return { nextExpectedRevision: plan.lastRevision, position: last.position, appended: last.hash === plan.lastHash };
    }
  }

  /**
   * See {@link EventStore.readStream}: fromRevision ≤ revision ≤ toRevision (inclusive, optional), in
   * revision order; [] when the stream does not exist or the range is empty.
   * @throws RangeError on a negative or non-integer revision.
   * @throws MalformedEventError when the stream holds an event that is not ours.
   */
  async readStream(stream: string, options: { fromRevision?: number; toRevision?: number } = {}): Promise<RecordedEvent[]> {
    validateRange(options);
    const from = options.fromRevision ?? 0;
    const to = options.toRevision;
    if (to !== undefined && to < from) return [];
    const records: KurrentRecord[] = [];
    try {
      const reading = this.client.readStream(stream, {
        fromRevision: BigInt(from),
        ...(to === undefined ? {} : { maxCount: to - from + 1 }),
      });
      for await (const resolved of reading) if (resolved.event) records.push(resolved.event);
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw error;
    }
    return records.map(decodeRecord);
  }

  /**
   * See {@link EventStore.readStreams}: each stream read as {@link readStream} (KurrentDB reads one stream
   * per call), at most 8 at once.
   * @throws MalformedEventError when a stream holds an event that is not ours.
   */
  async readStreams(streams: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
    const read = new Map<string, RecordedEvent[]>();
    const pending = [...new Set(streams)];
    for (const stream of pending) read.set(stream, []);
    const worker = async (): Promise<void> => {
      for (let stream = pending.shift(); stream !== undefined; stream = pending.shift()) read.set(stream, await this.readStream(stream));
    };
    await Promise.all(Array.from({ length: Math.min(8, pending.length) }, worker));
    return read;
  }

  /**
   * See {@link EventStore.readAll}: up to `limit` of our events in `$all` order strictly after `after`
   * (null: from the start). System events, `$` streams and events without our envelope are skipped
   * (they do not count against `limit`). `$all` reads start at the given position inclusively, so a
   * page is read one longer and events at or before `after` are dropped.
   * @throws RangeError when limit is not a positive integer or `after` is not a position of this store.
   * @throws MalformedEventError when an event carries our envelope but cannot be decoded.
   */
  async readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    validateLimit(limit);
    const start = after ? fromGlobalPosition(after) : null;
    const pageSize = limit + 1;
    const found: RecordedEvent[] = [];
    let from: Position | 'start' = start ?? 'start';
    for (;;) {
      let read = 0;
      let last: Position | undefined;
      for await (const { event } of this.client.readAll({ fromPosition: from, maxCount: pageSize, filter: NO_SYSTEM_EVENTS })) {
        read += 1;
        if (!event) continue;
        last = event.position;
        if (start && comparePositions(event.position, start) <= 0) continue;
        if (event.streamId.startsWith('$') || !isTongbanEvent(event)) continue;
        found.push(decodeRecord(event));
        if (found.length === limit) return found;
      }
      // A short page is the end of `$all`; a full one that yielded too few of ours goes on after it.
      if (read < pageSize || !last) return found;
      from = last;
    }
  }

  /** Disposes of the client when the store created it; otherwise does nothing. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.dispose();
  }
}

function recordingTime(clock: Clock): string {
  const now = clock.now();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new Error('clock.now() returned an invalid Date');
  return now.toISOString();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
