import type { events } from '@tongban/contracts';

/**
 * The events of a ticket stream as a tagged union: `type` is the proto message name and `data` the
 * message (protobuf canonical JSON shape). Schemas: proto/tongban/ticket/v1/events.proto.
 */
export type TicketEvent =
  | { type: 'TicketSubmitted'; data: events.TicketSubmitted }
  | { type: 'TicketRouted'; data: events.TicketRouted }
  | { type: 'TicketAccepted'; data: events.TicketAccepted }
  | { type: 'TicketReplied'; data: events.TicketReplied }
  | { type: 'InternalNoteAdded'; data: events.InternalNoteAdded }
  | { type: 'TicketTransferred'; data: events.TicketTransferred }
  | { type: 'TicketHandedBack'; data: events.TicketHandedBack }
  | { type: 'InformationRequested'; data: events.InformationRequested }
  | { type: 'InformationAdded'; data: events.InformationAdded }
  | { type: 'ResolutionDeadlineSet'; data: events.ResolutionDeadlineSet }
  | { type: 'TicketResolved'; data: events.TicketResolved }
  | { type: 'ResolutionVerified'; data: events.ResolutionVerified }
  | { type: 'TicketClosed'; data: events.TicketClosed }
  | { type: 'TicketReopened'; data: events.TicketReopened }
  | { type: 'TicketRated'; data: events.TicketRated }
  | { type: 'AttachmentAdded'; data: events.AttachmentAdded }
  | { type: 'TicketRejected'; data: events.TicketRejected }
  | { type: 'TicketMarkedDuplicate'; data: events.TicketMarkedDuplicate }
  | { type: 'TicketWithdrawn'; data: events.TicketWithdrawn }
  | { type: 'TicketReassigned'; data: events.TicketReassigned }
  | { type: 'TicketEscalated'; data: events.TicketEscalated }
  | { type: 'DeadlineWarningIssued'; data: events.DeadlineWarningIssued }
  | { type: 'DeadlineBreached'; data: events.DeadlineBreached }
  | { type: 'SignForBreached'; data: events.SignForBreached }
  | { type: 'TicketReturned'; data: events.TicketReturned }
  | { type: 'ReturnReviewed'; data: events.ReturnReviewed }
  | { type: 'CallbackRecorded'; data: events.CallbackRecorded }
  | { type: 'TicketFollowed'; data: events.TicketFollowed }
  | { type: 'TicketMerged'; data: events.TicketMerged }
  | { type: 'DuplicateMerged'; data: events.DuplicateMerged }
  | { type: 'CallbackOverdue'; data: events.CallbackOverdue };

/** Every event type name. */
export type TicketEventType = TicketEvent['type'];

/** An event as evolve sees it: the payload plus when it happened (UTC ISO-8601) and who did it. */
export type TicketEventEnvelope = TicketEvent & { occurredAt: string; actor: { kind: string; id: string; unitId?: string } };

/** All event type names, for consumers that subscribe to every ticket event. */
export const TICKET_EVENT_TYPES: readonly TicketEventType[] = [
  'TicketSubmitted', 'TicketRouted', 'TicketAccepted', 'TicketReplied', 'InternalNoteAdded',
  'TicketTransferred', 'TicketHandedBack', 'InformationRequested', 'InformationAdded',
  'ResolutionDeadlineSet', 'TicketResolved', 'ResolutionVerified', 'TicketClosed', 'TicketReopened',
  'TicketRated', 'TicketRejected', 'TicketMarkedDuplicate', 'TicketWithdrawn', 'TicketReassigned',
  'TicketEscalated', 'DeadlineWarningIssued', 'DeadlineBreached', 'AttachmentAdded', 'SignForBreached',
  'TicketReturned', 'ReturnReviewed', 'CallbackRecorded', 'TicketFollowed', 'TicketMerged', 'DuplicateMerged',
  'CallbackOverdue',
];

/** Prefix of every ticket stream name. */
export const TICKET_STREAM_PREFIX = 'ticket-';

/** The ticket stream name for a ticket id (ids are lower-case UUIDs). */
export function ticketStream(ticketId: string): string {
  return `${TICKET_STREAM_PREFIX}${ticketId}`;
}

/** The ticket id of a ticket stream name, or undefined for any other stream. */
export function ticketIdOf(stream: string): string | undefined {
  return stream.startsWith(TICKET_STREAM_PREFIX) ? stream.slice(TICKET_STREAM_PREFIX.length) : undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` has the shape of a ticket id (a UUID, either case). */
export function isTicketId(id: string): boolean {
  return UUID.test(id);
}
