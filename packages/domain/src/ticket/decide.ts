import type { DecideContext, TicketCommand } from './commands';
import { DEFAULT_WORKFLOW_SETTINGS } from './commands';
import { reject } from './errors';
import { assertCleanText } from './text';
import type { TicketEvent } from './events';
import { validateSlaPolicy } from '../sla/policy';
import { authorize } from './permissions';
import { FINAL_STATUSES, type TicketState, type TicketStatus } from './state';

/** Limit on free-text fields (characters, counted as Unicode code points). */
export const MAX_TEXT_LENGTH = 4000;

/** The methods of verifying a resolution, from the source article (visit, call, unannounced visit). */
export const VERIFICATION_METHODS = ['visit', 'call', 'unannounced-visit'] as const;

/** Categories of rejection. */
export const REJECTION_CATEGORIES = ['out-of-scope', 'abusive', 'other'] as const;

const OPEN: readonly TicketStatus[] = ['routed', 'in_progress', 'awaiting_information'];
const HANDLING: readonly TicketStatus[] = ['in_progress', 'awaiting_information'];

/**
 * decide(command, state, context) → events. Pure: time, ids and the actor arrive in the command and
 * its context. An empty result means the command has already taken effect (idempotent no-op).
 * @throws TicketRejection with kind not_found | invalid | forbidden | precondition and a typed reason.
 */
export function decide(command: TicketCommand, state: TicketState, ctx: DecideContext): TicketEvent[] {
  assertCleanText(command);
  if (command.type === 'SubmitTicket') return submit(command, state, ctx);
  if (!state.exists) throw reject.notFound('ticket_not_found', 'no such ticket');
  validate(command, state, ctx);
  // Before routing nobody holds the ticket, so no one could pass the holder checks: answer with the
  // state (not_routed) rather than a misleading not_holder. Auditors still get read_only_role.
  if (state.status === 'submitted' && NEEDS_ROUTING.includes(command.type) && ctx.actor.role !== 'auditor') notRouted(state);
  authorize(command.type, ctx.actor, state, ctx);
  return decideOnExisting(command, state, ctx);
}

/** Commands that need a holder, refused with not_routed while the ticket is only submitted. */
const NEEDS_ROUTING: readonly TicketCommand['type'][] = [
  'AcceptTicket', 'ReplyToTicket', 'TransferTicket', 'RequestInformation', 'SetResolutionDeadline', 'ResolveTicket', 'ReassignTicket', 'EscalateTicket',
];

function submit(c: Extract<TicketCommand, { type: 'SubmitTicket' }>, state: TicketState, ctx: DecideContext): TicketEvent[] {
  required(c.title, 'title');
  required(c.description, 'description');
  maxLength(c.title, 200, 'title');
  maxLength(c.description, MAX_TEXT_LENGTH, 'description');
  if (c.lat !== undefined && (!Number.isFinite(c.lat) || c.lat < -90 || c.lat > 90)) throw reject.invalid('invalid_lat', 'lat must be within −90..90 (WGS84)');
  if (c.long !== undefined && (!Number.isFinite(c.long) || c.long < -180 || c.long > 180)) throw reject.invalid('invalid_long', 'long must be within −180..180 (WGS84)');
  // The SLA policy snapshot: positive hours, 0 < warnAtFraction ≤ 1, a calendar every service knows.
  if (c.policy) validateSlaPolicy(c.policy);
  authorize('SubmitTicket', ctx.actor, state, ctx);
  if (state.exists) throw reject.precondition('already_exists', 'the ticket already exists');
  const { type: _type, ...data } = c;
  return [{ type: 'TicketSubmitted', data: { ...data, onBehalfOf: c.onBehalfOf, submittedAt: ctx.now.toISOString() } }];
}

