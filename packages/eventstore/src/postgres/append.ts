/**
 * The PostgreSQL append: lock the stream head, recognise idempotent repeats, check the expected
 * revision, chain the hashes and insert, all in one transaction and (with a known head) one round trip.
 */
import type pg from 'pg';
import { computeEventHash, GENESIS_HASH } from '../hash';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type Clock,
  type ExpectedRevision,
  type NewEvent,
} from '../port';
import { expectationAllowsFirstRevision, validateAppend } from '../validation';

/** Test seams: let an integration test interleave concurrent append transactions deterministically. */
export interface AppendHooks {
  /** Awaited right after BEGIN, before anything is locked or written. */
  afterBegin?: (client: pg.ClientBase) => Promise<void>;
  /** Awaited after the events and the stream head are written, before COMMIT. */
  beforeCommit?: (client: pg.ClientBase) => Promise<void>;
}

interface ExistingIdRow {
  id: string;
  stream: string;
  revision: string;
  transaction_id: string;
  global_position: string;
}

/** A stream head: its last revision and hash. */
export interface StreamHead {
  revision: number;
  hash: string;
}

/**
 * The heads this process last saw (after its own appends and full stream reads), so that the next
 * append can compute its hashes without asking first. Only a guess: the append function checks it
 * under the head's row lock, and a stale one costs one more round trip. Bounded (oldest dropped).
 */
export class StreamHeads {
  private readonly heads = new Map<string, StreamHead>();
  constructor(private readonly max = 10_000) {}
  get(stream: string): StreamHead | undefined {
    return this.heads.get(stream);
  }
  set(stream: string, head: StreamHead): void {
    this.heads.delete(stream);
    this.heads.set(stream, head);
    if (this.heads.size > this.max) this.heads.delete(this.heads.keys().next().value as string);
  }
  delete(stream: string): void {
    this.heads.delete(stream);
  }
}

/**
 * Optimistic attempts (hashes chained from a guessed head) before the append locks the head first and
 * chains from what it reads (more round trips, but progress under contention on one stream).
 */
const OPTIMISTIC_ATTEMPTS = 2;

/**
 * Appends `events` to `stream` in one transaction on `client` (which must not be in a transaction),
 * usually in one round trip: the `eventstore_append` function (migration 002) creates the head row if
 * missing and locks it (`FOR UPDATE`), so appends to one stream are serialized; checks `expected`;
 * checks that the head is the one the hashes were chained from (`heads`' guess; when wrong, the call is
 * repeated from the actual head, and after two such misses the head is locked and read first); inserts;
 * moves the head; notifies `eventstore_appended`. When the expectation fails or an id is already
 * stored, the batch's ids are looked up: every id stored in this stream, in batch order, at consecutive
 * revisions where an append with `expected` could have put them is an idempotent repeat (returns
 * `appended: false` with the stored positions); other stored ids fail. With hooks (tests), the call runs
 * inside an explicit BEGIN … COMMIT so the test can interleave transactions.
 * recordedAt is `clock.now()` (one instant for the whole batch).
 * @throws InvalidAppendError on malformed arguments (before any I/O).
 * @throws WrongExpectedRevisionError when the head does not match `expected`.
 * @throws DuplicateEventIdError when an id is stored elsewhere (also when a concurrent append wins the race for it).
 */
