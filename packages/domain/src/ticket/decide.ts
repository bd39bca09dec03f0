import { DEFAULT_WORKFLOW_SETTINGS, type DecideContext, type TicketCommand, type WorkflowSettings } from './commands';
import { reject } from './errors';
import { assertCleanText, isBlankText } from './text';
import type { TicketEvent } from './events';
import { validateSlaPolicy } from '../sla/policy';
import { addWorkingTime } from '../sla/calendar';
import { calendarOrDefault } from '../sla/calendars';
import { authorize } from './permissions';
import { awaitsRouting } from './routing';
import { FINAL_STATUSES, type TicketState, type TicketStatus } from './state';

/** The calendar of working-day rules (the return window): whole working days, Chinese holidays. */
const WORKING_DAYS_CALENDAR = 'cn-working-days';

/** Limit on free-text fields (characters, counted as Unicode code points). */
export const MAX_TEXT_LENGTH = 4000;

/** The methods of verifying a resolution, from the source article (visit, call, unannounced visit). */
export const VERIFICATION_METHODS = ['visit', 'call', 'unannounced-visit'] as const;

/** Attachments per ticket (photos of the problem and of its resolution). */
export const MAX_ATTACHMENTS = 6;

/** The file types a ticket accepts (the attachment service checks the bytes; the decider the declared type). */
export const ATTACHMENT_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** Reason codes of a return (退单, issue 14 item 3): 属地不符, 权属不清, 职能交叉, other (with text). */
export const RETURN_REASON_CODES = ['wrong_place', 'unclear_ownership', 'overlapping_duties', 'other'] as const;

/** Working days after receipt within which a unit may return a ticket (issue 14 item 3). */
export const RETURN_WINDOW_WORKING_DAYS = 2;

/**
 * The five national satisfaction levels (State Council 2019 "好差评"), best first. A numeric score maps onto
 * them: 5 very_satisfied, 4 satisfied, 3 basically_satisfied, 2 dissatisfied, 1 very_dissatisfied.
 */
export const RATING_LEVELS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'] as const;

/** Levels that send a resolved ticket back for rectification (发回重办). */
export const DISSATISFIED_LEVELS: readonly string[] = ['dissatisfied', 'very_dissatisfied'];

/** How a callback reached (or tried to reach) the reporter. */
export const CALLBACK_CHANNELS = ['phone', 'sms', 'app', 'visit'] as const;

/** The level of a score 1–5 (5 → very_satisfied … 1 → very_dissatisfied), or undefined outside 1–5. */
export function levelOfScore(score: number): string | undefined {
  return Number.isInteger(score) && score >= 1 && score <= 5 ? RATING_LEVELS[5 - score] : undefined;
}

/** The score 1–5 of a level, or undefined for an unknown level. */
export function scoreOfLevel(level: string): number | undefined {
  const i = (RATING_LEVELS as readonly string[]).indexOf(level);
  return i < 0 ? undefined : 5 - i;
}

/**
 * Who may see a report (issue 14 item 6, GB/T 33358): public (the report, never the reporter's name),
 * agency (default: staff who may read the ticket), confidential (保密).
 */
export const VISIBILITIES = ['public', 'agency', 'confidential'] as const;

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
  'ReturnTicket',
];