/** Input checks that do not depend on who is acting. */
function validate(c: Exclude<TicketCommand, { type: 'SubmitTicket' }>, state: TicketState, ctx: DecideContext): void {
  switch (c.type) {
    case 'ReplyToTicket': required(c.message, 'message'); maxLength(c.message, MAX_TEXT_LENGTH, 'message'); return;
    case 'AddInternalNote': required(c.text, 'text'); maxLength(c.text, MAX_TEXT_LENGTH, 'text'); return;
    case 'TransferTicket':
      required(c.reason, 'reason');
      if (!c.toUnitId) throw reject.invalid('missing_target', 'name a department or a unit');
      return;
    case 'HandBackTicket': required(c.findings, 'findings'); return;
    case 'RequestInformation': required(c.question, 'question'); return;
    case 'AddInformation': required(c.text, 'text'); maxLength(c.text, MAX_TEXT_LENGTH, 'text'); return;
    case 'SetResolutionDeadline': {
      required(c.reason, 'reason');
      const due = Date.parse(c.dueAt);
      if (Number.isNaN(due)) throw reject.invalid('invalid_due_at', 'dueAt must be an ISO-8601 instant with an offset');
      if (due <= ctx.now.getTime()) throw reject.invalid('deadline_in_past', 'the announced deadline must be in the future');
      return;
    }
    case 'ResolveTicket': required(c.resolution, 'resolution'); return;
    case 'VerifyResolution':
      if (!(VERIFICATION_METHODS as readonly string[]).includes(c.method)) {
        throw reject.invalid('invalid_method', `method must be one of ${VERIFICATION_METHODS.join(', ')}`);
      }
      return;
    case 'ReopenTicket': required(c.reason, 'reason'); return;
    case 'RateTicket':
      if (!Number.isInteger(c.score) || c.score < 1 || c.score > 5) throw reject.invalid('score_out_of_range', 'score must be an integer from 1 to 5');
      maxLength(c.comment, MAX_TEXT_LENGTH, 'comment');
      return;
    case 'RejectTicket':
      required(c.reason, 'reason');
      if (c.category && !(REJECTION_CATEGORIES as readonly string[]).includes(c.category)) {
        throw reject.invalid('invalid_category', `category must be one of ${REJECTION_CATEGORIES.join(', ')}`);
      }
      return;
    case 'MarkDuplicate':
      required(c.ofTicketId, 'of');
      if (c.ofTicketId === state.ticketId) throw reject.invalid('duplicate_of_itself', 'a ticket cannot duplicate itself');
      return;
    case 'ReassignTicket':
      required(c.reason, 'reason');
      if (!c.toUnitId) throw reject.invalid('missing_unit', 'name the unit to reassign to');
      return;
    case 'EscalateTicket': required(c.reason, 'reason'); return;
    default:
      return;
  }
}

