/**
 * The PostgreSQL append: move the stream head, check the expected revision, chain the hashes and
 * insert in one statement (with a known head: one round trip); recognise idempotent repeats.
 */
import type pg from 'pg';
import { canonicalJson } from '../canonical-json';
import { canonicalEvent, chainHash, GENESIS_HASH } from '../hash';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type Clock,
  type ExpectedRevision,
  type GlobalPosition,
  type NewEvent,
} from '../port';
import { expectationAllowsFirstRevision, expectationHolds, validateAppend } from '../validation';

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
 * An append statement (a named prepared statement: parsed and planned once per connection): `head`, a
 * CTE that moves or creates the stream head and returns a row when it did, then the INSERT of the events
 * — $1 the stream, $2 the rows (jsonb array, in revision order), `recordedAt` the parameter of
 * recorded_at — only when it did. Each inserted row is returned (transaction id and position, in
 * revision order); no row: nothing was appended, the head was not the base. No NOTIFY here: the store
 * sends it after the commit, see AppendNotifier. Kept small on purpose: every node of the statement costs
 * its start-up on every execution (issue 13, perf of the backend: the former single statement, with both
 * CTEs and the head returned on a miss, spent 44 µs per append in ExecutorStart, these 20).
 */
function appendStatement(name: string, head: string, recordedAt: string) {
  return {
    name,
    rowMode: 'array',
    text: `WITH head AS (${head} RETURNING 1)
      INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at, prev_hash, hash)
        SELECT $1::text, r.revision, r.id, r.type, r.data, r.metadata, ${recordedAt}::timestamptz, r.prev_hash, r.hash
        FROM jsonb_to_recordset($2::jsonb)
          AS r(revision bigint, id uuid, type text, data jsonb, metadata jsonb, prev_hash text, hash text)
        WHERE EXISTS (SELECT FROM head)
        ORDER BY r.revision
        RETURNING transaction_id::text, global_position::text`,
  } as const;
}

/**
 * The append to a stream whose head is known: $3 the base revision the hashes were chained from, $4 its
 * hash, $5 recorded_at, $6 the last row's hash, $7 the number of rows. The UPDATE matches only when the
 * head is the base, and takes the head's row lock until commit, so appends to one stream are serialized
 * (READ COMMITTED rechecks the condition on the newest row version after waiting).
 */
const APPEND_MOVE = appendStatement('eventstore_append_move', `
  UPDATE streams SET last_revision = $3::bigint + $7::int, last_hash = $6::text
  WHERE stream = $1::text AND last_revision = $3::bigint AND last_hash = $4::text`, '$5');

/**
 * The append that creates a stream (the base is revision -1): the head row is inserted, or a head row
 * left at -1 filled in (ON CONFLICT … WHERE last_revision = -1, which waits for a concurrent creator and
 * then does nothing). $3 recorded_at, $4 the last row's hash, $5 the number of rows.
 */
const APPEND_CREATE = appendStatement('eventstore_append_create', `
  INSERT INTO streams (stream, last_revision, last_hash) VALUES ($1::text, $5::int - 1, $4::text)
  ON CONFLICT (stream) DO UPDATE SET last_revision = EXCLUDED.last_revision, last_hash = EXCLUDED.last_hash
    WHERE streams.last_revision = -1`, '$3');

/** A stream's head ($1 the stream): no row when it has none. */
const READ_HEAD = {
  name: 'eventstore_head',
  rowMode: 'array',
  text: 'SELECT last_revision::text, last_hash FROM streams WHERE stream = $1::text',
} as const;

