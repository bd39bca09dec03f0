/**
 * Recording disclosures: every unmasked export of reporters' personal data is appended as a
 * PersonalDataDisclosed event to `audit-disclosures` before any data is handed out, so that the
 * request itself is part of the tamper-evident record (and anchored like every stream).
 */
import type { audit } from '@tongban/contracts';
import type { EventActor, EventStore } from '@tongban/eventstore';
import { v7 as uuidv7 } from 'uuid';
import { DISCLOSURE_STREAM } from './streams';

/** Type name of the disclosure event. */
const DISCLOSURE_EVENT_TYPE = 'PersonalDataDisclosed';

/**
 * Appends a PersonalDataDisclosed event for `actor` (the auditor) and returns its id.
 * @throws whatever the store throws (e.g. a read-only database role: permission denied) — callers must
 *   not disclose anything then.
 */
export async function recordDisclosure(
  store: EventStore, actor: EventActor, disclosure: audit.PersonalDataDisclosed, occurredAt: Date, correlationId?: string,
): Promise<string> {
  const id = uuidv7();
  await store.append(DISCLOSURE_STREAM, [{
    id,
    type: DISCLOSURE_EVENT_TYPE,
    data: { ...disclosure },
    metadata: {
      actor, channel: disclosure.via === 'api' ? 'web' : 'cli', correlationId: correlationId ?? id, service: 'query', schemaVersion: 1,
      occurredAt: occurredAt.toISOString(),
    },
  }], 'any');
  return id;
}
