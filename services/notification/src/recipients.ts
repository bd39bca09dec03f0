import type { TicketEvent, TicketState } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';

/** Who receives a message: a unit's inbox, a staff member's, or a citizen device's. */
export interface Recipient {
  kind: 'unit' | 'staff' | 'device';
  id: string;
}

/** One message to deliver. */
export interface Notice {
  recipient: Recipient;
  /** ticket-arrived | public-reply | resolved | information-requested | escalated | deadline-warning | deadline-breached | reopened */
  kind: string;
  title: string;
  body: string;
}

/** The reporter's inbox: the device, or the officer who submitted on someone's behalf. */
export function reporterOf(s: TicketState): Recipient | undefined {
  if (s.reporter.deviceId) return { kind: 'device', id: s.reporter.deviceId };
  if (s.reporter.staffId) return { kind: 'staff', id: s.reporter.staffId };
  return undefined;
}

/**
 * The notices an event causes, given the ticket's state after it (pure):
 * routed/transferred/reopened → the unit now holding it; public reply, resolution, request for
 * information → the reporter; escalation → the supervising unit; deadline warning/breach → the holder.
 */
/** The event types {@link noticesFor} can give notices for (every other type gives none, whatever the state). */
export const NOTIFYING_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  'TicketRouted', 'TicketTransferred', 'TicketHandedBack', 'TicketReopened', 'TicketReplied', 'TicketResolved',
  'InformationRequested', 'TicketEscalated', 'DeadlineWarningIssued', 'DeadlineBreached',
] satisfies TicketEvent['type'][]);

export function noticesFor(event: RecordedEvent, s: TicketState): Notice[] {
  const ref = `${s.reference} ${s.title}`;
  const d = event.data as Record<string, unknown>;
  const reporter = reporterOf(s);
  const toReporter = (kind: string, title: string, body: string): Notice[] => (reporter ? [{ recipient: reporter, kind, title, body }] : []);
  const toUnit = (unitId: unknown, kind: string, title: string, body: string): Notice[] =>
    typeof unitId === 'string' && unitId ? [{ recipient: { kind: 'unit', id: unitId }, kind, title, body }] : [];
  switch (event.type) {
    case 'TicketRouted': return toUnit(d['unitId'], 'ticket-arrived', `新工单 New ticket: ${ref}`, s.description);
    case 'TicketTransferred': return toUnit(d['toUnitId'], 'ticket-arrived', `转办工单 Transferred: ${ref}`, String(d['reason'] ?? ''));
    case 'TicketHandedBack': return toUnit(d['toUnitId'], 'handed-back', `交回 Handed back: ${ref}`, String(d['findings'] ?? ''));
    case 'TicketReopened': return toUnit(d['unitId'], 'reopened', `重新办理 Reopened: ${ref}`, String(d['reason'] ?? ''));
    case 'TicketReplied': return d['public'] === true ? toReporter('public-reply', `答复 Reply: ${ref}`, String(d['message'] ?? '')) : [];
    case 'TicketResolved': return toReporter('resolved', `已办结 Resolved: ${ref}`, String(d['resolution'] ?? ''));
    case 'InformationRequested': return toReporter('information-requested', `请补充 Information requested: ${ref}`, String(d['question'] ?? ''));
    case 'TicketEscalated': return toUnit(d['toUnitId'], 'escalated', `督办 Escalated: ${ref}`, String(d['reason'] ?? ''));
    case 'DeadlineWarningIssued': return toUnit(s.holderUnitId, 'deadline-warning', `即将超时 Due soon: ${ref}`, `${String(d['leg'])} due ${String(d['dueAt'])}`);
    case 'DeadlineBreached': return toUnit(s.holderUnitId, 'deadline-breached', `已超时 Overdue: ${ref}`, `${String(d['leg'])} was due ${String(d['dueAt'])}`);
    default: return [];
  }
}
