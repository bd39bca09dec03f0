import { calendarOrDefault } from '../sla/calendars';
import { announceDeadline, pauseLeg, resumeLeg, startLeg, stopLeg } from '../sla/legs';
import type { TicketEventEnvelope } from './events';
import { initialTicketState, type TicketState } from './state';

/**
 * evolve(state, event) → state: applies one event. Pure and total: an event type it does not change
 * state for still advances the revision. The same code serves live handling, projections and replay.
 */
export function evolve(state: TicketState, event: TicketEventEnvelope): TicketState {
  const at = event.occurredAt;
  const s: TicketState = { ...state, revision: state.revision + 1, updatedAt: at };
  switch (event.type) {
    case 'TicketSubmitted': {
      const d = event.data;
      const policy = d.policy ?? s.policy;
      const submittedAt = d.submittedAt ?? at;
      return {
        ...s,
        exists: true,
        ticketId: d.ticketId,
        reference: d.reference,
        serviceCode: d.serviceCode,
        division: d.division,
        title: d.title,
        description: d.description,
        address: d.address,
        ...(d.lat !== undefined && d.lat !== null ? { lat: d.lat } : {}),
        ...(d.long !== undefined && d.long !== null ? { long: d.long } : {}),
        ...(d.mediaUrl ? { mediaUrl: d.mediaUrl } : {}),
        ...(d.visibility ? { visibility: d.visibility } : {}),
        ...(d.attributes && Object.keys(d.attributes).length > 0 ? { attributes: { ...d.attributes } } : {}),
        channel: d.channel,
        reporter: {
          deviceId: d.reporter?.deviceId ?? '', staffId: d.reporter?.staffId ?? '', unitId: d.reporter?.unitId ?? '',
          // An Open311 client application acts for the reporters it submits for (as FixMyStreet does).
          ...(event.actor?.kind === 'open311' && event.actor.id ? { clientId: event.actor.id } : {}),
          ...(d.reporter?.reporterId && d.reporter.sealed ? { reporterId: d.reporter.reporterId, sealed: d.reporter.sealed } : {}),
        },
        ...(d.onBehalfOf ? { onBehalfOf: { name: d.onBehalfOf.name, contact: d.onBehalfOf.contact } } : {}),
        status: 'submitted',
        submittedAt,
        policy: {
          firstResponseHours: policy.firstResponseHours, resolutionHours: policy.resolutionHours, warnAtFraction: policy.warnAtFraction,
          ...(policy.calendar ? { calendar: policy.calendar } : {}),
          ...(policy.urgencyClass ? { urgencyClass: policy.urgencyClass } : {}),
          ...(policy.policySet ? { policySet: policy.policySet } : {}),
          ...(policy.requestType ? { requestType: policy.requestType } : {}),
          ...(policy.signForHours ? { signForHours: policy.signForHours } : {}),
          ...(policy.signForCalendar ? { signForCalendar: policy.signForCalendar } : {}),
        },
        // Both legs run from the submission on the snapshot's calendar (calendar hours by default).
        sla: {
          firstResponse: startLeg(submittedAt, policy.firstResponseHours, calendarOrDefault(policy.calendar)),
          resolution: startLeg(submittedAt, policy.resolutionHours, calendarOrDefault(policy.calendar)),
        },
      };
    }
    case 'TicketRouted':
      return received({ ...s, status: 'routed', routedUnitId: event.data.unitId, holderUnitId: event.data.unitId, suggestedDepartment: event.data.suggestedDepartment }, at);
    case 'TicketAccepted': {
      const d = event.data;
      const signFor = s.sla.signFor;
      return {
        ...s,
        status: s.status === 'routed' ? 'in_progress' : s.status,
        acceptedUnitIds: [...s.acceptedUnitIds, d.unitId],
        // Only an accept that fixed the first responder (an administration's) names it; a department's sign-for does not.
        firstResponder: s.firstResponder ?? (d.firstResponder ? { staffId: d.staffId, unitId: d.unitId, since: at } : undefined),
        // The receiving unit signed for it (签收): its sign-for leg is met (and kept for the 签收及时率, issue 14 item 7).
        ...(signFor && !signFor.stoppedAt && signFor.unitId === d.unitId ? {
          sla: { ...s.sla, signFor: { ...stopLeg(signFor, at), signedAt: at } },
          signFors: [...(s.signFors ?? []), { unitId: d.unitId, startedAt: signFor.startedAt, dueAt: signFor.dueAt, signedAt: at }],
        } : {}),
      };
    }
    case 'TicketReplied': {
      if (!event.data.public) return s;
      return { ...s, lastPublicReplyAt: at, lastPublicReply: event.data.message, sla: { ...s.sla, ...firstResponseMet(s.sla, at) } };
    }
    case 'TicketTransferred': {
      // A hand-back returns to the unit that transferred first: a re-transfer (dept A → dept B by the
      // first responder's unit) keeps that return address; pulling the work back to it clears it.
      const returnTo = s.transferredFromUnitId || event.data.fromUnitId;
      const to = event.data.toUnitId;
      return received({ ...s, status: s.status === 'routed' ? 'in_progress' : s.status, holderUnitId: to, transferredFromUnitId: returnTo === to ? '' : returnTo }, at);
    }
    case 'TicketHandedBack':
      return received({ ...s, holderUnitId: event.data.toUnitId, transferredFromUnitId: '' }, at);
    case 'InformationRequested': {
      // The question is the unit's answer to the reporter, so it meets a first response still owed
      // (waiting on the reporter must not run into a first-response breach); the resolution leg pauses.
      const r = s.sla.resolution;
      return { ...s, status: 'awaiting_information', sla: { ...s.sla, ...firstResponseMet(s.sla, at), ...(r ? { resolution: pauseLeg(r, at) } : {}) } };
    }
    case 'InformationAdded': {
      if (s.status !== 'awaiting_information') return s;
      const r = s.sla.resolution;
      return { ...s, status: 'in_progress', sla: { ...s.sla, ...(r ? { resolution: resumeLeg(r, at) } : {}) } };
    }
    case 'ResolutionDeadlineSet': {
      const r = s.sla.resolution;
      const dueAt = event.data.dueAt ?? at;
      const previous = r?.dueAt ?? dueAt;
      const extendedMs = s.extendedMs + Math.max(0, Date.parse(dueAt) - Date.parse(previous));
      // Announced while paused: bank the pause so far and restart it at the announcement, so that only
      // the pause after the announcement moves the announced deadline when the reporter answers.
      const leg = r?.pausedAt ? pauseLeg(resumeLeg(r, at), at) : r ?? startLeg(at, 0);
      // An announced deadline is told to the reporter: it also meets a first response still owed.
      return { ...s, extendedMs, sla: { ...s.sla, ...firstResponseMet(s.sla, at), resolution: announceDeadline(leg, dueAt) } };
    }
    case 'TicketResolved': {
      // The resolution is told to the reporter, so it also answers a first response still owed
      // (otherwise a reopen would find that leg running and overdue at once).
      const r = s.sla.resolution;
      const callbackDueAt = event.data.callbackDueAt;
      return {
        ...s, status: 'resolved', resolvedAt: at, resolution: event.data.resolution,
        sla: { ...s.sla, ...(r ? { resolution: stopLeg(r, at) } : {}), ...firstResponseMet(s.sla, at) },
        // Issue 14 item 4: a callback is owed (mandatory after a rectification).
        ...(callbackDueAt ? {
          callback: { dueAt: callbackDueAt, attempts: 0, mandatory: (s.rectifications ?? 0) > 0, ...(event.data.callbackBy ? { by: event.data.callbackBy } : {}) },
        } : {}),
      };
    }
    case 'ResolutionVerified':
      return { ...s, verifications: s.verifications + 1 };
    case 'TicketClosed':
      return { ...s, status: 'closed', closedAt: at, ...(event.data.closedBy ? { closedBy: event.data.closedBy } : {}) };
    case 'TicketReopened': {
      const d = event.data;
      const unitId = d.unitId;
      const { callback: _callback, ...withoutCallback } = s;
      // A rectification (发回重办) has its own limit (default 15 working days); a reporter's reopen the policy's.
      const hours = (d.rectification && d.resolutionHours) || s.policy.resolutionHours;
      const calendar = (d.rectification && d.calendar) || s.policy.calendar;
      return received({
        ...withoutCallback,
        status: 'in_progress',
        holderUnitId: unitId,
        acceptedUnitIds: s.acceptedUnitIds.includes(unitId) ? s.acceptedUnitIds : [...s.acceptedUnitIds, unitId],
        transferredFromUnitId: '',
        // A new resolution leg from the reopen instant: time while resolved/closed never counts, and an
        // old due time long past does not make the reopened ticket overdue.
        sla: { ...s.sla, resolution: startLeg(at, hours, calendarOrDefault(calendar)) },
        ...(d.rectification ? { rectifications: (s.rectifications ?? 0) + 1 } : {}),
      }, at);
    }
    case 'AttachmentAdded': {
      const { sha256, contentType, size } = event.data;
      return { ...s, attachments: [...(s.attachments ?? []), { sha256, contentType, size: Number(size) }] };
    }
    case 'TicketRated': {
      const d = event.data;
      // Ratings stored before levels existed get theirs at the store boundary (runtime's UPCASTS).
      const level = d.level ?? '';
      return { ...s, rating: { score: d.score, comment: d.comment, ...(level ? { level } : {}), at } };
    }
    case 'TicketFollowed':
      return { ...s, followers: [...(s.followers ?? []), event.data.deviceId] };
    case 'CallbackRecorded': {
      const d = event.data;
      const task = s.callback;
      return {
        ...s,
        callbacks: [...(s.callbacks ?? []), { reached: d.reached, channel: d.channel, rating: d.rating, attempt: d.attempt, at, unitId: d.unitId }],
        ...(task ? { callback: { ...task, attempts: d.attempt, ...(d.reached ? { outcome: 'reached' as const } : {}) } } : {}),
      };
    }
    case 'CallbackOverdue': {
      const d = event.data;
      const dueAt = d.dueAt ?? '';
      const overdueAt = d.overdueAt ?? at;
      const task = s.callback;
      return {
        ...s,
        callbackOverdues: [...(s.callbackOverdues ?? []), { dueAt, overdueAt, by: d.callbackBy || 'first-responder', unitId: d.unitId }],
        ...(task && Date.parse(task.dueAt) === Date.parse(dueAt) ? { callback: { ...task, overdueAt } } : {}),
      };
    }
    case 'TicketRejected':
      return { ...s, status: 'rejected', closedAt: at };
    case 'TicketMarkedDuplicate':
      return { ...s, status: 'duplicate', duplicateOf: event.data.ofTicketId, closedAt: at };
    case 'TicketWithdrawn':
      return { ...s, status: 'withdrawn', closedAt: at };
    case 'TicketMerged': {
      const d = event.data;
      return { ...s, status: 'duplicate', duplicateOf: d.intoTicketId, mergedInto: { ticketId: d.intoTicketId, reference: d.intoReference }, closedAt: at };
    }
    case 'DuplicateMerged': {
      const d = event.data;
      const device = d.reporterDeviceId;
      // The duplicate's reporter follows the lead (unless it reports or follows it already).
      const follows = !!device && device !== s.reporter.deviceId && !(s.followers ?? []).includes(device);
      return {
        ...s,
        merged: [...(s.merged ?? []), { ticketId: d.mergedTicketId, reference: d.mergedReference, at }],
        ...(follows ? { followers: [...(s.followers ?? []), device] } : {}),
        ...(follows && d.reporterLanguage ? { followerLanguages: { ...(s.followerLanguages ?? {}), [device]: d.reporterLanguage } } : {}),
      };
    }
    case 'TicketReassigned': {
      const d = event.data;
      return received({
        ...s,
        holderUnitId: d.toUnitId,
        transferredFromUnitId: '',
        ...(d.firstResponderChanged ? { firstResponder: { staffId: d.toStaffId, unitId: d.toUnitId, since: at } } : {}),
      }, at);
    }
    case 'TicketEscalated': {
      // A supervisor's escalation moves the work up one level; an automatic one (after a breach) puts
      // the ticket under supervision (督办) and leaves the work where it is.
      const d = event.data;
      const escalated: TicketState = {
        ...s,
        ...(d.automatic ? {} : { holderUnitId: d.toUnitId, transferredFromUnitId: '' }),
        supervisingUnitId: d.toUnitId,
        escalations: [...s.escalations, { fromUnitId: d.fromUnitId, toUnitId: d.toUnitId, level: d.level, automatic: d.automatic, at, reason: d.reason }],
      };
      return d.automatic ? escalated : received(escalated, at);
    }
    case 'DeadlineWarningIssued': {
      const leg = legName(event.data.leg);
      const dueAt = event.data.dueAt ?? '';
      return { ...s, warnings: [...s.warnings, { leg, dueAt }], sla: markLeg(s.sla, leg, dueAt, { warnedAt: at }) };
    }
    case 'DeadlineBreached': {
      const leg = legName(event.data.leg);
      const dueAt = event.data.dueAt ?? '';
      const breachedAt = event.data.breachedAt ?? at;
      return { ...s, breaches: [...s.breaches, { leg, dueAt, breachedAt }], sla: markLeg(s.sla, leg, dueAt, { breachedAt }) };
    }
    case 'SignForBreached': {
      const d = event.data;
      const dueAt = d.dueAt ?? '';
      const breachedAt = d.breachedAt ?? at;
      const signFor = s.sla.signFor;
      return {
        ...s,
        signForBreaches: [...(s.signForBreaches ?? []), { unitId: d.unitId, dueAt, breachedAt }],
        ...(signFor && Date.parse(signFor.dueAt) === Date.parse(dueAt) ? { sla: { ...s.sla, signFor: { ...signFor, breachedAt } } } : {}),
      };
    }
    case 'TicketReturned': {
      const d = event.data;
      const signFor = s.sla.signFor;
      return {
        ...s,
        pendingReturn: { fromUnitId: d.fromUnitId, reasonCode: d.reasonCode, reason: d.reason, legalBasis: d.legalBasis, reviewUnitId: d.reviewUnitId, at },
        returns: [...(s.returns ?? []), { fromUnitId: d.fromUnitId, reasonCode: d.reasonCode, at, outcome: 'pending' }],
        // The return answers the arrival: no sign-for is owed while it is reviewed. Should the return be
        // refused, the unit must sign for the ticket again, so its earlier accept no longer counts.
        acceptedUnitIds: s.acceptedUnitIds.filter((u) => u !== d.fromUnitId),
        ...(signFor && !signFor.stoppedAt ? { sla: { ...s.sla, signFor: stopLeg(signFor, at) } } : {}),
      };
    }
    case 'ReturnReviewed': {
      const d = event.data;
      const { pendingReturn: _pending, ...rest } = s;
      const returns = (s.returns ?? []).map((r, i, all) => (i === all.length - 1 && r.outcome === 'pending'
        ? { ...r, outcome: d.approved ? 'approved' as const : 'refused' as const, ...(d.approved ? { toUnitId: d.toUnitId } : {}), reviewedAt: at } : r));
      if (!d.approved) return received({ ...rest, returns }, at);
      // Approved: rerouted to the named unit. The first responder never changes through returns; a ticket
      // nobody accepted yet is now the new unit's to accept (it becomes the routed unit).
      return received({
        ...rest, returns, holderUnitId: d.toUnitId, transferredFromUnitId: '', ...(s.firstResponder ? {} : { routedUnitId: d.toUnitId }),
      }, at);
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
 */
function received(state: TicketState, at: string): TicketState {
  const s: TicketState = { ...state, holderSince: at };
  const hours = s.policy.signForHours;
  const current = s.sla.signFor;
  if (!hours) return s;
  if (current && current.unitId === s.holderUnitId && !current.signedAt && !current.stoppedAt) return s;
  const ended = current && stopLeg(current, at);
  if (s.acceptedUnitIds.includes(s.holderUnitId)) return ended === current ? s : { ...s, sla: { ...s.sla, ...(ended ? { signFor: ended } : {}) } };
  const calendar = calendarOrDefault(s.policy.signForCalendar || s.policy.calendar);
  return { ...s, sla: { ...s.sla, signFor: { ...startLeg(at, hours, calendar), unitId: s.holderUnitId } } };
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

/** Folds events into a state, starting from the initial state. */
export function evolveAll(events: readonly TicketEventEnvelope[], from: TicketState = initialTicketState()): TicketState {
  return events.reduce(evolve, from);
}
