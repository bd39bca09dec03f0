import { type ActorContext, type TicketCommand, TicketRejection } from '@tongban/domain';
import { DuplicateEventIdError } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { type TicketExecutor, loadTicket } from '@tongban/runtime';
import type { EventStore } from '@tongban/eventstore';
import { v5 as uuidv5 } from 'uuid';
import type { Timer } from './schedule';

/** The deadline service acting on its own authority. */
export const DEADLINE_ACTOR: ActorContext = { kind: 'system', id: 'deadline' };

const TIMER_EVENT_NAMESPACE = 'c7f4f0a4-5a3e-4a8e-8d4b-0b6f2d9e1a37';

/** Deterministic id of an event caused by a timer: the same timer can never write two events. */
export function timerEventId(t: Timer, role: string): string {
  return uuidv5(`${t.ticketId}/${t.leg}/${t.kind}/${t.dueKey}/${role}`, TIMER_EVENT_NAMESPACE);
}

/** Dependencies of firing. */
export interface FireDeps {
  executor: TicketExecutor;
  store: EventStore;
  ref: ReferenceData;
}

/**
 * Fires a timer: a warning → DeadlineWarningIssued; a breach → DeadlineBreached and, on the first
 * breach, TicketEscalated (automatic) to the unit supervising the accountable unit (township → county
 * → prefecture); a re-escalation → TicketEscalated to the prefecture; auto-close → TicketClosed.
 * Rejections (the ticket moved on) and already-written deterministic events count as done.
 */
export async function fireTimer(deps: FireDeps, t: Timer): Promise<void> {
  const run = async (command: TicketCommand, role: string) => {
    try {
      return await deps.executor.execute(t.ticketId, command, DEADLINE_ACTOR, {
        correlationId: t.ticketId, channel: 'system', eventId: () => timerEventId(t, role),
      });
    } catch (err) {
      if (err instanceof TicketRejection || err instanceof DuplicateEventIdError) return undefined;
      throw err;
    }
  };
  switch (t.kind) {
    case 'warning':
      if (t.leg !== 'ticket') await run({ type: 'IssueDeadlineWarning', leg: t.leg, dueAt: t.dueKey }, 'warning');
      return;
    case 'breach': {
      if (t.leg === 'ticket') return;
      await run({ type: 'RecordDeadlineBreach', leg: t.leg, dueAt: t.dueKey }, 'breach');
      const state = await loadTicket(deps.store, t.ticketId);
      if (state.escalations.some((e) => e.automatic) || !state.breaches.length) return;
      const accountable = state.firstResponder?.unitId || state.routedUnitId;
      const to = deps.ref.supervisingUnit(accountable);
      if (!to || to.id === state.supervisingUnitId) return;
      await run({ type: 'EscalateTicket', toUnitId: to.id, reason: `${t.leg} was due ${t.dueKey} and is overdue`, automatic: true }, 'escalation');
      return;
    }
    case 'escalation': {
      const state = await loadTicket(deps.store, t.ticketId);
      const top = deps.ref.units.find((u) => u.kind === 'administration' && u.level === 'prefecture');
      if (!top || top.id === state.supervisingUnitId) return;
      await run({ type: 'EscalateTicket', toUnitId: top.id, reason: `still unresolved after the breach of ${t.dueKey}`, automatic: true }, 'escalation');
      return;
    }
    case 'auto_close':
      await run({ type: 'CloseTicket', reason: 'no objection within the window' }, 'auto_close');
      return;
  }
}
