/**
 * The timers a ticket needs, computed from its state alone (pure): the deadline service keeps exactly
 * these rows, so they can be rebuilt from the event store at any time.
 *
 * Rules (issue 4, "Time limits that hold"):
 * - a running leg (not stopped, not paused) gets a warning at warnAtFraction of its budget (to the holding
 *   unit) unless already warned for its current due time, and a breach timer at its due time unless
 *   already breached;
 * - the first breach of a leg that is still unmet escalates the ticket one level up at once (level 1,
 *   the unit supervising the accountable unit: township → county → prefecture);
 * - a breached leg still unmet (first response: no reply, question or announced deadline yet; resolution: not resolved) and running
 *   `reescalateAfterHours` after its breach escalates again, to the prefecture (level 2); waiting on the
 *   reporter holds it;
 * - a resolved ticket closes automatically `autoCloseDays` after resolution (the objection window);
 * - a resolved ticket whose callback (回访, issue 14 item 4) is still owed gets a `callback_overdue` timer at the
 *   callback's due time (TicketResolved.callbackDueAt), unless it was already recorded overdue.
 * Instants are UTC ISO-8601.
 */
import { addWorkingTime } from './calendar';
import { type SlaLeg, type SlaLegName, legCalendar, warningAt } from './legs';
import type { TicketState } from '../ticket/state';

/** A timer kind: warn before a leg is due, record its breach, escalate, close automatically, or record a callback overdue. */
export type TimerKind = 'warning' | 'breach' | 'escalation' | 'auto_close' | 'callback_overdue';

/** A timer the deadline service keeps for a ticket. `dueKey` names what it is for; it makes event ids deterministic. */
export interface Timer {
  ticketId: string;
  leg: SlaLegName | 'ticket';
  kind: TimerKind;
  /** When it fires (UTC ISO). */
  dueAt: string;
  /**
   * What it is for: the leg's due time (UTC ISO) for warnings and breaches, `level-1`/`level-2` for
   * escalations, the resolution instant for automatic close, the callback's due time for callback_overdue.
   */
  dueKey: string;
}

/** Settings of the timers (deadline service configuration). */
export interface TimerSettings {
  /** Hours (counted on the ticket's calendar) after a breach before a still-unmet leg is escalated again, to the prefecture. */
  reescalateAfterHours: number;
  /** Days after resolution before automatic close. */
  autoCloseDays: number;
}

/** Default timer settings: re-escalate 24 h after a breach; close 7 days after resolution. */
export const DEFAULT_TIMER_SETTINGS: TimerSettings = { reescalateAfterHours: 24, autoCloseDays: 7 };

const OPEN_FOR_ESCALATION: readonly TicketState['status'][] = ['routed', 'in_progress', 'awaiting_information'];

/** The legs of a ticket with their names. */
export function legsOf(s: TicketState): [SlaLegName, SlaLeg][] {
  const legs: [SlaLegName, SlaLeg][] = [];
  if (s.sla.firstResponse) legs.push(['first_response', s.sla.firstResponse]);
  if (s.sla.resolution) legs.push(['resolution', s.sla.resolution]);
  if (s.sla.signFor) legs.push(['sign_for', s.sla.signFor]);
  return legs;
}