function decideOnExisting(c: Exclude<TicketCommand, { type: 'SubmitTicket' }>, s: TicketState, ctx: DecideContext): TicketEvent[] {
  const actor = ctx.actor;
  const settings = ctx.settings ?? DEFAULT_WORKFLOW_SETTINGS;
  const now = ctx.now.toISOString();
  switch (c.type) {
    case 'RouteTicket':
      if (s.status !== 'submitted') return [];
      return [{ type: 'TicketRouted', data: { unitId: c.unitId, division: c.division, suggestedDepartment: c.suggestedDepartment, reason: 'submitted' } }];
    case 'AcceptTicket':
      notRouted(s);
      inStatus(s, OPEN, 'accept');
      if (s.acceptedUnitIds.includes(s.holderUnitId)) throw reject.precondition('already_accepted', 'your unit has already accepted this ticket');
      return [{ type: 'TicketAccepted', data: { staffId: actor.id, unitId: actor.unitId ?? '', firstResponder: !s.firstResponder } }];
    case 'ReplyToTicket':
      notRouted(s);
      inStatus(s, [...OPEN, 'resolved'], 'reply to');
      return [{ type: 'TicketReplied', data: { message: c.message, public: c.public, staffId: actor.id, unitId: actor.unitId ?? '' } }];
    case 'AddInternalNote':
      return [{ type: 'InternalNoteAdded', data: { text: c.text, staffId: actor.id, unitId: actor.unitId ?? '' } }];
    case 'TransferTicket':
      notRouted(s);
      inStatus(s, HANDLING, 'transfer');
      if (c.toUnitId === s.holderUnitId) throw reject.invalid('same_unit', 'the ticket is already held by that unit');
      return [{ type: 'TicketTransferred', data: { fromUnitId: s.holderUnitId, toUnitId: c.toUnitId, department: c.department, reason: c.reason } }];
    case 'HandBackTicket':
      inStatus(s, HANDLING, 'hand back');
      if (!s.transferredFromUnitId) throw reject.precondition('not_transferred', 'the ticket was not transferred to your unit');
      return [{ type: 'TicketHandedBack', data: { fromUnitId: s.holderUnitId, toUnitId: s.transferredFromUnitId, findings: c.findings } }];
    case 'RequestInformation':
      notRouted(s);
      inStatus(s, ['in_progress'], 'request information on');
      return [{ type: 'InformationRequested', data: { question: c.question, staffId: actor.id, unitId: actor.unitId ?? '' } }];
    case 'AddInformation':
      inStatus(s, ['submitted', ...OPEN, 'resolved'], 'add information to');
      return [{ type: 'InformationAdded', data: { text: c.text, channel: c.channel } }];
    case 'SetResolutionDeadline': {
      notRouted(s);
      inStatus(s, OPEN, 'set a deadline on');
      const current = s.sla.resolution;
      if (current && !current.pausedAt && Date.parse(current.dueAt) <= ctx.now.getTime()) {
        throw reject.precondition('deadline_passed', 'the resolution was already due; a deadline must be announced before the due time');
      }
      const previous = current?.dueAt ?? now;
      const extension = Math.max(0, Date.parse(c.dueAt) - Date.parse(previous));
      if (s.extendedMs + extension > settings.maxExtensionHours * 3_600_000) {
        throw reject.precondition('extension_cap_exceeded', `extensions may total at most ${settings.maxExtensionHours} hours`);
      }
      return [{ type: 'ResolutionDeadlineSet', data: { dueAt: new Date(Date.parse(c.dueAt)).toISOString(), reason: c.reason, previousDueAt: previous } }];
    }
    case 'ResolveTicket':
      if (s.status === 'resolved') throw reject.precondition('already_resolved', 'the ticket is already resolved');
      notRouted(s);
      if (s.status === 'routed') throw reject.precondition('not_accepted', 'accept the ticket before resolving it');
      inStatus(s, HANDLING, 'resolve');
      return [{ type: 'TicketResolved', data: { resolution: c.resolution, staffId: actor.id, unitId: actor.unitId ?? '' } }];
    case 'VerifyResolution':
      inStatus(s, [...HANDLING, 'resolved'], 'verify');
      return [{ type: 'ResolutionVerified', data: { method: c.method, note: c.note, staffId: actor.id, unitId: actor.unitId ?? '' } }];
    case 'CloseTicket': {
      if (s.status !== 'resolved') throw reject.precondition('not_resolved', 'only a resolved ticket can be closed');
      const closedBy = actor.kind === 'system' ? 'automatic' : actor.kind === 'citizen' || actor.kind === 'open311' || actor.id === s.reporter.staffId ? 'reporter' : 'staff';
      if (closedBy === 'automatic' && Date.parse(s.resolvedAt ?? now) + settings.autoCloseDays * 86_400_000 > ctx.now.getTime()) {
        throw reject.precondition('objection_window_open', 'the reporter can still object');
      }
      return [{ type: 'TicketClosed', data: { reason: c.reason, closedBy } }];
    }
    case 'ReopenTicket': {
      if (s.status !== 'resolved') throw reject.precondition('not_resolved', 'only a resolved ticket can be reopened');
      if (Date.parse(s.resolvedAt ?? now) + settings.autoCloseDays * 86_400_000 <= ctx.now.getTime()) {
        throw reject.precondition('reopen_window_passed', `a ticket can be reopened within ${settings.autoCloseDays} days of its resolution`);
      }
      const unitId = s.firstResponder?.unitId || s.routedUnitId;
      return [{ type: 'TicketReopened', data: { reason: c.reason, unitId } }];
    }
    case 'RateTicket':
      inStatus(s, ['resolved', 'closed'], 'rate');
      if (s.rating) throw reject.precondition('already_rated', 'the ticket has already been rated');
      return [{ type: 'TicketRated', data: { score: c.score, comment: c.comment } }];
    case 'RejectTicket':
      inStatus(s, ['submitted', ...OPEN], 'reject');
      return [{ type: 'TicketRejected', data: { category: c.category || 'other', reason: c.reason } }];
    case 'MarkDuplicate':
      inStatus(s, ['submitted', ...OPEN], 'mark as duplicate');
      return [{ type: 'TicketMarkedDuplicate', data: { ofTicketId: c.ofTicketId } }];
    case 'WithdrawTicket':
      inStatus(s, ['submitted', ...OPEN], 'withdraw');
      return [{ type: 'TicketWithdrawn', data: { reason: c.reason } }];
    case 'ReassignTicket':
      notRouted(s);
      inStatus(s, [...OPEN, 'resolved'], 'reassign');
      if (actor.unitDivision && !ctx.isWithin(c.toUnitDivision, actor.unitDivision)) {
        throw reject.forbidden('outside_jurisdiction', 'the target unit lies outside your jurisdiction');
      }
      return [{
        type: 'TicketReassigned',
        data: { fromUnitId: s.holderUnitId, toUnitId: c.toUnitId, toStaffId: c.toStaffId, reason: c.reason, firstResponderChanged: c.toStaffId !== '' },
      }];
    case 'EscalateTicket': {
      notRouted(s);
      inStatus(s, OPEN, 'escalate');
      if (!c.toUnitId || c.toUnitId === s.holderUnitId) throw reject.precondition('cannot_escalate', 'there is no higher level to escalate to');
      const level = s.escalations.length + 1;
      return [{ type: 'TicketEscalated', data: { fromUnitId: s.holderUnitId, toUnitId: c.toUnitId, reason: c.reason, level, automatic: c.automatic } }];
    }
    case 'IssueDeadlineWarning': {
      const leg = c.leg === 'first_response' ? s.sla.firstResponse : s.sla.resolution;
      if (!leg || leg.stoppedAt || leg.pausedAt || leg.dueAt !== c.dueAt || isFinal(s)) return [];
      // Once per due time: already warned, or already breached (a warning after the breach says nothing new).
      if (leg.warnedAt || leg.breachedAt || s.warnings.some((w) => w.leg === c.leg && w.dueAt === c.dueAt)) return [];
      return [{ type: 'DeadlineWarningIssued', data: { leg: c.leg, dueAt: c.dueAt } }];
    }
    case 'RecordDeadlineBreach': {
      const leg = c.leg === 'first_response' ? s.sla.firstResponse : s.sla.resolution;
      if (!leg || leg.stoppedAt || leg.pausedAt || leg.dueAt !== c.dueAt || isFinal(s)) return [];
      if (Date.parse(leg.dueAt) > ctx.now.getTime()) return [];
      if (leg.breachedAt || s.breaches.some((b) => b.leg === c.leg && b.dueAt === c.dueAt)) return [];
      const breached: TicketEvent = { type: 'DeadlineBreached', data: { leg: c.leg, dueAt: c.dueAt, breachedAt: now } };
      // With a target, the first automatic escalation rides in the same append: only when nothing has
      // escalated the ticket yet (a supervisor's escalation stands for level 1), it is open and routed, and
      // the target is neither the holder nor already supervising.
      const escalate = c.toUnitId && s.escalations.length === 0 && OPEN.includes(s.status)
        && c.toUnitId !== s.holderUnitId && c.toUnitId !== s.supervisingUnitId;
      if (!escalate) return [breached];
      return [breached, {
        type: 'TicketEscalated',
        data: { fromUnitId: s.holderUnitId, toUnitId: c.toUnitId ?? '', reason: `${c.leg} was due and is overdue since ${now}`, level: 1, automatic: true },
      }];
    }
  }
}

function isFinal(s: TicketState): boolean {
  return FINAL_STATUSES.includes(s.status) || s.status === 'resolved';
}

function notRouted(s: TicketState): void {
  if (s.status === 'submitted') throw reject.precondition('not_routed', 'the ticket has not been routed yet');
}

function inStatus(s: TicketState, allowed: readonly TicketStatus[], verb: string): void {
  if (!allowed.includes(s.status)) throw reject.precondition(`invalid_status`, `cannot ${verb} a ticket that is ${s.status}`);
}

function required(value: string | undefined, field: string): void {
  if (!value || value.trim() === '') throw reject.invalid(`missing_${field}`, `${field} is required`);
}

function maxLength(value: string | undefined, max: number, field: string): void {
  if (value && [...value].length > max) throw reject.invalid(`${field}_too_long`, `${field} must be at most ${max} characters`);
}
