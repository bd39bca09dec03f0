import type { ActorContext, DecideContext, TicketCommandType } from './commands';
import { decide } from './decide';
import { TicketRejection } from './errors';
import { authorize } from './permissions';
import type { TicketState } from './state';
import { sampleCommand } from './sample-world';

/** The commands staff run on a ticket from the console, in the order its buttons show them. */
export const STAFF_ACTIONS = [
  'AcceptTicket', 'ReplyToTicket', 'AddInternalNote', 'RequestInformation', 'TransferTicket', 'HandBackTicket',
  'SetResolutionDeadline', 'ResolveTicket', 'VerifyResolution', 'CloseTicket', 'RejectTicket', 'MarkDuplicate', 'MergeTicket',
  'ReassignTicket', 'EscalateTicket', 'ReturnTicket', 'ReviewReturn', 'RecordCallback',
] as const satisfies readonly TicketCommandType[];

/** One of {@link STAFF_ACTIONS}. */
export type StaffAction = (typeof STAFF_ACTIONS)[number];

/**
 * Whether the actor may run an action on the ticket now, and if not why: a permission reason of
 * `authorize` (read_only_role, not_holder, outside_jurisdiction, role_not_allowed, not_reporter), a
 * precondition of the decider in the ticket's current state (already_accepted, not_transferred,
 * deadline_passed, …) or `no_effect` when the command would record nothing.
 */
export interface PermittedAction {
  command: StaffAction;
  allowed: boolean;
  reason?: string;
}

/**
 * The console's action buttons for an actor on a ticket: every {@link STAFF_ACTIONS} entry, allowed
 * when the permission table (the same `authorize` the services enforce) grants it and the decider, run
 * dry on a well-formed command (`sampleCommand`) at `ctx.now`, accepts it in the ticket's state. A
 * refusal for the command's own arguments (kind `invalid`) leaves the action allowed: the user's form
 * decides those, and the API answers them.
 */
export function permittedActions(actor: ActorContext, state: TicketState, ctx: Omit<DecideContext, 'actor'>): PermittedAction[] {
  return STAFF_ACTIONS.map((command) => {
    const full: DecideContext = { ...ctx, actor };
    try {
      authorize(command, actor, state, full);
      const events = decide(sampleCommand(command, state, ctx.now), state, full);
      return events.length > 0 ? { command, allowed: true } : { command, allowed: false, reason: 'no_effect' };
    } catch (err) {
      if (!(err instanceof TicketRejection)) throw err;
      return err.kind === 'invalid' ? { command, allowed: true } : { command, allowed: false, reason: err.reason };
    }
  });
}