/** The automatic escalation due next, if any: level 1 at the breach, level 2 after the re-escalation period. */
export function nextEscalation(s: TicketState, settings: TimerSettings): { level: 1 | 2; dueAt: string; leg: SlaLegName; breachedAt: string } | undefined {
  if (!OPEN_FOR_ESCALATION.includes(s.status)) return undefined;
  // A supervisor's own escalation already put the ticket under supervision: it stands for level 1.
  const automatic = Math.max(s.escalations.filter((e) => e.automatic).length, s.escalations.length > 0 ? 1 : 0);
  if (automatic >= 2) return undefined;
  const unmet = legsOf(s).filter(([, l]) => l.breachedAt && !l.stoppedAt);
  let best: { level: 1 | 2; dueAt: string; leg: SlaLegName; breachedAt: string } | undefined;
  for (const [name, l] of unmet) {
    const breachedAt = l.breachedAt ?? '';
    let due: string;
    if (automatic === 0) due = breachedAt;
    else if (l.pausedAt) continue;
    else due = new Date(addWorkingTime(legCalendar(l), Date.parse(breachedAt), settings.reescalateAfterHours * 3_600_000)).toISOString();
    if (!best || Date.parse(due) < Date.parse(best.dueAt)) best = { level: automatic === 0 ? 1 : 2, dueAt: due, leg: name, breachedAt };
  }
  return best;
}

/** The timers ticket `s` needs now (see the module comment for the rules). */
export function desiredTimers(s: TicketState, settings: TimerSettings): Timer[] {
  if (!s.exists || ['closed', 'rejected', 'duplicate', 'withdrawn'].includes(s.status)) return [];
  const timers: Timer[] = [];
  if (s.status === 'resolved') {
    // After a rectification the ticket waits for its mandatory callback instead of closing by itself (issue 14 item 4).
    if (s.resolvedAt && !(s.callback?.mandatory && !s.callback.outcome)) {
      const due = new Date(Date.parse(s.resolvedAt) + settings.autoCloseDays * 86_400_000).toISOString();
      timers.push({ ticketId: s.ticketId, leg: 'ticket', kind: 'auto_close', dueAt: due, dueKey: s.resolvedAt });
    }
    const callback = s.callback;
    if (callback && !callback.outcome && !callback.overdueAt) {
      timers.push({ ticketId: s.ticketId, leg: 'ticket', kind: 'callback_overdue', dueAt: callback.dueAt, dueKey: callback.dueAt });
    }
    return timers;
  }
  for (const [name, leg] of legsOf(s)) {
    if (leg.stoppedAt || leg.pausedAt || leg.breachedAt) continue;
    if (!leg.warnedAt && name !== 'sign_for') {
      const at = warningAt(leg, s.policy.warnAtFraction);
      if (Date.parse(at) < Date.parse(leg.dueAt)) timers.push({ ticketId: s.ticketId, leg: name, kind: 'warning', dueAt: at, dueKey: leg.dueAt });
    }
    timers.push({ ticketId: s.ticketId, leg: name, kind: 'breach', dueAt: leg.dueAt, dueKey: leg.dueAt });
  }
  const escalation = nextEscalation(s, settings);
  if (escalation) timers.push({ ticketId: s.ticketId, leg: 'ticket', kind: 'escalation', dueAt: escalation.dueAt, dueKey: `level-${escalation.level}` });
  return timers;
}

/** The organisation lookups an escalation needs (from reference data). */
export interface EscalationUnits {
  /** The administration one level above a unit (township → county → prefecture; a county department → its county). */
  supervisingUnit(unitId: string): string | undefined;
  /** The prefecture administration (the top of the hierarchy). */
  topUnitId: string;
}

/**
 * The automatic escalation of `level` for ticket `s`, or undefined when there is no higher unit left:
 * level 1 → the unit supervising the accountable unit (the first responder's unit, 首问责任制, or the unit
 * the ticket was routed to); level 2 → the prefecture. Skipped when that unit already supervises or holds it.
 */
export function escalationCommand(s: TicketState, level: 1 | 2, units: EscalationUnits, reason: string): { type: 'EscalateTicket'; toUnitId: string; reason: string; automatic: true } | undefined {
  const accountable = s.firstResponder?.unitId || s.routedUnitId;
  const to = level === 1 ? units.supervisingUnit(accountable) : units.topUnitId;
  if (!to || to === s.supervisingUnitId || to === s.holderUnitId) return undefined;
  return { type: 'EscalateTicket', toUnitId: to, reason, automatic: true };
}
