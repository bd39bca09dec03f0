/** Mapping between `events` rows and RecordedEvent. */
import type { EventMetadataInput, RecordedEvent } from '../port';

/**
 * Column list selecting an `events` row in the shape of {@link EventRow}. Some aliases shadow column
 * names with text values: ORDER BY must use qualified names (`e.revision`) to sort numerically.
 */
export const EVENT_COLUMNS = `id::text AS id, type, stream, revision::text AS revision,
  transaction_id::text AS transaction_id, global_position::text AS global_position,
  recorded_at, data, metadata, prev_hash, hash`;

/** An `events` row as selected with {@link EVENT_COLUMNS} (64-bit numbers as decimal strings). */
export interface EventRow {
  id: string;
  type: string;
  stream: string;
  revision: string;
  transaction_id: string;
  global_position: string;
  recorded_at: Date;
  data: Record<string, unknown>;
  metadata: EventMetadataInput;
  prev_hash: string;
  hash: string;
}

/** Converts a row to the port's RecordedEvent (recordedAt as UTC ISO-8601 with milliseconds). */
export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    stream: row.stream,
    revision: Number(row.revision),
    position: { transactionId: row.transaction_id, position: row.global_position },
    recordedAt: row.recorded_at.toISOString(),
    data: row.data,
    metadata: row.metadata,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
