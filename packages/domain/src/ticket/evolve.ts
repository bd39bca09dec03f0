import { calendarOrDefault } from '../sla/calendars';
import { announceDeadline, pauseLeg, resumeLeg, startLeg, stopLeg } from '../sla/legs';
import type { TicketEventEnvelope } from './events';
import { initialTicketState, type TicketState } from './state';

/**
 * evolve(state, event) → state: applies one event. Pure and total: an event type it does not change
 * state for still advances the revision. The same code serves live handling, projections and replay.
 * The given state is never changed: the result is a copy of it with the event's changes.
 */
export function evolve(state: TicketState, event: TicketEventEnvelope): TicketState {
  return apply({ ...state, revision: state.revision + 1, updatedAt: event.occurredAt }, state, event);
}

/**
 * Folds events into a state (from the initial state by default): the state `evolve` would give event by
 * event, for one copy of the state for the whole fold instead of one per event (issue 13: replaying a
 * ticket costs its events, not its events times its size). Pure like `evolve`: `from` is not changed;
 * with no events the result is `from` itself. `afterEach`, when given, sees the state after each event:
 * the fold's working copy, to read then and not to keep (the next event writes it).
 */
export function evolveAll(
  events: readonly TicketEventEnvelope[],
  from: TicketState = initialTicketState(),
  afterEach?: (state: Readonly<TicketState>) => void,
): TicketState {
  if (events.length === 0) return from;
  let s: TicketState = { ...from };
  for (const event of events) {
    s.revision += 1;
    s.updatedAt = event.occurredAt;
    s = apply(s, s, event);
    afterEach?.(s);
  }
  return s;
}

/**
 * The changes of one event, written to `s` (evolve's fresh copy, revision and updatedAt already advanced)
 * and returned (or a fresh copy of `s` without a field the event removes). The state before the event is
 * read from `state`, which may be `s` itself (the fold of {@link evolveAll}): so, within a case, a field
 * is never read from `state` after it was written to `s`, and nested values (sla, lists, records) are
 * replaced, never changed in place, since they may be shared with earlier states.
 */
