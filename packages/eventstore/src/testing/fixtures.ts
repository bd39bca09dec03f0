/** Event builders for tests of the store and of anything that reads from it. */
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { computeEventHash, GENESIS_HASH } from '../hash';
import type { EventMetadataInput, NewEvent } from '../port';
import { withTransaction } from '../postgres/transaction';

/** A stream name in the production shape, `ticket-<uuidv7>`. */
export function newTicketStream(): string {
  return `ticket-${uuidv7()}`;
}

/**
 * A valid NewEvent with a fresh UUIDv7 id and complete metadata (system actor, service "test",
 * schema version 1, occurredAt 2026-01-01T00:00:00.000Z); `overrides` replace top-level fields,
 * `metadata` fields are merged.
 */
export function newTestEvent(
  type = 'TicketReplied',
  data: Record<string, unknown> = {},
  metadata: Partial<EventMetadataInput> = {},
): NewEvent {
  return {
    id: uuidv7(),
    type,
    data,
    metadata: {
      actor: { kind: 'system', id: 'test' },
      correlationId: uuidv7(),
      service: 'test',
      schemaVersion: 1,
      occurredAt: '2026-01-01T00:00:00.000Z',
      ...metadata,
    },
  };
}

/**
 * Appends `event` to `stream` in PostgreSQL with plain SQL, skipping the store's argument checks (hash
 * chain kept): what an older writer or another tool could have stored, e.g. a type with a `.` in it.
 * For tests of readers that must cope with such events. Returns the new revision.
 */
export async function appendUnchecked(pool: pg.Pool, stream: string, event: NewEvent): Promise<number> {
  return withTransaction(pool, async (client) => {
    await client.query('INSERT INTO streams (stream, last_revision, last_hash) VALUES ($1, -1, $2) ON CONFLICT DO NOTHING', [stream, GENESIS_HASH]);
    const head = (await client.query<{ r: string; h: string }>('SELECT last_revision::text AS r, last_hash AS h FROM streams WHERE stream = $1 FOR UPDATE', [stream])).rows[0]!;
    const revision = Number(head.r) + 1;
    const recordedAt = new Date().toISOString();
    const hash = computeEventHash(head.h, { stream, revision, type: event.type, data: event.data, metadata: event.metadata, id: event.id, recordedAt });
    await client.query(
      `INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
      [stream, revision, event.id, event.type, event.data, event.metadata, recordedAt, head.h, hash],
    );
    await client.query('UPDATE streams SET last_revision = $2, last_hash = $3 WHERE stream = $1', [stream, revision, hash]);
    return revision;
  });
}
