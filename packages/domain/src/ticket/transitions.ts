import type { ActorContext, TicketCommandType } from './commands';
import { type RejectionKind, TicketRejection } from './errors';
import type { TicketEventType } from './events';
import { type Grant, PERMISSIONS, holdsGrant, isAllowed } from './permissions';
import { SAMPLE_ACTORS, SAMPLE_SCENARIOS, applyCommand, buildScenario, sampleContext, sampleNow, sampleVariants } from './sample-world';
import { slaChanges } from '../sla/leg-changes';
import { initialTicketState, type TicketState, type TicketStatus } from './state';

/*
 * The status transition table, derived from the decider itself: a few representative tickets (one or
 * more per status, each built by running real commands through decide + evolve; sample-world.ts) are
 * offered every command by every kind of actor; whatever the decider accepts is a transition. Nothing
 * here restates a rule, so the table (and docs/ticket-lifecycle.md, rendered from it by @tongban/docs)
 * cannot drift from the decider. Pure: no I/O; scripts/gen-transitions.ts writes the file.
 */

/** Every status, in lifecycle order. */
export const TICKET_STATUSES: readonly TicketStatus[] = [
  'submitted', 'routed', 'in_progress', 'awaiting_information', 'resolved', 'closed', 'rejected', 'duplicate', 'withdrawn',
];

/** Every command type, in the order the table lists them. */
export const TICKET_COMMAND_TYPES: readonly TicketCommandType[] = [
  'SubmitTicket', 'RouteTicket', 'AcceptTicket', 'ReplyToTicket', 'AddInternalNote', 'TransferTicket', 'HandBackTicket',
  'RequestInformation', 'AddInformation', 'SetResolutionDeadline', 'ResolveTicket', 'VerifyResolution', 'CloseTicket',
  'ReopenTicket', 'RateTicket', 'RejectTicket', 'MarkDuplicate', 'WithdrawTicket', 'ReassignTicket', 'EscalateTicket',
  'IssueDeadlineWarning', 'RecordDeadlineBreach', 'AddAttachment', 'ReturnTicket', 'ReviewReturn', 'RecordCallback', 'FollowTicket',
  'MergeTicket', 'RecordMergedDuplicate', 'RecordCallbackOverdue',
];

/** Rejection reason in the table when no actor holds a grant for the command in that status. */
export const NOBODY_ALLOWED = 'nobody_allowed';

/** The status before the first event: the ticket does not exist yet. */
export const NEW_TICKET = 'new' as const;

/** Outcome of a command in a status. */
export type TransitionOutcome =
  | {
      kind: 'allowed';
      /** Resulting status(es) (one unless the representative tickets of the status disagree). */
      to: readonly TicketStatus[];
      /** Event types recorded. */
      events: readonly TicketEventType[];
      /** Grants (ticket/permissions.ts) held by the actors for whom it succeeded. */
      grants: readonly Grant[];
      /** What it did to the SLA legs: leg label → changes in words (sla/leg-changes.ts), over every sample ticket. */
      sla: Readonly<Record<string, readonly string[]>>;
    }
  /** Accepted with no event (already in effect; e.g. routing a ticket that is already routed). */
  | { kind: 'no_effect' }
  /**
   * Refused: the reason an allowed actor gets; when no actor is allowed, a reason every actor gets
   * (e.g. not_routed), else forbidden `nobody_allowed`.
   */
  | { kind: 'rejected'; rejection: { kind: RejectionKind; reason: string } };

/** One cell of the transition table. */
export interface Transition {
  from: TicketStatus | typeof NEW_TICKET;
  command: TicketCommandType;
  outcome: TransitionOutcome;
}

/**
 * Derives the full status × command table from the decider: for every representative ticket and every
 * command, every sample actor runs a well-formed command through decide and evolve. A (status, command)
 * pair is allowed when it recorded events for at least one actor in at least one representative ticket
 * of that status; otherwise the rejection is reported (see TransitionOutcome).
 * @throws Error when an actor that the permission table does not allow recorded events (a decider bug).
 */
export function deriveTransitions(): Transition[] {
  const states: { from: Transition['from']; state: TicketState }[] = [
    { from: NEW_TICKET, state: initialTicketState() },
    ...SAMPLE_SCENARIOS.map((s) => {
      const state = buildScenario(s);
      return { from: state.status, state };
    }),
  ];
  const froms: Transition['from'][] = [NEW_TICKET, ...TICKET_STATUSES];
  const actors: ActorContext[] = Object.values(SAMPLE_ACTORS);
  const table: Transition[] = [];
  for (const from of froms) {
    for (const command of from === NEW_TICKET ? (['SubmitTicket'] as const) : TICKET_COMMAND_TYPES) {
      const to = new Set<TicketStatus>();
      const events = new Set<TicketEventType>();
      const grants = new Set<Grant>();
      const sla = new Map<string, Set<string>>();
      let noEffect = false;
      const refusals: { allowed: boolean; rejection: { kind: RejectionKind; reason: string } }[] = [];
      for (const { state } of states.filter((s) => s.from === from)) {
        for (const actor of actors) {
          const now = sampleNow(command, actor, state);
          const ctx = sampleContext(actor, now);
          const allowed = isAllowed(command, actor, state, ctx);
          for (const sample of sampleVariants(command, state, now)) try {
            const result = applyCommand(state, sample, ctx);
            if (!allowed && result.events.length > 0) throw new Error(`${command} by a forbidden actor recorded events`);
            if (result.events.length === 0) { noEffect ||= allowed; continue; }
            to.add(result.state.status);
            for (const e of result.events) events.add(e.type);
            for (const g of PERMISSIONS[command]) if (holdsGrant(g, actor, state, ctx)) grants.add(g);
            for (const [leg, changes] of Object.entries(slaChanges(state.sla, result.state.sla))) {
              for (const c of changes) sla.set(leg, (sla.get(leg) ?? new Set()).add(c));
            }
          } catch (error) {
            if (!(error instanceof TicketRejection)) throw error;
            refusals.push({ allowed, rejection: { kind: error.kind, reason: error.reason } });
          }
        }
      }
      // The reason to show: what an allowed actor is told; else a reason that holds for everyone (e.g.
      // not_routed); else nobody holds a grant for it in this status.
      const rejection = refusals.find((r) => r.allowed)?.rejection
        ?? refusals.find((r) => r.rejection.kind !== 'forbidden')?.rejection
        ?? { kind: 'forbidden' as const, reason: NOBODY_ALLOWED };
      const outcome: TransitionOutcome = to.size > 0
        ? {
          kind: 'allowed', to: TICKET_STATUSES.filter((s) => to.has(s)), events: [...events].sort(), grants: PERMISSIONS[command].filter((g) => grants.has(g)),
          sla: Object.fromEntries([...sla].map(([leg, changes]) => [leg, [...changes]])),
        }
        : noEffect ? { kind: 'no_effect' } : { kind: 'rejected', rejection };
      table.push({ from, command, outcome });
    }
  }
  return table;
}

/** Only the allowed transitions of a table (default: the derived one). */
export function allowedTransitions(table: readonly Transition[] = deriveTransitions()): (Transition & { outcome: Extract<TransitionOutcome, { kind: 'allowed' }> })[] {
  return table.filter((t): t is Transition & { outcome: Extract<TransitionOutcome, { kind: 'allowed' }> } => t.outcome.kind === 'allowed');
}