function apply(s: TicketState, state: Readonly<TicketState>, event: TicketEventEnvelope): TicketState {
  const at = event.occurredAt;
  switch (event.type) {
    case 'TicketSubmitted': {
      const d = event.data;
      const policy = d.policy ?? state.policy;
      const submittedAt = d.submittedAt ?? at;
      s.exists = true;
      s.ticketId = d.ticketId;
      s.reference = d.reference;
      s.serviceCode = d.serviceCode;
      s.division = d.division;
      s.title = d.title;
      s.description = d.description;
      s.address = d.address;
      if (d.lat !== undefined && d.lat !== null) s.lat = d.lat;
      if (d.long !== undefined && d.long !== null) s.long = d.long;
      if (d.mediaUrl) s.mediaUrl = d.mediaUrl;
      if (d.visibility) s.visibility = d.visibility;
      if (d.attributes && Object.keys(d.attributes).length > 0) s.attributes = { ...d.attributes };
      s.channel = d.channel;
      s.reporter = {
        deviceId: d.reporter?.deviceId ?? '', staffId: d.reporter?.staffId ?? '', unitId: d.reporter?.unitId ?? '',
        // An Open311 client application acts for the reporters it submits for (as FixMyStreet does).
        ...(event.actor?.kind === 'open311' && event.actor.id ? { clientId: event.actor.id } : {}),
        ...(d.reporter?.reporterId && d.reporter.sealed ? { reporterId: d.reporter.reporterId, sealed: d.reporter.sealed } : {}),
      };
      if (d.onBehalfOf) s.onBehalfOf = { name: d.onBehalfOf.name, contact: d.onBehalfOf.contact };
      s.status = 'submitted';
      s.submittedAt = submittedAt;
      s.policy = {
        firstResponseHours: policy.firstResponseHours, resolutionHours: policy.resolutionHours, warnAtFraction: policy.warnAtFraction,
        ...(policy.calendar ? { calendar: policy.calendar } : {}),
        ...(policy.urgencyClass ? { urgencyClass: policy.urgencyClass } : {}),
        ...(policy.policySet ? { policySet: policy.policySet } : {}),
        ...(policy.requestType ? { requestType: policy.requestType } : {}),
        ...(policy.signForHours ? { signForHours: policy.signForHours } : {}),
        ...(policy.signForCalendar ? { signForCalendar: policy.signForCalendar } : {}),
      };
      // Both legs run from the submission on the snapshot's calendar (calendar hours by default).
      s.sla = {
        firstResponse: startLeg(submittedAt, policy.firstResponseHours, calendarOrDefault(policy.calendar)),
        resolution: startLeg(submittedAt, policy.resolutionHours, calendarOrDefault(policy.calendar)),
      };
      return s;
    }
    case 'TicketRouted':
      s.status = 'routed';
      s.routedUnitId = event.data.unitId;
      s.holderUnitId = event.data.unitId;
      s.suggestedDepartment = event.data.suggestedDepartment;
      return received(s, at);
    case 'TicketAccepted': {
      const d = event.data;
      const signFor = state.sla.signFor;
      s.status = state.status === 'routed' ? 'in_progress' : state.status;
      s.acceptedUnitIds = [...state.acceptedUnitIds, d.unitId];
      // Only an accept that fixed the first responder (an administration's) names it; a department's sign-for does not.
      s.firstResponder = state.firstResponder ?? (d.firstResponder ? { staffId: d.staffId, unitId: d.unitId, since: at } : undefined);
      // The receiving unit signed for it (签收): its sign-for leg is met (and kept for the 签收及时率, issue 14 item 7).
      if (signFor && !signFor.stoppedAt && signFor.unitId === d.unitId) {
        s.sla = { ...state.sla, signFor: { ...stopLeg(signFor, at), signedAt: at } };
        s.signFors = [...(state.signFors ?? []), { unitId: d.unitId, startedAt: signFor.startedAt, dueAt: signFor.dueAt, signedAt: at }];
      }
      return s;
    }
    case 'TicketReplied': {
      if (!event.data.public) return s;
      s.lastPublicReplyAt = at;
      s.lastPublicReply = event.data.message;
      s.sla = { ...state.sla, ...firstResponseMet(state.sla, at) };
      return s;
    }
    case 'TicketTransferred': {
      // A hand-back returns to the unit that transferred first: a re-transfer (dept A → dept B by the
      // first responder's unit) keeps that return address; pulling the work back to it clears it.
      const returnTo = state.transferredFromUnitId || event.data.fromUnitId;
      const to = event.data.toUnitId;
      s.status = state.status === 'routed' ? 'in_progress' : state.status;
      s.holderUnitId = to;
      s.transferredFromUnitId = returnTo === to ? '' : returnTo;
      return received(s, at);
    }
    case 'TicketHandedBack':
      s.holderUnitId = event.data.toUnitId;
      s.transferredFromUnitId = '';
      return received(s, at);
    case 'InformationRequested': {
      // The question is the unit's answer to the reporter, so it meets a first response still owed
      // (waiting on the reporter must not run into a first-response breach); the resolution leg pauses.
      const r = state.sla.resolution;
      s.status = 'awaiting_information';
      s.sla = { ...state.sla, ...firstResponseMet(state.sla, at), ...(r ? { resolution: pauseLeg(r, at) } : {}) };
      return s;
    }
    case 'InformationAdded': {
      if (state.status !== 'awaiting_information') return s;
      const r = state.sla.resolution;
      s.status = 'in_progress';
      s.sla = { ...state.sla, ...(r ? { resolution: resumeLeg(r, at) } : {}) };
      return s;
    }
    case 'ResolutionDeadlineSet': {
      const r = state.sla.resolution;
      const dueAt = event.data.dueAt ?? at;
      const previous = r?.dueAt ?? dueAt;
      // Announced while paused: bank the pause so far and restart it at the announcement, so that only
      // the pause after the announcement moves the announced deadline when the reporter answers.
      const leg = r?.pausedAt ? pauseLeg(resumeLeg(r, at), at) : r ?? startLeg(at, 0);
      s.extendedMs = state.extendedMs + Math.max(0, Date.parse(dueAt) - Date.parse(previous));
      // An announced deadline is told to the reporter: it also meets a first response still owed.
      s.sla = { ...state.sla, ...firstResponseMet(state.sla, at), resolution: announceDeadline(leg, dueAt) };
      return s;
    }
    case 'TicketResolved': {
      // The resolution is told to the reporter, so it also answers a first response still owed
      // (otherwise a reopen would find that leg running and overdue at once).
      const r = state.sla.resolution;
      const callbackDueAt = event.data.callbackDueAt;
      s.status = 'resolved';
      s.resolvedAt = at;
      s.resolution = event.data.resolution;
      s.sla = { ...state.sla, ...(r ? { resolution: stopLeg(r, at) } : {}), ...firstResponseMet(state.sla, at) };
      // Issue 14 item 4: a callback is owed (mandatory after a rectification).
      if (callbackDueAt) {
        s.callback = { dueAt: callbackDueAt, attempts: 0, mandatory: (state.rectifications ?? 0) > 0, ...(event.data.callbackBy ? { by: event.data.callbackBy } : {}) };
      }
      return s;
    }
    case 'ResolutionVerified':
      s.verifications = state.verifications + 1;
      return s;
    case 'TicketClosed':
      s.status = 'closed';
      s.closedAt = at;
      if (event.data.closedBy) s.closedBy = event.data.closedBy;
      return s;
    case 'TicketReopened': {
      const d = event.data;
      const unitId = d.unitId;
      // The open callback task ends with the reopen (dropped from the state, not cleared).
      const { callback: _callback, ...reopened } = s;
      // A rectification (发回重办) has its own limit (default 15 working days); a reporter's reopen the policy's.
      const hours = (d.rectification && d.resolutionHours) || state.policy.resolutionHours;
      const calendar = (d.rectification && d.calendar) || state.policy.calendar;
      reopened.status = 'in_progress';
      reopened.holderUnitId = unitId;
      reopened.acceptedUnitIds = state.acceptedUnitIds.includes(unitId) ? state.acceptedUnitIds : [...state.acceptedUnitIds, unitId];
      reopened.transferredFromUnitId = '';
      // A new resolution leg from the reopen instant: time while resolved/closed never counts, and an
      // old due time long past does not make the reopened ticket overdue.
      reopened.sla = { ...state.sla, resolution: startLeg(at, hours, calendarOrDefault(calendar)) };
      if (d.rectification) reopened.rectifications = (state.rectifications ?? 0) + 1;
      return received(reopened, at);
    }
    case 'AttachmentAdded': {
      const { sha256, contentType, size } = event.data;
      s.attachments = [...(state.attachments ?? []), { sha256, contentType, size: Number(size) }];
      return s;
    }
    case 'TicketRated': {
      const d = event.data;
      // Ratings stored before levels existed get theirs at the store boundary (runtime's UPCASTS).
      const level = d.level ?? '';
      s.rating = { score: d.score, comment: d.comment, ...(level ? { level } : {}), at };
      return s;
    }
    case 'TicketFollowed':
      s.followers = [...(state.followers ?? []), event.data.deviceId];
      return s;
    case 'CallbackRecorded': {
      const d = event.data;
      const task = state.callback;
      s.callbacks = [...(state.callbacks ?? []), { reached: d.reached, channel: d.channel, rating: d.rating, attempt: d.attempt, at, unitId: d.unitId }];
      if (task) s.callback = { ...task, attempts: d.attempt, ...(d.reached ? { outcome: 'reached' as const } : {}) };
      return s;
    }
    case 'CallbackOverdue': {
      const d = event.data;
      const dueAt = d.dueAt ?? '';
      const overdueAt = d.overdueAt ?? at;
      const task = state.callback;
      s.callbackOverdues = [...(state.callbackOverdues ?? []), { dueAt, overdueAt, by: d.callbackBy || 'first-responder', unitId: d.unitId }];
      if (task && Date.parse(task.dueAt) === Date.parse(dueAt)) s.callback = { ...task, overdueAt };
      return s;
    }
    case 'TicketRejected':
      s.status = 'rejected';
      s.closedAt = at;
      return s;
    case 'TicketMarkedDuplicate':
      s.status = 'duplicate';
      s.duplicateOf = event.data.ofTicketId;
      s.closedAt = at;
      return s;
    case 'TicketWithdrawn':
      s.status = 'withdrawn';
      s.closedAt = at;
      return s;
    case 'TicketMerged': {
      const d = event.data;
      s.status = 'duplicate';
      s.duplicateOf = d.intoTicketId;
      s.mergedInto = { ticketId: d.intoTicketId, reference: d.intoReference };
      s.closedAt = at;
      return s;
    }
    case 'DuplicateMerged': {
      const d = event.data;
      const device = d.reporterDeviceId;
      // The duplicate's reporter follows the lead (unless it reports or follows it already).
      const follows = !!device && device !== state.reporter.deviceId && !(state.followers ?? []).includes(device);
      s.merged = [...(state.merged ?? []), { ticketId: d.mergedTicketId, reference: d.mergedReference, at }];
      if (follows) s.followers = [...(state.followers ?? []), device];
      if (follows && d.reporterLanguage) s.followerLanguages = { ...(state.followerLanguages ?? {}), [device]: d.reporterLanguage };
      return s;
    }
    case 'TicketReassigned': {
      const d = event.data;
      s.holderUnitId = d.toUnitId;
      s.transferredFromUnitId = '';
      if (d.firstResponderChanged) s.firstResponder = { staffId: d.toStaffId, unitId: d.toUnitId, since: at };
      return received(s, at);
    }
    case 'TicketEscalated': {
      // A supervisor's escalation moves the work up one level; an automatic one (after a breach) puts
      // the ticket under supervision (督办) and leaves the work where it is.
      const d = event.data;
      if (!d.automatic) {
        s.holderUnitId = d.toUnitId;
        s.transferredFromUnitId = '';
      }
      s.supervisingUnitId = d.toUnitId;
      s.escalations = [...state.escalations, { fromUnitId: d.fromUnitId, toUnitId: d.toUnitId, level: d.level, automatic: d.automatic, at, reason: d.reason }];
      return d.automatic ? s : received(s, at);
    }
    case 'DeadlineWarningIssued': {
      const leg = legName(event.data.leg);
      const dueAt = event.data.dueAt ?? '';
      s.warnings = [...state.warnings, { leg, dueAt }];
      s.sla = markLeg(state.sla, leg, dueAt, { warnedAt: at });
      return s;
    }
    case 'DeadlineBreached': {
      const leg = legName(event.data.leg);
      const dueAt = event.data.dueAt ?? '';
      const breachedAt = event.data.breachedAt ?? at;
      s.breaches = [...state.breaches, { leg, dueAt, breachedAt }];
      s.sla = markLeg(state.sla, leg, dueAt, { breachedAt });
      return s;
    }
    case 'SignForBreached': {
      const d = event.data;
      const dueAt = d.dueAt ?? '';
      const breachedAt = d.breachedAt ?? at;
      const signFor = state.sla.signFor;
      s.signForBreaches = [...(state.signForBreaches ?? []), { unitId: d.unitId, dueAt, breachedAt }];
      if (signFor && Date.parse(signFor.dueAt) === Date.parse(dueAt)) s.sla = { ...state.sla, signFor: { ...signFor, breachedAt } };
      return s;
    }
    case 'TicketReturned': {
      const d = event.data;
      const signFor = state.sla.signFor;
      s.pendingReturn = { fromUnitId: d.fromUnitId, reasonCode: d.reasonCode, reason: d.reason, legalBasis: d.legalBasis, reviewUnitId: d.reviewUnitId, at };
      s.returns = [...(state.returns ?? []), { fromUnitId: d.fromUnitId, reasonCode: d.reasonCode, at, outcome: 'pending' }];
      // The return answers the arrival: no sign-for is owed while it is reviewed. Should the return be
      // refused, the unit must sign for the ticket again, so its earlier accept no longer counts.
      s.acceptedUnitIds = state.acceptedUnitIds.filter((u) => u !== d.fromUnitId);
      if (signFor && !signFor.stoppedAt) s.sla = { ...state.sla, signFor: stopLeg(signFor, at) };
      return s;
    }
    case 'ReturnReviewed': {
      const d = event.data;
      const { pendingReturn: _pending, ...reviewed } = s;
      reviewed.returns = (state.returns ?? []).map((r, i, all) => (i === all.length - 1 && r.outcome === 'pending'
        ? { ...r, outcome: d.approved ? 'approved' as const : 'refused' as const, ...(d.approved ? { toUnitId: d.toUnitId } : {}), reviewedAt: at } : r));
      if (!d.approved) return received(reviewed, at);
      // Approved: rerouted to the named unit. The first responder never changes through returns; a ticket
      // nobody accepted yet is now the new unit's to accept (it becomes the routed unit).
      reviewed.holderUnitId = d.toUnitId;
      reviewed.transferredFromUnitId = '';
      if (!state.firstResponder) reviewed.routedUnitId = d.toUnitId;
      return received(reviewed, at);
    }
    case 'InternalNoteAdded':
      return s;
  }
}