export async function appendEvents(
  client: pg.ClientBase,
  clock: Clock,
  stream: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  hooks: AppendHooks = {},
  heads: StreamHeads = new StreamHeads(1),
): Promise<AppendResult> {
  validateAppend(stream, events, expected);
  const recordedAt = recordingTime(clock);
  const batch = events.map((event) => ({
    id: event.id.toLowerCase(),
    type: event.type,
    // Hash exactly what jsonb will store: drop undefined, apply toJSON.
    data: toJson(event.data) as Record<string, unknown>,
    metadata: toJson(event.metadata) as NewEvent['metadata'],
  }));
  const ids = batch.map((event) => event.id);
  const explicit = hooks.afterBegin !== undefined || hooks.beforeCommit !== undefined;
  let base: { revision: number; hash: string | null } =
    expected === 'no_stream' ? { revision: -1, hash: GENESIS_HASH }
      : heads.get(stream) ?? (typeof expected === 'number' ? { revision: expected, hash: null } : { revision: -1, hash: GENESIS_HASH });

  for (let attempt = 1; ; attempt += 1) {
    const locked = attempt > OPTIMISTIC_ATTEMPTS;
    const inTransaction = explicit || locked;
    if (inTransaction) {
      await client.query('BEGIN');
      if (hooks.afterBegin) await hooks.afterBegin(client);
    }
    if (locked) {
      try {
        base = await lockHead(client, stream);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    let prevHash = base.hash ?? GENESIS_HASH;
    const rows = batch.map((event, index) => {
      const revision = base.revision + 1 + index;
      const hash = computeEventHash(prevHash, { stream, revision, ...event, recordedAt });
      const row = { revision, ...event, prev_hash: prevHash, hash };
      prevHash = hash;
      return row;
    });
    try {
      const { rows: [position] } = await client.query<{ transaction_id: string; global_position: string }>(
        'SELECT transaction_id, global_position FROM eventstore_append($1, $2, $3, $4, $5::jsonb, $6::timestamptz)',
        [stream, String(expected), base.revision, base.hash, JSON.stringify(rows), recordedAt],
      );
      if (inTransaction) {
        if (hooks.beforeCommit) await hooks.beforeCommit(client);
        await client.query('COMMIT');
      }
      if (!position) throw new Error(`stream ${stream}: append returned no position`);
      const lastRevision = base.revision + batch.length;
      heads.set(stream, { revision: lastRevision, hash: prevHash });
      return {
        nextExpectedRevision: lastRevision,
        position: { transactionId: position.transaction_id, position: position.global_position },
        appended: true,
      };
    } catch (error) {
      if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
      const pgError = error as { code?: string; detail?: string; constraint?: string };
      switch (pgError?.code) {
        case 'TB002': {
          heads.delete(stream);
          // A repeat of an earlier append fails the expectation: recognise it (or a duplicate id) first.
          const stored = await storedIds(client, ids);
          if (stored.length > 0) return repeatOf(stored, stream, ids, expected);
          throw new WrongExpectedRevisionError(stream, expected, Number(pgError.detail));
        }
        case '23505': {
          if (pgError.constraint !== 'events_id_key') throw error;
          const stored = await storedIds(client, ids);
          if (stored.length > 0) return repeatOf(stored, stream, ids, expected);
          throw translateError(error);
        }
        case 'TB003': {
          const head = JSON.parse(pgError.detail ?? '{}') as StreamHead;
          heads.set(stream, head);
          // Cannot happen once the head is locked; guard against a loop all the same.
          if (locked) throw new Error(`stream ${stream}: head moved while locked`, { cause: error });
          base = head;
          continue;
        }
        default:
          throw translateError(error);
      }
    }
  }
}

/** The batch's ids that are stored, with where. */
async function storedIds(client: pg.ClientBase, ids: readonly string[]): Promise<ExistingIdRow[]> {
  const { rows } = await client.query<ExistingIdRow>(
    `SELECT id::text AS id, stream, revision::text AS revision, transaction_id::text AS transaction_id,
       global_position::text AS global_position
     FROM events WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

/** Creates the head row if missing and locks it for the rest of the transaction; returns it. */
async function lockHead(client: pg.ClientBase, stream: string): Promise<StreamHead> {
  await client.query(
    'INSERT INTO streams (stream, last_revision, last_hash) VALUES ($1, -1, $2) ON CONFLICT (stream) DO NOTHING',
    [stream, GENESIS_HASH],
  );
  const { rows: [head] } = await client.query<{ last_revision: string; last_hash: string }>(
    'SELECT last_revision::text AS last_revision, last_hash FROM streams WHERE stream = $1 FOR UPDATE',
    [stream],
  );
  if (!head) throw new Error(`stream ${stream}: head row missing after upsert`);
  return { revision: Number(head.last_revision), hash: head.last_hash };
}

/**
 * The batch's ids are (some of them) stored: all stored as an idempotent repeat → the original result;
 * otherwise DuplicateEventIdError for the first stored id in batch order.
 */
function repeatOf(rows: readonly ExistingIdRow[], stream: string, ids: readonly string[], expected: ExpectedRevision): AppendResult {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const first = byId.get(ids[0] ?? '');
  const firstRevision = first ? Number(first.revision) : -1;
  const isRepeat =
    first !== undefined &&
    rows.length === ids.length &&
    expectationAllowsFirstRevision(expected, firstRevision) &&
    ids.every((id, index) => {
      const row = byId.get(id);
      return row !== undefined && row.stream === stream && Number(row.revision) === firstRevision + index;
    });
  if (!isRepeat) {
    const stored = ids.find((id) => byId.has(id)) ?? rows[0]?.id ?? 'unknown';
    throw new DuplicateEventIdError(stored);
  }
  const last = byId.get(ids[ids.length - 1] ?? '')!;
  return {
    nextExpectedRevision: Number(last.revision),
    position: { transactionId: last.transaction_id, position: last.global_position },
    appended: false,
  };
}

/** Maps a unique violation on `events.id` (a concurrent append stored the id first) to DuplicateEventIdError. */
function translateError(error: unknown): unknown {
  const pgError = error as { code?: string; constraint?: string; detail?: string };
  if (pgError?.code === '23505' && pgError.constraint === 'events_id_key') {
    const id = /\(id\)=\(([^)]+)\)/.exec(pgError.detail ?? '')?.[1] ?? 'unknown';
    return new DuplicateEventIdError(id, { cause: error });
  }
  return error;
}

function recordingTime(clock: Clock): string {
  const now = clock.now();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new Error('clock.now() returned an invalid Date');
  return now.toISOString();
}

function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
