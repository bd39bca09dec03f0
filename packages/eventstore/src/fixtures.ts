/** Event builders for tests of the store and of anything that reads from it. */
import { v7 as uuidv7 } from 'uuid';
import type { EventMetadataInput, NewEvent } from './port';

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
