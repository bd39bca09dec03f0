/**
 * The human-readable timeline of a ticket (`tongban-audit history <id>`): one block per event with the
 * time in Asia/Shanghai, who acted (kind, id, unit, role), the channel, on whose behalf, and what
 * changed — the state before and after the event, evolved with the decider, compared field by field.
 */
import { type TicketState, evolve, formatShanghai, initialTicketState } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { decodeTicketEvent, isReadableTicketEventType } from '@tongban/runtime';

/** The parts of an event the timeline uses (a RecordedEvent or a history entry of the API). */
export interface TimelineEvent {
  revision: number;
  type: string;
  occurredAt: string;
  recordedAt?: string;
  actor: { kind: string; id: string; unitId?: string; role?: string };
  onBehalfOf?: string;
  channel?: string;
  data: Record<string, unknown>;
}

/** An instant as `YYYY-MM-DD HH:mm:ss` in Asia/Shanghai (UTC+8, no daylight saving). */
export function shanghai(instant: string | undefined): string {
  if (!instant) return '—';
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) return instant;
  return formatShanghai(ms, 's').replace('T', ' ').slice(0, 19);
}

function unitName(ref: ReferenceData | undefined, id: string | undefined): string {
  if (!id) return '—';
  const name = ref?.unitsById.get(id)?.name;
  return name ? `${name} (${id})` : id;
}

/** Words for what happened, from the event's data. */
function summary(e: TimelineEvent, ref?: ReferenceData): string {
  const d = e.data;
  const text = (key: string) => (typeof d[key] === 'string' && d[key] ? `“${String(d[key])}”` : '');
  switch (e.type) {
    case 'TicketSubmitted': return `submitted ${text('title')} (${String(d['serviceCode'] ?? '')}, division ${String(d['division'] ?? '')}${ref?.divisions.get(String(d['division']))?.name ? ` ${ref.divisions.get(String(d['division']))!.name}` : ''})`;
    case 'TicketRouted': return `routed to ${unitName(ref, String(d['unitId'] ?? ''))}${d['suggestedDepartment'] ? ` (suggested department ${String(d['suggestedDepartment'])})` : ''}`;
    case 'TicketAccepted': return `accepted by ${String(d['staffId'] ?? '')}${d['firstResponder'] ? ' — first responder (首问责任人)' : ''}`;
    case 'TicketReassigned': return `reassigned to ${unitName(ref, String(d['toUnitId'] ?? ''))}${d['toStaffId'] ? ` (${String(d['toStaffId'])})` : ''}: ${text('reason')}`;
    case 'TicketReplied': return `${d['public'] ? 'public' : 'internal'} reply ${text('message')}`;
    case 'InternalNoteAdded': return `internal note ${text('text')}`;
    case 'TicketTransferred': return `transferred to ${unitName(ref, String(d['toUnitId'] ?? ''))}: ${text('reason')}`;
    case 'TicketHandedBack': return `handed back to ${unitName(ref, String(d['toUnitId'] ?? ''))}: ${text('findings')}`;
    case 'InformationRequested': return `asked the reporter ${text('question')}`;
    case 'InformationAdded': return `the reporter answered ${text('text')}`;
    case 'ResolutionDeadlineSet': return `announced the resolution deadline ${shanghai(String(d['dueAt'] ?? ''))}: ${text('reason')}`;
    case 'TicketResolved': return `resolved ${text('resolution')}`;
    case 'ResolutionVerified': return `verified the resolution by ${String(d['method'] ?? '')} ${text('note')}`;
    case 'TicketClosed': return `closed (${String(d['closedBy'] ?? '')}) ${text('reason')}`;
    case 'TicketReopened': return `reopened ${text('reason')}`;
    case 'TicketRated': return `rated ${String(d['score'] ?? '')}/5${d['level'] ? ` (${String(d['level'])})` : ''} ${text('comment')}`;
    case 'CallbackRecorded': return d['reached'] ? `callback (${String(d['channel'] ?? '')}): ${String(d['rating'] ?? '')} ${text('comment')}` : `callback attempt ${String(d['attempt'] ?? '')} (${String(d['channel'] ?? '')}): not reached`;
    case 'TicketRejected': return `rejected (${String(d['category'] ?? '')}) ${text('reason')}`;
    case 'TicketWithdrawn': return `withdrawn ${text('reason')}`;
    case 'TicketMarkedDuplicate': return `marked as a duplicate of ${String(d['ofTicketId'] ?? '')}`;
    case 'TicketEscalated': return `${d['automatic'] ? 'automatically ' : ''}escalated (level ${String(d['level'] ?? '')}) to ${unitName(ref, String(d['toUnitId'] ?? ''))}: ${text('reason')}`;
    case 'DeadlineWarningIssued': return `warning: ${String(d['leg'] ?? '')} due ${shanghai(String(d['dueAt'] ?? ''))}`;
    case 'DeadlineBreached': return `BREACH: ${String(d['leg'] ?? '')} was due ${shanghai(String(d['dueAt'] ?? ''))}`;
    case 'CallbackOverdue': return `CALLBACK OVERDUE: the callback (${String(d['callbackBy'] || 'first-responder')}) was due ${shanghai(String(d['dueAt'] ?? ''))}`;
    case 'SignForBreached': return `SIGN-FOR MISSED: ${unitName(ref, String(d['unitId'] ?? ''))} was to sign for it by ${shanghai(String(d['dueAt'] ?? ''))}`;
    default: return e.type;
  }
}

