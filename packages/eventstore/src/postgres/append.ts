/**
 * The PostgreSQL append transaction: lock the stream head, recognise idempotent repeats, check the
 * expected revision, chain the hashes and insert, all in one transaction on one client.
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

interface InsertedRow {
  revision: string;
  transaction_id: string;
  global_position: string;
}

/**
 * Appends `events` to `stream` in one transaction on `client` (which must not be in a transaction).
 * Steps: create the head row if missing and lock it (`FOR UPDATE`), so appends to one stream are
 * serialized; if any id is already stored, either recognise an idempotent repeat (every id stored in
 * this stream, in batch order, at consecutive revisions where an append with `expected` could have
 * put them: returns `appended: false` with the stored positions) or fail; check `expected`; insert
 * with the hash chain continuing from the head; move the head.
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

  await client.query('BEGIN');
  try {
    if (hooks.afterBegin) await hooks.afterBegin(client);
    await client.query(
      'INSERT INTO streams (stream, last_revision, last_hash) VALUES ($1, -1, $2) ON CONFLICT (stream) DO NOTHING',
      [stream, GENESIS_HASH],
    );
    const head = await client.query<{ last_revision: string; last_hash: string }>(
      'SELECT last_revision::text AS last_revision, last_hash FROM streams WHERE stream = $1 FOR UPDATE',
      [stream],
    );
    const headRow = head.rows[0];
    if (!headRow) throw new Error(`stream ${stream}: head row missing after upsert`);
    const actual = Number(headRow.last_revision);

    const repeat = await findRepeat(client, stream, batch.map((event) => event.id), expected);
    if (repeat) {
      await client.query('ROLLBACK');
      return repeat;
    }
    if (!expectationHolds(expected, actual)) throw new WrongExpectedRevisionError(stream, expected, actual);

    let prevHash = headRow.last_hash;
    const rows = batch.map((event, index) => {
      const revision = actual + 1 + index;
      const hash = computeEventHash(prevHash, { stream, revision, ...event, recordedAt });
      const row = { revision, ...event, prev_hash: prevHash, hash };
      prevHash = hash;
      return row;
    });
    const inserted = await client.query<InsertedRow>(
      `INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at, prev_hash, hash)
       SELECT $1, r.revision, r.id, r.type, r.data, r.metadata, $2::timestamptz, r.prev_hash, r.hash
       FROM jsonb_to_recordset($3::jsonb)
         AS r(revision bigint, id uuid, type text, data jsonb, metadata jsonb, prev_hash text, hash text)
       ORDER BY r.revision
       RETURNING revision::text AS revision, transaction_id::text AS transaction_id,
         global_position::text AS global_position`,
      [stream, recordedAt, JSON.stringify(rows)],
    );
    const lastRevision = actual + batch.length;
    await client.query('UPDATE streams SET last_revision = $2, last_hash = $3 WHERE stream = $1', [
      stream,
      lastRevision,
      prevHash,
    ]);
    if (hooks.beforeCommit) await hooks.beforeCommit(client);
    await client.query('COMMIT');
    const last = inserted.rows.find((row) => Number(row.revision) === lastRevision);
    if (!last) throw new Error(`stream ${stream}: insert did not return revision ${lastRevision}`);
    return {
      nextExpectedRevision: lastRevision,
      position: { transactionId: last.transaction_id, position: last.global_position },
      appended: true,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw translateError(error);
  }
}

/**
 * Looks the batch's ids up. None stored: null. All stored as an idempotent repeat: the original
 * result. Otherwise: DuplicateEventIdError for the first stored id in batch order.
 */
async function findRepeat(
  client: pg.ClientBase,
  stream: string,
  ids: readonly string[],
  expected: ExpectedRevision,
): Promise<AppendResult | null> {
  const { rows } = await client.query<ExistingIdRow>(
    `SELECT id::text AS id, stream, revision::text AS revision, transaction_id::text AS transaction_id,
       global_position::text AS global_position
     FROM events WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  if (rows.length === 0) return null;
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
    const stored = ids.find((id) => byId.has(id)) ?? rows[0]!.id;
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
