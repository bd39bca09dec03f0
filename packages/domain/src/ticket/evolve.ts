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
        channel: d.channel,
        reporter: {
          deviceId: d.reporter?.deviceId ?? '', staffId: d.reporter?.staffId ?? '', unitId: d.reporter?.unitId ?? '',
          // An Open311 client application acts for the reporters it submits for (as FixMyStreet does).
          ...(event.actor?.kind === 'open311' && event.actor.id ? { clientId: event.actor.id } : {}),
        },
        ...(d.onBehalfOf ? { onBehalfOf: { name: d.onBehalfOf.name, contact: d.onBehalfOf.contact } } : {}),
        status: 'submitted',
        submittedAt,
        policy: {
          firstResponseHours: policy.firstResponseHours, resolutionHours: policy.resolutionHours, warnAtFraction: policy.warnAtFraction,
          ...(policy.calendar ? { calendar: policy.calendar } : {}),
        },
        // Both legs run from the submission on the snapshot's calendar (calendar hours by default).
        sla: {
          firstResponse: startLeg(submittedAt, policy.firstResponseHours, calendarOrDefault(policy.calendar)),
          resolution: startLeg(submittedAt, policy.resolutionHours, calendarOrDefault(policy.calendar)),
        },
      };
    }
    case 'TicketRouted':
      return { ...s, status: 'routed', routedUnitId: event.data.unitId, holderUnitId: event.data.unitId, suggestedDepartment: event.data.suggestedDepartment };
    case 'TicketAccepted': {
      const d = event.data;
      return {
        ...s,
        status: s.status === 'routed' ? 'in_progress' : s.status,
        acceptedUnitIds: [...s.acceptedUnitIds, d.unitId],
        firstResponder: s.firstResponder ?? { staffId: d.staffId, unitId: d.unitId, since: at },
      };
    }
    case 'TicketReplied': {
      if (!event.data.public) return s;
      const fr = s.sla.firstResponse;
      return { ...s, lastPublicReplyAt: at, lastPublicReply: event.data.message, sla: { ...s.sla, ...(fr ? { firstResponse: stopLeg(fr, at) } : {}) } };
    }
    case 'TicketTransferred': {
      // A hand-back returns to the unit that transferred first: a re-transfer (dept A → dept B by the
      // first responder's unit) keeps that return address; pulling the work back to it clears it.
      const returnTo = s.transferredFromUnitId || event.data.fromUnitId;
      const to = event.data.toUnitId;
      return { ...s, status: s.status === 'routed' ? 'in_progress' : s.status, holderUnitId: to, transferredFromUnitId: returnTo === to ? '' : returnTo };
    }
    case 'TicketHandedBack':
      return { ...s, holderUnitId: event.data.toUnitId, transferredFromUnitId: '' };
    case 'InformationRequested': {
      const r = s.sla.resolution;
      return { ...s, status: 'awaiting_information', sla: { ...s.sla, ...(r ? { resolution: pauseLeg(r, at) } : {}) } };
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
      return { ...s, extendedMs, sla: { ...s.sla, resolution: announceDeadline(leg, dueAt) } };
    }
    case 'TicketResolved': {
      // The resolution is told to the reporter, so it also answers a first response still owed
      // (otherwise a reopen would find that leg running and overdue at once).
      const r = s.sla.resolution;
      const fr = s.sla.firstResponse;
      return {
        ...s, status: 'resolved', resolvedAt: at, resolution: event.data.resolution,
        sla: { ...s.sla, ...(r ? { resolution: stopLeg(r, at) } : {}), ...(fr ? { firstResponse: stopLeg(fr, at) } : {}) },
      };
    }
    case 'ResolutionVerified':
      return { ...s, verifications: s.verifications + 1 };
    case 'TicketClosed':
      return { ...s, status: 'closed', closedAt: at };
    case 'TicketReopened': {
      const unitId = event.data.unitId;
      return {
        ...s,
        status: 'in_progress',
        holderUnitId: unitId,
        acceptedUnitIds: s.acceptedUnitIds.includes(unitId) ? s.acceptedUnitIds : [...s.acceptedUnitIds, unitId],
        transferredFromUnitId: '',
        // A new resolution leg from the reopen instant: time while resolved/closed never counts, and an
        // old due time long past does not make the reopened ticket overdue.
        sla: { ...s.sla, resolution: startLeg(at, s.policy.resolutionHours, calendarOrDefault(s.policy.calendar)) },
      };
    }
    case 'TicketRated':
      return { ...s, rating: { score: event.data.score, comment: event.data.comment } };
    case 'TicketRejected':
      return { ...s, status: 'rejected', closedAt: at };
    case 'TicketMarkedDuplicate':
      return { ...s, status: 'duplicate', duplicateOf: event.data.ofTicketId, closedAt: at };
    case 'TicketWithdrawn':
      return { ...s, status: 'withdrawn', closedAt: at };
    case 'TicketReassigned': {
      const d = event.data;
      return {
        ...s,
        holderUnitId: d.toUnitId,
        transferredFromUnitId: '',
        ...(d.firstResponderChanged ? { firstResponder: { staffId: d.toStaffId, unitId: d.toUnitId, since: at } } : {}),
      };
    }
    case 'TicketEscalated': {
      // A supervisor's escalation moves the work up one level; an automatic one (after a breach) puts
      // the ticket under supervision (督办) and leaves the work where it is.
      const d = event.data;
      return {
        ...s,
        ...(d.automatic ? {} : { holderUnitId: d.toUnitId, transferredFromUnitId: '' }),
        supervisingUnitId: d.toUnitId,
        escalations: [...s.escalations, { fromUnitId: d.fromUnitId, toUnitId: d.toUnitId, level: d.level, automatic: d.automatic, at, reason: d.reason }],
      };
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
    case 'InternalNoteAdded':
      return s;
  }
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
