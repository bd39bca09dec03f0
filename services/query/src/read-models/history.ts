import type { EventActor, RecordedEvent } from '@tongban/eventstore';
import { REDACTED, type ReporterDisclosure, mask } from '../access';

/** Event types a reporter never sees. */
// DuplicateMerged names the merged duplicate's reporting device: not for the lead's reporter or followers (issue 14 item 5).
const INTERNAL_TYPES = new Set(['InternalNoteAdded', 'DuplicateMerged']);

/** Keys of event data holding a staff member's id (the actor's, or the person a ticket is reassigned to). */
const STAFF_ID_KEYS = ['staffId', 'toStaffId'];

/**
 * A history entry as a citizen reads it: no staff member's id, neither as the actor (the role and unit stay)
 * nor in the data; the console's staff readers see them (and the gateway adds their names).
 */
export function withoutStaffIds<E extends { actor: EventActor; data: Record<string, unknown> }>(entry: E): Omit<E, 'actor'> & { actor: Partial<EventActor> } {
  const { id: _id, ...actor } = entry.actor;
  return {
    ...entry,
    actor: entry.actor.kind === 'staff' ? actor : entry.actor,
    data: Object.fromEntries(Object.entries(entry.data).filter(([k]) => !STAFF_ID_KEYS.includes(k))),
  };
}

/**
 * A ticket's history as served by GET /api/v1/tickets/{id}/history: the events in revision order with
 * revision, type, occurredAt, recordedAt, actor, onBehalfOf, channel and data. For the reporter,
 * internal notes and non-public replies are left out; the reporter's identity is disclosed as `disclosure`
 * says (access.ts: full, masked, or hidden for a confidential ticket's readers outside its circle).
 */
export function historyEntries(events: readonly RecordedEvent[], options: { forReporter: boolean; disclosure: ReporterDisclosure }) {
  return events
    .filter((e) => !options.forReporter || (!INTERNAL_TYPES.has(e.type) && !(e.type === 'TicketReplied' && e.data['public'] !== true)))
    .map((e) => {
      const shown = discloseEvent(e, options.disclosure);
      return {
        eventId: e.id,
        revision: e.revision,
        type: e.type,
        occurredAt: e.metadata.occurredAt,
        recordedAt: e.recordedAt,
        actor: shown.actor,
        onBehalfOf: shown.onBehalfOf,
        channel: e.metadata.channel,
        service: e.metadata.service,
        data: shown.data,
        hash: e.hash,
      };
    });
}

/**
 * What a reader sees of an event's personal data under a disclosure: `full` as recorded; `masked` (see
 * {@link maskPersonalData}); `hidden` (issue 14 item 6, a confidential ticket): the reporter's name, phone,
 * e-mail, account and device id, the proxy's person and contact, and the id of a citizen actor (the
 * reporter's device, or a follower's) are {@link REDACTED}.
 */
export function discloseEvent(e: Pick<RecordedEvent, 'type' | 'data' | 'metadata'>, disclosure: ReporterDisclosure): { data: Record<string, unknown>; actor: EventActor; onBehalfOf: string | undefined } {
  const { actor, onBehalfOf } = e.metadata;
  if (disclosure === 'full') return { data: e.data, actor, onBehalfOf };
  if (disclosure === 'masked') return { data: maskPersonalData(e), actor, onBehalfOf };
  return {
    data: hidePersonalData(e),
    actor: actor?.kind === 'citizen' ? { ...actor, id: REDACTED } : actor,
    onBehalfOf: onBehalfOf ? REDACTED : onBehalfOf,
  };
}

/** The event data with reporters' personal data masked (TicketSubmitted: reporter name, phone, email; onBehalfOf contact). */
function maskPersonalData(e: Pick<RecordedEvent, 'type' | 'data'>): Record<string, unknown> {
  return replacePersonalData(e, (v) => (typeof v === 'string' ? mask(v) : v), false);
}

/** The event data with every identifying value of the reporter replaced by REDACTED (a confidential ticket). */
function hidePersonalData(e: Pick<RecordedEvent, 'type' | 'data'>): Record<string, unknown> {
  return replacePersonalData(e, (v) => (typeof v === 'string' && v !== '' ? REDACTED : v), true);
}

function replacePersonalData(e: Pick<RecordedEvent, 'type' | 'data'>, m: (v: unknown) => unknown, all: boolean): Record<string, unknown> {
  if (e.type !== 'TicketSubmitted') return e.data;
  const reporter = (e.data['reporter'] ?? {}) as Record<string, unknown>;
  const onBehalfOf = e.data['onBehalfOf'] as Record<string, unknown> | undefined;
  return {
    ...e.data,
    reporter: {
      ...reporter, name: m(reporter['name']), phone: m(reporter['phone']), email: m(reporter['email']),
      ...(all ? { deviceId: m(reporter['deviceId']), accountId: m(reporter['accountId']) } : {}),
    },
    ...(onBehalfOf ? { onBehalfOf: { ...onBehalfOf, contact: m(onBehalfOf['contact']), ...(all ? { name: m(onBehalfOf['name']) } : {}) } } : {}),
  };
}