/** An event to append, with its data and metadata as canonical JSON text. */
interface CanonicalEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/**
 * Appends `events` to `stream` in one transaction on `client` (which must not be in a transaction),
 * usually in one round trip: one statement (APPEND_MOVE, or APPEND_CREATE for a new stream) moves the
 * stream head from the head the hashes were chained from (`heads`' guess, or 'no_stream'/'any' from
 * revision -1) and inserts the events; the head row's lock serializes appends to one stream (the caller
 * wakes the relays after the commit: PostgresEventStore sends `NOTIFY eventstore_appended` through
 * AppendNotifier). Without a guess for an exact revision or 'stream_exists', the head is read first. When
 * the head was not the base, the statement appends nothing and the head is read: if it satisfies
 * `expected` the call is repeated from it (after two misses the head is locked and read first, in a
 * transaction);
 * otherwise, and when an id is already stored, the batch's ids are looked up: every id stored in this
 * stream, in batch order, at consecutive revisions where an append with `expected` could have put them
 * is an idempotent repeat (returns `appended: false` with the stored positions); other stored ids fail.
 * With hooks (tests), the call runs inside an explicit BEGIN … COMMIT so the test can interleave
 * transactions. recordedAt is `clock.now()` (one instant for the whole batch).
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
  // Canonical JSON once per event: hashed, and sent as the rows (jsonb stores the same values).
  const batch: CanonicalEvent[] = events.map((event) => ({
    id: event.id.toLowerCase(),
    type: event.type,
    data: storedJson(event.data),
    metadata: storedJson(event.metadata),
  }));
  const ids = batch.map((event) => event.id);
  const explicit = hooks.afterBegin !== undefined || hooks.beforeCommit !== undefined;
  let base = firstBase(expected, heads.get(stream));

  for (let attempt = 1; ; attempt += 1) {
    const locked = attempt > OPTIMISTIC_ATTEMPTS;
    const inTransaction = explicit || locked;
    let outcome: Attempt;
    if (inTransaction) await client.query('BEGIN');
    try {
      if (inTransaction && hooks.afterBegin) await hooks.afterBegin(client);
      if (locked) base = await lockHead(client, stream);
      outcome = locked && !expectationHolds(expected, base.revision)
        ? { head: { revision: base.revision, hash: base.hash ?? '' } }
        : await appendFrom(client, stream, batch, recordedAt, base);
      if (inTransaction) {
        if ('position' in outcome && hooks.beforeCommit) await hooks.beforeCommit(client);
        await client.query('position' in outcome ? 'COMMIT' : 'ROLLBACK');
      }
    } catch (error) {
      if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
      const pgError = error as { code?: string; constraint?: string };
      if (pgError?.code === '23505' && pgError.constraint === 'events_id_key') {
        const stored = await storedIds(client, ids);
        if (stored.length > 0) return repeatOf(stored, stream, ids, expected);
      }
      throw translateError(error);
    }
    if ('position' in outcome) {
      heads.set(stream, outcome.head);
      return { nextExpectedRevision: outcome.head.revision, position: outcome.position, appended: true };
    }
    // Not appended: the head was not the base.
    heads.set(stream, outcome.head);
    if (!expectationHolds(expected, outcome.head.revision)) {
      const stored = await storedIds(client, ids);
      if (stored.length > 0) return repeatOf(stored, stream, ids, expected);
      throw new WrongExpectedRevisionError(stream, expected, outcome.head.revision);
    }
    // Cannot happen once the head is locked; guard against a loop all the same.
    if (locked) throw new Error(`stream ${stream}: head moved while locked`);
    base = outcome.head;
  }
}

/** What one run of the append statement did: appended (the new head and the position), or found `head` instead of the base. */
type Attempt = { head: StreamHead; position: GlobalPosition } | { head: StreamHead };

/**
 * Chains `batch` from `base` and runs the append statement (APPEND_MOVE, or APPEND_CREATE from
 * revision -1) once; with a base whose hash is unknown (`hash: null`), and after a miss, reads the head.
 */
async function appendFrom(
  client: pg.ClientBase,
  stream: string,
  batch: readonly CanonicalEvent[],
  recordedAt: string,
  base: { revision: number; hash: string | null },
): Promise<Attempt> {
  // No base to chain from (only an expected revision, or 'stream_exists'): ask for the head first.
  if (base.hash === null) return { head: await readHead(client, stream) };
  let prevHash = base.hash;
  let rows = '';
  for (let index = 0; index < batch.length; index += 1) {
    const event = batch[index]!;
    const revision = base.revision + 1 + index;
    const hash = chainHash(prevHash, canonicalEvent({ stream, revision, type: event.type, id: event.id, recordedAt }, event.data, event.metadata));
    rows += `${index === 0 ? '[' : ','}{"revision":${revision},"id":"${event.id}","type":${JSON.stringify(event.type)},` +
      `"data":${event.data},"metadata":${event.metadata},"prev_hash":"${prevHash}","hash":"${hash}"}`;
    prevHash = hash;
  }
  rows += ']';
  const { rows: inserted } = await client.query<[string, string]>(base.revision === -1
    ? { ...APPEND_CREATE, values: [stream, rows, recordedAt, prevHash, batch.length] }
    : { ...APPEND_MOVE, values: [stream, rows, base.revision, base.hash, recordedAt, prevHash, batch.length] });
  const last = inserted[inserted.length - 1];
  if (last === undefined) return { head: await readHead(client, stream) };
  return {
    head: { revision: base.revision + batch.length, hash: prevHash },
    position: { transactionId: last[0], position: last[1] },
  };
}

/** The stream's head as committed now (revision -1 and the genesis hash: no stream). */
async function readHead(client: pg.ClientBase, stream: string): Promise<StreamHead> {
  const { rows: [head] } = await client.query<[string, string]>({ ...READ_HEAD, values: [stream] });
  return head === undefined ? { revision: -1, hash: GENESIS_HASH } : { revision: Number(head[0]), hash: head[1] };
}

/** The head to chain the first attempt from: the guess when it can satisfy `expected`, else what `expected` says. */
function firstBase(expected: ExpectedRevision, guess: StreamHead | undefined): { revision: number; hash: string | null } {
  switch (expected) {
    case 'no_stream':
      return { revision: -1, hash: GENESIS_HASH };
    case 'any':
      return guess ?? { revision: -1, hash: GENESIS_HASH };
    case 'stream_exists':
      return guess && guess.revision >= 0 ? guess : { revision: -1, hash: null };
    default:
      return guess?.revision === expected ? guess : { revision: expected, hash: null };
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

/**
 * The RFC 8785 canonical JSON of what jsonb will store of `value`: what JSON.stringify writes, so NaN
 * and ±Infinity are null (canonicalJson refuses them; the rare value holding one goes through a JSON
 * round trip first, as every value did before).
 */
function storedJson(value: object): string {
  try {
    return canonicalJson(value) ?? 'null';
  } catch {
    return canonicalJson(JSON.parse(JSON.stringify(value))) ?? 'null';
  }
}

function recordingTime(clock: Clock): string {
  const now = clock.now();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new Error('clock.now() returned an invalid Date');
  return now.toISOString();
}

