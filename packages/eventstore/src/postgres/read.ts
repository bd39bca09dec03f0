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
  // A named (prepared) statement: parsed and planned once per connection — every command and most
  // consumers read a stream, and planning was about half of the server's CPU for this statement (issue 13).
  const { rows } = await db.query<EventRow>({
    name: 'eventstore_read_stream',
    text: `SELECT ${EVENT_COLUMNS} FROM events e
     WHERE e.stream = $1 AND e.revision >= $2 AND ($3::bigint IS NULL OR e.revision <= $3::bigint)
     ORDER BY e.revision`,
    values: [stream, options.fromRevision ?? 0, options.toRevision ?? null],
  });
  return rows.map(toRecordedEvent);
}

/**
 * The events of each of `streams` in revision order (see {@link readStream}), in one statement: every
 * stream named maps to its events, [] when it does not exist. Reads committed data.
 */
export async function readStreams(db: pg.Pool | pg.ClientBase, streams: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
  const read = new Map<string, RecordedEvent[]>();
  for (const stream of streams) read.set(stream, []);
  if (read.size === 0) return read;
  const { rows } = await db.query<EventRow>({
    name: 'eventstore_read_streams',
    text: `SELECT ${EVENT_COLUMNS} FROM events e WHERE e.stream = ANY($1::text[]) ORDER BY e.stream, e.revision`,
    values: [[...read.keys()]],
  });
  for (const row of rows) {
    const event = toRecordedEvent(row);
    read.get(event.stream)?.push(event);
  }
  return read;
}

/**
 * The read horizon (an xid8): the oldest transaction still running that could write to this database's
 * `events`, else the snapshot's xmax. It is `pg_snapshot_xmin(pg_current_snapshot())` except that
 * running transactions known to belong to *another* database (pg_stat_activity.backend_xid of a backend
 * connected elsewhere) are left out: a transaction is bound to one database and cannot write our rows,
 * so a long transaction elsewhere on the server no longer freezes the pipeline (issue 16 item 10).
 * A running xid that cannot be attributed (another role's backend without pg_read_all_stats, a
 * prepared transaction, a backend that just ended) still counts: the bound never passes a transaction
 * that might commit rows here later.
 */
export const READ_HORIZON_SQL = `(SELECT COALESCE(
    (SELECT min(x) FROM pg_snapshot_xip(snap.s) AS x
      WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                        WHERE a.backend_xid = x::xid AND a.datid IS NOT NULL AND a.datname <> current_database())),
    pg_snapshot_xmax(snap.s))
  FROM (SELECT pg_current_snapshot() AS s) snap)`;

/**
 * Up to `limit` events in global order, strictly after `after` (null: from the start).
 * Only rows written by transactions older than the read horizon ({@link READ_HORIZON_SQL}: the oldest
 * transaction still running that could write here) are returned: every such transaction has finished,
 * and any transaction that commits later has a larger id, so the order `(transaction_id,
 * global_position)` never inserts an event before a returned checkpoint.
 * The price: an event becomes readable only once all older transactions of this database have ended
 * (see `pipelineStall` for seeing who holds it).
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
         WHERE e.transaction_id < ${READ_HORIZON_SQL}
           AND (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
         ORDER BY e.transaction_id, e.global_position
         LIMIT $3`,
        [after.transactionId, after.position, limit],
      )
    : await db.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events e
         WHERE e.transaction_id < ${READ_HORIZON_SQL}
         ORDER BY e.transaction_id, e.global_position
         LIMIT $1`,
        [limit],
      );
  return rows.map(toRecordedEvent);
}
