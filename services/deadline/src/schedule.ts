import { FINAL_STATUSES, type SlaLegName, type TicketState, warningAt } from '@tongban/domain';

/** A timer kind: warn before a leg is due, record its breach, escalate again, or close automatically. */
export type TimerKind = 'warning' | 'breach' | 'escalation' | 'auto_close';

/** A timer the deadline service keeps for a ticket. `dueKey` names what it is for (a leg's due time). */
export interface Timer {
  ticketId: string;
  leg: SlaLegName | 'ticket';
  kind: TimerKind;
  /** When it fires (UTC ISO). */
  dueAt: string;
  /** The leg's due time it belongs to (UTC ISO); for escalation and auto-close the anchor instant. */
  dueKey: string;
}

/** Settings of the timers. */
export interface TimerSettings {
  /** Hours after a breach before a still-unresolved ticket is escalated again, to the prefecture. */
  reescalateAfterHours: number;
  /** Days after resolution before automatic close. */
  autoCloseDays: number;
}

/**
 * The timers a ticket needs now (pure). Running legs get a warning (at warnAtFraction of the leg) and
 * a breach timer (at the due time); paused or stopped legs get none; after a breach of an unresolved
 * ticket with one automatic escalation, a re-escalation timer; a resolved ticket an automatic-close timer.
 */
export function desiredTimers(s: TicketState, settings: TimerSettings): Timer[] {
  if (!s.exists || FINAL_STATUSES.includes(s.status)) return [];
  const timers: Timer[] = [];
  if (s.status === 'resolved') {
    if (s.resolvedAt) {
      const due = new Date(Date.parse(s.resolvedAt) + settings.autoCloseDays * 86_400_000).toISOString();
      timers.push({ ticketId: s.ticketId, leg: 'ticket', kind: 'auto_close', dueAt: due, dueKey: s.resolvedAt });
    }
    return timers;
  }
  const legs: [SlaLegName, TicketState['sla']['firstResponse']][] = [['first_response', s.sla.firstResponse], ['resolution', s.sla.resolution]];
  for (const [name, leg] of legs) {
    if (!leg || leg.stoppedAt || leg.pausedAt) continue;
    if (!s.warnings.some((w) => w.leg === name && w.dueAt === leg.dueAt)) {
      const at = warningAt(leg, s.policy.warnAtFraction);
      if (Date.parse(at) < Date.parse(leg.dueAt)) timers.push({ ticketId: s.ticketId, leg: name, kind: 'warning', dueAt: at, dueKey: leg.dueAt });
    }
    if (!s.breaches.some((b) => b.leg === name && b.dueAt === leg.dueAt)) {
      timers.push({ ticketId: s.ticketId, leg: name, kind: 'breach', dueAt: leg.dueAt, dueKey: leg.dueAt });
    }
  }
  const automatic = s.escalations.filter((e) => e.automatic);
  const firstBreach = s.breaches[0];
  if (firstBreach && automatic.length === 1) {
    const due = new Date(Date.parse(firstBreach.breachedAt) + settings.reescalateAfterHours * 3_600_000).toISOString();
    timers.push({ ticketId: s.ticketId, leg: 'ticket', kind: 'escalation', dueAt: due, dueKey: firstBreach.breachedAt });
  }
  return timers;
}