/** Field-by-field changes between two states, as `field: before → after` lines. */
function stateChanges(before: TicketState, after: TicketState, ref?: ReferenceData): string[] {
  const out: string[] = [];
  const diff = (label: string, a: unknown, b: unknown, show: (v: unknown) => string = (v) => (v === undefined || v === '' ? '—' : String(v))) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${label}: ${show(a)} → ${show(b)}`);
  };
  diff('status', before.exists ? before.status : undefined, after.status);
  diff('holder', before.holderUnitId, after.holderUnitId, (v) => unitName(ref, v as string));
  diff('first responder (accountable)', before.firstResponder?.staffId, after.firstResponder?.staffId);
  diff('supervising unit', before.supervisingUnitId, after.supervisingUnitId, (v) => unitName(ref, v as string));
  diff('first reply due', before.sla.firstResponse?.dueAt, after.sla.firstResponse?.dueAt, (v) => shanghai(v as string));
  diff('first reply given', before.sla.firstResponse?.stoppedAt, after.sla.firstResponse?.stoppedAt, (v) => shanghai(v as string));
  diff('resolution due', before.sla.resolution?.dueAt, after.sla.resolution?.dueAt, (v) => shanghai(v as string));
  diff('resolution clock paused', !!before.sla.resolution?.pausedAt, !!after.sla.resolution?.pausedAt);
  diff('rating', before.rating?.score, after.rating?.score);
  return out;
}

/** Renders the whole timeline (one block per event) as text lines. */
export function renderTimeline(ticketId: string, events: readonly TimelineEvent[], ref?: ReferenceData): string[] {
  const lines: string[] = [];
  let state = initialTicketState();
  for (const e of events) {
    // An event this version cannot read is listed by its type and changes nothing (the server refuses the ticket).
    const next = isReadableTicketEventType(e.type)
      ? evolve(state, decodeTicketEvent({ id: '', stream: `ticket-${ticketId}`, revision: e.revision, type: e.type, data: e.data, metadata: e }))
      : state;
    if (e.revision === 0) {
      lines.push(`${next.reference || ticketId}  ${next.title}`, `ticket ${ticketId} · times in Asia/Shanghai (UTC+8)`, '');
    }
    const who = [e.actor.kind, e.actor.id, e.actor.role, e.actor.unitId ? unitName(ref, e.actor.unitId) : ''].filter(Boolean).join(' · ');
    const via = [e.channel ? `via ${e.channel}` : '', e.onBehalfOf ? `on behalf of ${e.onBehalfOf}` : ''].filter(Boolean).join(', ');
    lines.push(`${shanghai(e.occurredAt)}  #${e.revision}  ${e.type}`);
    lines.push(`    by ${who}${via ? `  (${via})` : ''}`);
    lines.push(`    ${summary(e, ref)}`);
    for (const change of stateChanges(state, next, ref)) lines.push(`    ${change}`);
    state = next;
  }
  if (events.length === 0) lines.push(`ticket ${ticketId}: no events`);
  return lines;
}
