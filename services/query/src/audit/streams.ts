/**
 * Reading the store's tables in bulk for verification (many streams per query). The row mapping is
 * the PostgreSQL adapter's (packages/eventstore rows.ts): recomputed hashes must see exactly what the
 * adapter returns — jsonb data and metadata as parsed, `recorded_at` as `Date#toISOString()`.
 */
import { type EventRow, type RecordedEvent, toRecordedEvent } from '@tongban/eventstore';
import type pg from 'pg';

/** The stream holding AuditAnchorRecorded events. */
export const ANCHOR_STREAM = 'audit-anchors';

/** The stream holding PersonalDataDisclosed events (unmasked exports). */
export const DISCLOSURE_STREAM = 'audit-disclosures';

/** Ticket streams are `ticket-<uuid>` (the domain's naming); every other stream is left out of ticket verification. */
export { TICKET_STREAM_PREFIX } from '@tongban/domain';

/** A database handle: a pool or a client. */
export type Db = pg.Pool | pg.PoolClient | pg.Client;

/** Columns selecting an `events` row as {@link EventRow}. */
export const EVENT_SELECT = `e.id::text AS id, e.type, e.stream, e.revision::text AS revision,
  e.transaction_id::text AS transaction_id, e.global_position::text AS global_position,
  e.recorded_at, e.data, e.metadata, e.prev_hash, e.hash`;

/** Converts an `events` row (selected with {@link EVENT_SELECT}) to a RecordedEvent (the store's own mapping). */
export const toRecorded = toRecordedEvent;

/** The events of several streams, by stream, each in revision order (streams without events are absent). */
export async function readStreams(db: Db, streams: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
  const out = new Map<string, RecordedEvent[]>();
  if (streams.length === 0) return out;
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_SELECT} FROM events e WHERE e.stream = ANY($1::text[]) ORDER BY e.stream, e.revision`, [streams],
  );
  for (const row of rows) {
    const event = toRecorded(row);
    const list = out.get(event.stream);
    if (list) list.push(event);
    else out.set(event.stream, [event]);
  }
  return out;
}

/** A stream's row in `streams`: the head the store moved with every append. */
export interface StreamHeadRow {
  /** Last revision (-1 when created but empty). */
  lastRevision: number;
  /** Hash of the event at lastRevision. */
  lastHash: string;
}

/** The `streams` rows of several streams (absent when there is none). */
export async function readHeads(db: Db, streams: readonly string[]): Promise<Map<string, StreamHeadRow>> {
  if (streams.length === 0) return new Map();
  const { rows } = await db.query<{ stream: string; last_revision: string; last_hash: string }>(
    'SELECT stream, last_revision::text AS last_revision, last_hash FROM streams WHERE stream = ANY($1::text[])', [streams],
  );
  return new Map(rows.map((r) => [r.stream, { lastRevision: Number(r.last_revision), lastHash: r.last_hash }]));
}