function submit(c: Extract<TicketCommand, { type: 'SubmitTicket' }>, state: TicketState, ctx: DecideContext): TicketEvent[] {
  required(c.title, 'title');
  required(c.description, 'description');
  maxLength(c.title, 200, 'title');
  maxLength(c.description, MAX_TEXT_LENGTH, 'description');
  if (c.lat !== undefined && (!Number.isFinite(c.lat) || c.lat < -90 || c.lat > 90)) throw reject.invalid('invalid_lat', 'lat must be within −90..90 (WGS84)');
  if (c.long !== undefined && (!Number.isFinite(c.long) || c.long < -180 || c.long > 180)) throw reject.invalid('invalid_long', 'long must be within −180..180 (WGS84)');
  if (c.visibility !== undefined && !(VISIBILITIES as readonly string[]).includes(c.visibility)) {
    throw reject.invalid('invalid_visibility', `visibility must be one of ${VISIBILITIES.join(', ')}`);
  }
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
      if (c.level) {
        if (scoreOfLevel(c.level) === undefined) throw reject.invalid('invalid_level', `level must be one of ${RATING_LEVELS.join(', ')}`);
        if (c.score && scoreOfLevel(c.level) !== c.score) throw reject.invalid('score_level_mismatch', 'score and level disagree (5 = very_satisfied … 1 = very_dissatisfied)');
      } else if (!Number.isInteger(c.score) || c.score < 1 || c.score > 5) throw reject.invalid('score_out_of_range', 'score must be an integer from 1 to 5');
      maxLength(c.comment, MAX_TEXT_LENGTH, 'comment');
      return;
    case 'RecordCallback':
      if (!(CALLBACK_CHANNELS as readonly string[]).includes(c.channel)) throw reject.invalid('invalid_channel', `channel must be one of ${CALLBACK_CHANNELS.join(', ')}`);
      if (c.reached && scoreOfLevel(c.rating) === undefined) throw reject.invalid('invalid_rating', `a reached callback needs a rating: one of ${RATING_LEVELS.join(', ')}`);
      if (!c.reached && c.rating) throw reject.invalid('rating_without_contact', 'an unreached reporter gave no rating');
      maxLength(c.comment, MAX_TEXT_LENGTH, 'comment');
      return;
    case 'AddAttachment':
      if (!/^[0-9a-f]{64}$/.test(c.sha256)) throw reject.invalid('invalid_sha256', 'sha256 must be 64 lower-case hexadecimal digits');
      if (!(ATTACHMENT_CONTENT_TYPES as readonly string[]).includes(c.contentType)) {
        throw reject.invalid('unsupported_media_type', `the content type must be one of ${ATTACHMENT_CONTENT_TYPES.join(', ')}`);
      }
      if (!Number.isInteger(c.size) || c.size <= 0) throw reject.invalid('invalid_size', 'size must be a positive number of bytes');
      return;
    case 'RejectTicket':
      required(c.reason, 'reason');
      if (c.category && !(REJECTION_CATEGORIES as readonly string[]).includes(c.category)) {
        throw reject.invalid('invalid_category', `category must be one of ${REJECTION_CATEGORIES.join(', ')}`);
      }
      return;
    case 'MergeTicket':
      required(c.intoTicketId, 'into');
      if (c.intoTicketId === state.ticketId) throw reject.invalid('merge_into_itself', 'a ticket cannot be merged into itself');
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
    case 'ReturnTicket':
      if (!(RETURN_REASON_CODES as readonly string[]).includes(c.reasonCode)) {
        throw reject.invalid('invalid_reason_code', `reasonCode must be one of ${RETURN_REASON_CODES.join(', ')}`);
      }
      if (c.reasonCode === 'other') required(c.reason, 'reason');
      maxLength(c.reason, MAX_TEXT_LENGTH, 'reason');
      maxLength(c.legalBasis, MAX_TEXT_LENGTH, 'legalBasis');
      return;
    case 'ReviewReturn':
      if (c.approve && !c.toUnitId) throw reject.invalid('missing_unit', 'name the unit the ticket goes to');
      if (!c.approve) required(c.reason, 'reason');
      maxLength(c.reason, MAX_TEXT_LENGTH, 'reason');
      return;
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
      if (!awaitsRouting(s)) return [];
      return [{ type: 'TicketRouted', data: { unitId: c.unitId, division: c.division, suggestedDepartment: c.suggestedDepartment, reason: 'submitted' } }];
    case 'AcceptTicket':
      notRouted(s);
      inStatus(s, OPEN, 'accept');
      if (s.pendingReturn) throw reject.precondition('return_pending', 'the ticket was returned and waits for review');
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
      return [{
        type: 'TicketResolved',
        data: {
          resolution: c.resolution, staffId: actor.id, unitId: actor.unitId ?? '', callbackDueAt: callbackDue(ctx.now, settings),
          callbackBy: settings.callbackBy ?? DEFAULT_WORKFLOW_SETTINGS.callbackBy,
        },
      }];
    case 'VerifyResolution':
      inStatus(s, [...HANDLING, 'resolved'], 'verify');
      return [{ type: 'ResolutionVerified', data: { method: c.method, note: c.note, staffId: actor.id, unitId: actor.unitId ?? '' } }];
    case 'CloseTicket': {
      if (s.status !== 'resolved') throw reject.precondition('not_resolved', 'only a resolved ticket can be closed');
      const closedBy = actor.kind === 'system' ? 'automatic' : actor.kind === 'citizen' || actor.kind === 'open311' || actor.id === s.reporter.staffId ? 'reporter' : 'staff';
      if (closedBy === 'automatic' && Date.parse(s.resolvedAt ?? now) + settings.autoCloseDays * 86_400_000 > ctx.now.getTime()) {
        throw reject.precondition('objection_window_open', 'the reporter can still object');
      }
      // After a rectification the callback is mandatory: only the reporter may close before it is done.
      if (closedBy !== 'reporter' && s.callback?.mandatory && !s.callback.outcome) {
        throw reject.precondition('callback_pending', 'a rectified ticket closes after its callback');
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
    case 'RateTicket': {
      inStatus(s, ['resolved', 'closed'], 'rate');
      // One rating per resolution: a rectified ticket may be rated again after its new resolution.
      if (ratedSinceResolution(s)) {
        throw reject.precondition('already_rated', 'the ticket has already been rated');
      }
      const level = c.level || levelOfScore(c.score) || '';
      const rated: TicketEvent = { type: 'TicketRated', data: { score: scoreOfLevel(level) ?? c.score, comment: c.comment, level } };
      // 发回重办: a dissatisfied rating of a resolved ticket sends it back (issue 14 item 4); a closed one keeps the rating only.
      return s.status === 'resolved' && DISSATISFIED_LEVELS.includes(level) ? [rated, rectify(s, 'rating', c.comment, settings)] : [rated];
    }
    case 'RecordCallback': {
      inStatus(s, ['resolved'], 'record a callback on');
      const task = s.callback;
      if (!task) throw reject.precondition('no_callback_due', 'no callback is owed for this ticket');
      if (task.outcome) throw reject.precondition('callback_done', 'the callback of this resolution is already done');
      const attempt = task.attempts + 1;
      const recorded: TicketEvent = {
        type: 'CallbackRecorded',
        data: { reached: c.reached, channel: c.channel, rating: c.reached ? c.rating : '', comment: c.comment, attempt, staffId: actor.id, unitId: actor.unitId ?? '' },
      };
      if (!c.reached) {
        const max = settings.callbackMaxAttempts ?? DEFAULT_WORKFLOW_SETTINGS.callbackMaxAttempts;
        return attempt >= max ? [recorded, { type: 'TicketClosed', data: { reason: `callback: not reached after ${attempt} attempts`, closedBy: 'not_reached' } }] : [recorded];
      }
      if (DISSATISFIED_LEVELS.includes(c.rating)) return [recorded, rectify(s, 'callback', c.comment, settings)];
      // The mandatory callback after a rectification closes it when the reporter is satisfied.
      return task.mandatory ? [recorded, { type: 'TicketClosed', data: { reason: 'callback: satisfied after rectification', closedBy: 'callback' } }] : [recorded];
    }
    case 'AddAttachment': {
      const attached = s.attachments ?? [];
      if (attached.some((a) => a.sha256 === c.sha256)) return [];
      inStatus(s, ['submitted', ...OPEN, 'resolved'], 'attach a file to');
      if (attached.length >= MAX_ATTACHMENTS) throw reject.precondition('too_many_attachments', `a ticket has at most ${MAX_ATTACHMENTS} attachments`);
      return [{ type: 'AttachmentAdded', data: { sha256: c.sha256, contentType: c.contentType, size: c.size, ...(c.lat !== undefined && c.long !== undefined ? { lat: c.lat, long: c.long } : {}) } }];
    }
    case 'RejectTicket':
      inStatus(s, ['submitted', ...OPEN], 'reject');
      return [{ type: 'TicketRejected', data: { category: c.category || 'other', reason: c.reason } }];
    case 'MarkDuplicate':
      inStatus(s, ['submitted', ...OPEN], 'mark as duplicate');
      return [{ type: 'TicketMarkedDuplicate', data: { ofTicketId: c.ofTicketId } }];
    case 'MergeTicket': {
      // Merging again into the same lead (a retried request) records nothing.
      if (s.mergedInto?.ticketId === c.intoTicketId) return [];
      inStatus(s, ['submitted', ...OPEN], 'merge');
      if (!c.intoStatus) throw reject.notFound('merge_target_not_found', `no ticket ${c.intoTicketId} to merge into`);
      if ((FINAL_STATUSES as readonly string[]).includes(c.intoStatus)) {
        throw reject.precondition('merge_target_final', `the lead ticket is ${c.intoStatus}; merge into an open or resolved ticket`);
      }
      // The merged ticket's reporter would follow — and read — the lead: not a confidential report (保密, issue 14 item 6).
      if (c.intoConfidential) {
        throw reject.precondition('merge_into_confidential', 'the lead is a confidential report, which only its reporter follows; merge the lead into this ticket instead, or mark this one a duplicate');
      }
      return [{ type: 'TicketMerged', data: { intoTicketId: c.intoTicketId, intoReference: c.intoReference } }];
    }
    case 'RecordMergedDuplicate': {
      if ((s.merged ?? []).some((m) => m.ticketId === c.mergedTicketId)) return [];
      const { type: _type, ...data } = c;
      return [{ type: 'DuplicateMerged', data }];
    }
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
    case 'ReturnTicket': {
      notRouted(s);
      inStatus(s, OPEN, 'return');
      if (s.pendingReturn) throw reject.precondition('return_pending', 'a return of this ticket is waiting for review');
      const receivedAt = s.holderSince ?? s.sla.signFor?.startedAt ?? s.submittedAt;
      const windowEnds = addWorkingTime(calendarOrDefault(WORKING_DAYS_CALENDAR), Date.parse(receivedAt), RETURN_WINDOW_WORKING_DAYS * 86_400_000);
      if (ctx.now.getTime() > windowEnds) {
        throw reject.precondition('return_window_passed', `a unit may return a ticket within ${RETURN_WINDOW_WORKING_DAYS} working days of receiving it (received ${receivedAt})`);
      }
      // The unit that transferred it reviews; otherwise (routed, escalated, reassigned) the area's supervisors.
      const reviewUnitId = s.transferredFromUnitId && s.transferredFromUnitId !== s.holderUnitId ? s.transferredFromUnitId : '';
      return [{ type: 'TicketReturned', data: { fromUnitId: s.holderUnitId, reasonCode: c.reasonCode, reason: c.reason, legalBasis: c.legalBasis, reviewUnitId } }];
    }
    case 'ReviewReturn': {
      const pending = s.pendingReturn;
      if (!pending) throw reject.precondition('no_pending_return', 'no return of this ticket is waiting for review');
      if (c.approve) {
        if (c.toUnitId === pending.fromUnitId) throw reject.invalid('same_unit', 'the ticket was returned by that unit');
        if (actor.role === 'supervisor' && actor.unitDivision && !ctx.isWithin(c.toUnitDivision, actor.unitDivision)) {
          throw reject.forbidden('outside_jurisdiction', 'the target unit lies outside your jurisdiction');
        }
      }
      return [{ type: 'ReturnReviewed', data: { approved: c.approve, toUnitId: c.approve ? c.toUnitId : '', reason: c.reason, returnedByUnitId: pending.fromUnitId } }];
    }
    case 'FollowTicket':
      inStatus(s, ['submitted', ...OPEN], 'follow');
      // The reporter follows their own report already; a second follow changes nothing.
      if (actor.id === s.reporter.deviceId || (s.followers ?? []).includes(actor.id)) return [];
      // A follower reads the ticket, and a confidential report (保密, GB/T 33358; issue 14 item 6) is read only by
      // its reporter and the units handling it: its text and place can name the reporter.
      if (s.visibility === 'confidential') throw reject.forbidden('confidential_ticket', 'a confidential report cannot be followed');
      return [{ type: 'TicketFollowed', data: { deviceId: actor.id } }];
    case 'RecordCallbackOverdue': {
      // Only for the callback task of the current resolution, still not done, once, and not before its due time.
      const task = s.callback;
      if (s.status !== 'resolved' || !task || task.outcome || task.overdueAt) return [];
      if (Date.parse(task.dueAt) !== Date.parse(c.dueAt) || Date.parse(task.dueAt) > ctx.now.getTime()) return [];
      return [{
        type: 'CallbackOverdue',
        data: { dueAt: task.dueAt, overdueAt: now, callbackBy: task.by || 'first-responder', unitId: s.firstResponder?.unitId || s.routedUnitId, attempts: task.attempts },
      }];
    }
    case 'IssueDeadlineWarning': {
      // Sign-for has no warning: its limit is short (15 min for emergencies) and the arrival itself is the notice.
      if (c.leg === 'sign_for') return [];
      const leg = c.leg === 'first_response' ? s.sla.firstResponse : s.sla.resolution;
      if (!leg || leg.stoppedAt || leg.pausedAt || leg.dueAt !== c.dueAt || isFinal(s)) return [];
      // Once per due time: already warned, or already breached (a warning after the breach says nothing new).
      if (leg.warnedAt || leg.breachedAt || s.warnings.some((w) => w.leg === c.leg && w.dueAt === c.dueAt)) return [];
      return [{ type: 'DeadlineWarningIssued', data: { leg: c.leg, dueAt: c.dueAt } }];
    }
    case 'RecordDeadlineBreach': {
      const leg = c.leg === 'first_response' ? s.sla.firstResponse : c.leg === 'sign_for' ? s.sla.signFor : s.sla.resolution;
      if (!leg || leg.stoppedAt || leg.pausedAt || leg.dueAt !== c.dueAt || isFinal(s)) return [];
      if (Date.parse(leg.dueAt) > ctx.now.getTime()) return [];
      if (leg.breachedAt || s.breaches.some((b) => b.leg === c.leg && b.dueAt === c.dueAt)) return [];
      // A missed sign-for (issue 14 item 2) is its own fact; it escalates like a breach of the citizen's clocks.
      const breached: TicketEvent = c.leg === 'sign_for'
        ? { type: 'SignForBreached', data: { unitId: s.sla.signFor?.unitId ?? s.holderUnitId, dueAt: c.dueAt, breachedAt: now } }
        : { type: 'DeadlineBreached', data: { leg: c.leg, dueAt: c.dueAt, breachedAt: now } };
      // With a target, the first automatic escalation rides in the same append: only when nothing has
      // escalated the ticket yet (a supervisor's escalation stands for level 1), it is open and routed, and
      // the target is neither the holder nor already supervising.
      const escalate = c.toUnitId && s.escalations.length === 0 && OPEN.includes(s.status)
        && c.toUnitId !== s.holderUnitId && c.toUnitId !== s.supervisingUnitId;
      if (!escalate) return [breached];
      return [breached, {
        type: 'TicketEscalated',
        data: {
          fromUnitId: s.holderUnitId, toUnitId: c.toUnitId ?? '', level: 1, automatic: true,
          reason: c.leg === 'sign_for' ? `not signed for by ${s.sla.signFor?.unitId ?? s.holderUnitId} since ${c.dueAt}` : `${c.leg} was due and is overdue since ${now}`,
        },
      }];
    }
  }
}

/** When the callback of a resolution at `now` is due: `callbackDueWorkingDays` working days later (UTC ISO). */
function callbackDue(now: Date, settings: WorkflowSettings): string {
  const days = settings.callbackDueWorkingDays ?? DEFAULT_WORKFLOW_SETTINGS.callbackDueWorkingDays;
  return new Date(addWorkingTime(calendarOrDefault(WORKING_DAYS_CALENDAR), now.getTime(), days * 86_400_000)).toISOString();
}

/**
 * 发回重办 (issue 14 item 4): the ticket goes back to the first responder's unit with its own resolution leg
 * (`rectificationWorkingDays` on working days) and a mandatory callback after the next resolution.
 */
function rectify(s: TicketState, source: 'rating' | 'callback', comment: string, settings: WorkflowSettings): TicketEvent {
  const days = settings.rectificationWorkingDays ?? DEFAULT_WORKFLOW_SETTINGS.rectificationWorkingDays;
  return {
    type: 'TicketReopened',
    data: {
      reason: `发回重办: ${source === 'rating' ? 'the reporter rated' : 'the callback found'} the handling unsatisfactory${comment ? ` — ${comment}` : ''}`,
      unitId: s.firstResponder?.unitId || s.routedUnitId, rectification: true, resolutionHours: days * 24, calendar: WORKING_DAYS_CALENDAR, source,
    },
  };
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

/**
 * Whether the reporter has rated the ticket's latest resolution (one rating per resolution: a rectified ticket
 * may be rated again after its new one; a rating without times counts as given).
 */
export function ratedSinceResolution(s: TicketState): boolean {
  return !!s.rating && (!s.rating.at || !s.resolvedAt || Date.parse(s.rating.at) >= Date.parse(s.resolvedAt));
}

/**
 * A required text: absent, empty or with nothing visible (`" "`, `"\u200b"`) is missing.
 * @throws rejection invalid `missing_<field>`.
 */
function required(value: string | undefined, field: string): void {
  if (!value || isBlankText(value)) throw reject.invalid(`missing_${field}`, `${field} is required`);
}

function maxLength(value: string | undefined, max: number, field: string): void {
  if (value && [...value].length > max) throw reject.invalid(`${field}_too_long`, `${field} must be at most ${max} characters`);
}