/**
 * The sign-for leg after the holder changed (issue 14 item 2): a unit that has not yet accepted the ticket
 * must sign for it within the policy's sign-for limit, from `at` on the sign-for calendar; a unit that
 * already accepted it (a hand-back, a reopen) needs no new sign-for. An unsigned leg of the previous
 * holder ends there (stopped, not signed). No sign-for limit in the policy (older tickets): no leg.
 * Writes `s`, a fresh copy made by evolve for this event (never a state evolve was given), and returns it.
 */
function received(s: TicketState, at: string): TicketState {
  s.holderSince = at;
  const hours = s.policy.signForHours;
  const current = s.sla.signFor;
  if (!hours) return s;
  if (current && current.unitId === s.holderUnitId && !current.signedAt && !current.stoppedAt) return s;
  const ended = current && stopLeg(current, at);
  if (s.acceptedUnitIds.includes(s.holderUnitId)) {
    if (ended !== current) s.sla = { ...s.sla, ...(ended ? { signFor: ended } : {}) };
    return s;
  }
  const calendar = calendarOrDefault(s.policy.signForCalendar || s.policy.calendar);
  s.sla = { ...s.sla, signFor: { ...startLeg(at, hours, calendar), unitId: s.holderUnitId } };
  return s;
}

/**
 * The first-response leg met at `at` (a no-op when already met): the first message the reporter gets
 * from the unit — a public reply, a question (request for information), an announced resolution
 * deadline or the resolution itself. Source: the 24 h first-reply rule of 限时办结制 (see sla/legs.ts).
 */
function firstResponseMet(sla: TicketState['sla'], at: string): Pick<TicketState['sla'], 'firstResponse'> {
  return sla.firstResponse ? { firstResponse: stopLeg(sla.firstResponse, at) } : {};
}

/**
 * Marks the current leg as warned or breached when the event is about its current due time (a leg is
 * warned and breached at most once per due time: a pause that later moves the due time does not re-arm it).
 */
function markLeg(sla: TicketState['sla'], leg: 'first_response' | 'resolution', dueAt: string, mark: { warnedAt: string } | { breachedAt: string }): TicketState['sla'] {
  const key = leg === 'first_response' ? 'firstResponse' : 'resolution';
  const current = sla[key];
  if (!current || Date.parse(current.dueAt) !== Date.parse(dueAt)) return sla;
  return { ...sla, [key]: { ...current, ...mark } };
}

function legName(leg: string): 'first_response' | 'resolution' {
  return leg === 'first_response' ? 'first_response' : 'resolution';
}
