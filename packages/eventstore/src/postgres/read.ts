/** Reading queries of the PostgreSQL adapter: one stream by revision, all streams in global order. */
import type pg from 'pg';
import type { GlobalPosition, RecordedEvent } from '../port';
import { validateLimit, validateRange } from '../validation';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './rows';

/**
 * Events of `stream` with fromRevision ≤ revision ≤ toRevision (both optional, inclusive), in revision
 * order; [] when the stream does not exist. Reads committed data (read-your-writes after an append).
 * @throws RangeError on a negative or non-integer revision.
 */
export async function readStream(
  db: pg.Pool | pg.ClientBase,
  stream: string,
  options: { fromRevision?: number; toRevision?: number } = {},
): Promise<RecordedEvent[]> {
  validateRange(options);
  const { rows } = await db.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events e
     WHERE e.stream = $1 AND e.revision >= $2 AND ($3::bigint IS NULL OR e.revision <= $3::bigint)
     ORDER BY e.revision`,
    [stream, options.fromRevision ?? 0, options.toRevision ?? null],
  );
  return rows.map(toRecordedEvent);
}

/**
 * Up to `limit` events in global order, strictly after `after` (null: from the start).
 * Only rows written by transactions older than the oldest transaction still running
 * (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`) are returned: every such transaction
 * has finished, and any transaction that commits later has a larger id, so the order
 * `(transaction_id, global_position)` never inserts an event before a returned checkpoint.
 * The price: an event becomes readable only once all older transactions on the server have ended.
 * @throws RangeError when limit is not a positive integer.
 */
export async function readAll(
  db: pg.Pool | pg.ClientBase,
  after: GlobalPosition | null,
  limit: number,
): Promise<RecordedEvent[]> {
  validateLimit(limit);
  const { rows } = after
    ? await db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events e
         WHERE e.transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
           AND (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
         ORDER BY e.transaction_id, e.global_position
         LIMIT $3`,
        [after.transactionId, after.position, limit],
      )
    : await db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events e
         WHERE e.transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
         ORDER BY e.transaction_id, e.global_position
         LIMIT $1`,
        [limit],
      );
  return rows.map(toRecordedEvent);
}
