/**
 * The store boundary of ticket events: a recorded event becomes the decider's envelope here, once, with
 * the codecs ts-proto generates from proto/tongban/ticket/v1/events.proto; events stored by older code
 * are brought to the current shape here ({@link UPCASTS}); and an event this code cannot read is refused
 * here — never skipped, never folded into a broken state.
 */
import { events } from '@tongban/contracts';
import { levelOfScore, type TicketEvent, type TicketEventEnvelope, type TicketEventType } from '@tongban/domain';
import type { EventMetadataInput, RecordedEvent } from '@tongban/eventstore';

/** What decoding reads of a recorded event. */
export type DecodableEvent = Pick<RecordedEvent, 'id' | 'type' | 'stream' | 'revision' | 'data'> & {
  metadata: Pick<EventMetadataInput, 'occurredAt' | 'actor'>;
};

/** The generated decoder (protobuf canonical JSON → message) of each ticket event type. */
const CODECS: { readonly [K in TicketEventType]: { fromJSON(object: unknown): Extract<TicketEvent, { type: K }>['data'] } } = {
  TicketSubmitted: events.TicketSubmitted,
  TicketRouted: events.TicketRouted,
  TicketAccepted: events.TicketAccepted,
  TicketReplied: events.TicketReplied,
  InternalNoteAdded: events.InternalNoteAdded,
  TicketTransferred: events.TicketTransferred,
  TicketHandedBack: events.TicketHandedBack,
  InformationRequested: events.InformationRequested,
  InformationAdded: events.InformationAdded,
  ResolutionDeadlineSet: events.ResolutionDeadlineSet,
  TicketResolved: events.TicketResolved,
  ResolutionVerified: events.ResolutionVerified,
  TicketClosed: events.TicketClosed,
  TicketReopened: events.TicketReopened,
  TicketRated: events.TicketRated,
  AttachmentAdded: events.AttachmentAdded,
  TicketRejected: events.TicketRejected,
  TicketMarkedDuplicate: events.TicketMarkedDuplicate,
  TicketWithdrawn: events.TicketWithdrawn,
  TicketReassigned: events.TicketReassigned,
  TicketEscalated: events.TicketEscalated,
  DeadlineWarningIssued: events.DeadlineWarningIssued,
  DeadlineBreached: events.DeadlineBreached,
  SignForBreached: events.SignForBreached,
  TicketReturned: events.TicketReturned,
  ReturnReviewed: events.ReturnReviewed,
  CallbackRecorded: events.CallbackRecorded,
  TicketFollowed: events.TicketFollowed,
  TicketMerged: events.TicketMerged,
  DuplicateMerged: events.DuplicateMerged,
  CallbackOverdue: events.CallbackOverdue,
};

/** True when `type` is a ticket event type this code knows (proto/tongban/ticket/v1/events.proto). */
export function isKnownTicketEventType(type: string): type is TicketEventType {
  return Object.hasOwn(CODECS, type);
}

/**
 * One change of a stored event's shape that absence alone does not express (a renamed type or field, a
 * value to derive): events stored before it are rewritten to the current shape as they are read. The
 * stored event is never changed (its hash covers it as written).
 */
export interface Upcast {
  /** The type name as stored: an old name, or the current one when a field changed. */
  type: string;
  /** The old field (or the type itself) and what it becomes, and since when. */
  change: string;
  /** The event's current type name and data (JSON, before decoding). */
  upcast(data: Readonly<Record<string, unknown>>): { type: string; data: Record<string, unknown> };
}

/**
 * The upcasts, oldest first; each applies to the output of the ones before it, so a chain of changes of
 * one event type is one entry per change. Fields added since an event was first written need no entry:
 * absent, they decode to the proto default, which the proto comment gives as their meaning for older
 * events (e.g. TicketSubmitted.division_derivation, TicketResolved.callback_due_at). Every historical
 * version is a fixture in ticket-events.unit.test.ts (src/testing/historical-ticket-events.json).
 */
export const UPCASTS: readonly Upcast[] = [
  {
    type: 'TicketRated',
    change: 'level (added in issue 14 item 4; older ratings have a score only) → the level of the score, 5 very_satisfied … 1 very_dissatisfied',
    upcast: (data) => {
      const level = typeof data['level'] === 'string' && data['level'] ? undefined : levelOfScore(Number(data['score']));
      return { type: 'TicketRated', data: level ? { ...data, level } : { ...data } };
    },
  },
];

const UPCAST_TYPES: ReadonlySet<string> = new Set(UPCASTS.map((u) => u.type));

/** True when events stored under `type` can be read: a current type, or an old one an upcast renames. */
export function isReadableTicketEventType(type: string): boolean {
  return isKnownTicketEventType(type) || UPCAST_TYPES.has(type);
}

/**
 * A stored event this code cannot read (an unknown type, or data that is not an object), naming the
 * stream, revision, id and type. Reads and commands on its ticket answer FAILED_PRECONDITION
 * `undecodable_event`; consumers park it (dead letter) with an alert — `poison` tells them so.
 */
export class UndecodableEventError extends Error {
  override readonly name = 'UndecodableEventError';
  readonly code = 'undecodable_event';
  /** Consumers dead-letter the message at once instead of retrying it. */
  readonly poison = true;
  constructor(
    readonly reason: 'unknown_event_type' | 'invalid_event_data',
    readonly stream: string,
    readonly revision: number,
    readonly eventId: string,
    readonly type: string,
  ) {
    super(reason === 'unknown_event_type'
      ? `${stream} has an event of unknown type ${JSON.stringify(type)} at revision ${revision} (event ${eventId}); this service cannot read the stream past it`
      : `${stream} has an event of type ${type} with unreadable data at revision ${revision} (event ${eventId})`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes one recorded ticket event into the envelope `evolve` consumes: the stored type and data
 * upcast ({@link UPCASTS}), then decoded with the generated codec of the type (proto defaults for
 * absent fields, values coerced to the declared types, unknown fields dropped); occurredAt and actor
 * from the metadata.
 * @throws UndecodableEventError for data that is not a JSON object, or a type (after upcasting) outside
 *   TICKET_EVENT_TYPES.
 */
export function decodeTicketEvent(recorded: DecodableEvent): TicketEventEnvelope {
  if (!isReadableTicketEventType(recorded.type)) {
    throw new UndecodableEventError('unknown_event_type', recorded.stream, recorded.revision, recorded.id, recorded.type);
  }
  const stored: unknown = recorded.data;
  if (!isPlainObject(stored)) {
    throw new UndecodableEventError('invalid_event_data', recorded.stream, recorded.revision, recorded.id, recorded.type);
  }
  let type = recorded.type;
  let data = stored;
  for (const upcast of UPCASTS) {
    if (upcast.type === type) ({ type, data } = upcast.upcast(data));
  }
  if (!isKnownTicketEventType(type)) {
    throw new UndecodableEventError('unknown_event_type', recorded.stream, recorded.revision, recorded.id, recorded.type);
  }
  // The codec is the one of `type`, so type and data agree (TypeScript does not correlate the union).
  return { type, data: CODECS[type].fromJSON(data), occurredAt: recorded.metadata.occurredAt, actor: recorded.metadata.actor } as TicketEventEnvelope;
}

/** Decodes a stream's events in order (see {@link decodeTicketEvent}). */
export function toEnvelopes(stream: readonly DecodableEvent[]): TicketEventEnvelope[] {
  return stream.map(decodeTicketEvent);
}
