import { type ActorContext, type EscalationUnits, type TicketCommand, type TicketState, TicketRejection, escalationCommand } from '@tongban/domain';
import { DuplicateEventIdError, type EventStore } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { ID_NAMESPACES, type TicketExecutor, uuidV5 } from '@tongban/runtime';
import { type Timer, type TimerSettings, nextEscalation } from './schedule';

/** The deadline service acting on its own authority. */
const DEADLINE_ACTOR: ActorContext = { kind: 'system', id: 'deadline' };

/**
 * Deterministic id of an event caused by a timer (UUID v5 of ticket, leg, kind, due key and role): the same
 * timer can never write two events, whichever replica fires it and however often.
 */
export function timerEventId(t: Pick<Timer, 'ticketId' | 'leg' | 'kind' | 'dueKey'>, role: string): string {
  return uuidV5(`${t.ticketId}/${t.leg}/${t.kind}/${t.dueKey}/${role}`, ID_NAMESPACES.timerEvent);
}

/** Dependencies of firing. */
export interface FireDeps {
  executor: TicketExecutor;
  store: EventStore;
  ref: ReferenceData;
  settings: TimerSettings;
  /** The current instant (the service's clock). */
  now: () => Date;
}

/** The escalation lookups from reference data: the supervising administration and the prefecture. */
function escalationUnits(ref: ReferenceData): EscalationUnits {
  const top = ref.units.find((u) => u.kind === 'administration' && u.level === 'prefecture');
  return { supervisingUnit: (id) => ref.unitsById.get(id) && ref.supervisingUnit(id)?.id, topUnitId: top?.id ?? '' };
}

/**
 * Fires a timer: a warning → DeadlineWarningIssued (to the holding unit, by the notification service);
 * a breach → DeadlineBreached and, when it is the first, at once the level-1 TicketEscalated (automatic) to
 * the unit supervising the accountable unit; an escalation timer → TicketEscalated of its level (level 2:
 * the prefecture); auto-close → TicketClosed; callback_overdue → CallbackOverdue (issue 14 item 4). Rejections (the ticket moved on) and already-written
 * deterministic events count as done.
 */
export async function fireTimer(deps: FireDeps, t: Timer): Promise<void> {
  /**
   * Runs what `plan` makes from the ticket's state as the executor reads it (one read of the stream per
   * attempt); returns the state after it, undefined when the ticket moved on (a rejection, or the event is
   * already written).
   */
  const run = async (plan: Plan, role: string): Promise<TicketState | undefined> => {
    let planned: Planned | undefined;
    try {
      const result = await deps.executor.execute(t.ticketId, (state) => { planned = plan(state); return planned?.command; }, DEADLINE_ACTOR, {
        // Caused by the event that last set the timers (the stream's latest), in its correlation.
        correlationId: t.ticketId, causedByLatest: true, channel: 'system', eventId: (index, event) => {
          // The level-1 escalation carried by a breach keeps the id the escalation timer would give it, so the
          // two paths (and older replicas that append it separately) can never write it twice.
          if (index > 0 && event.type === 'TicketEscalated' && planned?.command.type === 'RecordDeadlineBreach') {
            return timerEventId({ ticketId: t.ticketId, leg: 'ticket', kind: 'escalation', dueKey: `level-${event.data.level}` }, 'escalation');
          }
          return timerEventId({ ticketId: t.ticketId, ...planned!.key }, index === 0 ? role : `${role}/${index}`);
        },
      });
      return result.state;
    } catch (err) {
      if (err instanceof TicketRejection || err instanceof DuplicateEventIdError) return undefined;
      throw err;
    }
  };
  const always = (command: TicketCommand): Plan => () => ({ command, key: t });
  switch (t.kind) {
    case 'warning':
      if (t.leg !== 'ticket') await run(always({ type: 'IssueDeadlineWarning', leg: t.leg, dueAt: t.dueKey }), 'warning');
      return;
    case 'breach': {
      if (t.leg === 'ticket') return;
      const leg = t.leg;
      // One append carries the breach and, when it is the ticket's first, the level-1 automatic escalation
      // (the target is the unit supervising the accountable unit, from the state before the breach).
      const state = await run((before) => {
        const target = before.escalations.length === 0 ? escalationCommand(before, 1, escalationUnits(deps.ref), '')?.toUnitId : undefined;
        return { command: { type: 'RecordDeadlineBreach', leg, dueAt: t.dueKey, ...(target ? { toUnitId: target } : {}) }, key: t };
      }, 'breach');
      // Anything still due (e.g. the ticket changed between the read and the append) escalates here; the
      // same event id as the escalation timer's means only one TicketEscalated can be written.
      const escalation = escalationPlan(deps);
      if (state && escalation(state)) await run(escalation, 'escalation');
      return;
    }
    case 'escalation':
      await run(escalationPlan(deps, t.dueKey), 'escalation');
      return;
    case 'auto_close':
      await run(always({ type: 'CloseTicket', reason: 'no objection within the window' }), 'auto_close');
      return;
    case 'callback_overdue':
      await run(always({ type: 'RecordCallbackOverdue', dueAt: t.dueKey }), 'callback_overdue');
      return;
  }
}

/** A command to run and the timer key its event ids derive from. */
interface Planned { command: TicketCommand; key: Pick<Timer, 'leg' | 'kind' | 'dueKey'> }

/** What to run for a ticket's state (undefined: nothing). */
type Plan = (state: TicketState) => Planned | undefined;

/** The escalation that is due now for a state (if it is `expectedKey`, when given), else undefined. */
function escalationPlan(deps: FireDeps, expectedKey?: string): Plan {
  return (state) => {
    const next = nextEscalation(state, deps.settings);
    if (!next || Date.parse(next.dueAt) > deps.now().getTime()) return undefined;
    const dueKey = `level-${next.level}`;
    if (expectedKey && expectedKey !== dueKey) return undefined;
    const reason = next.level === 1
      ? `${next.leg} was due and is overdue since ${next.breachedAt}`
      : `${next.leg} still unmet ${deps.settings.reescalateAfterHours} h after its breach at ${next.breachedAt}`;
    const command = escalationCommand(state, next.level, escalationUnits(deps.ref), reason);
    return command ? { command, key: { leg: 'ticket', kind: 'escalation', dueKey } } : undefined;
  };
}
