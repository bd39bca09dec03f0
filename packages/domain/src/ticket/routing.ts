import { type Catalogue, findService } from '../reference/catalogue';
import type { Unit } from '../reference/units';
import type { ActorContext, TicketCommand } from './commands';
import type { TicketState } from './state';

/**
 * The routing service acting on its own authority: the actor of every initial routing (TicketRouted),
 * whichever process appends it — intake in the submission's own append, or routing's consumer.
 */
export const ROUTING_ACTOR: ActorContext = { kind: 'system', id: 'routing' };

/** What the initial routing reads of the reference data (`ReferenceData` of @tongban/reference-data has it). */
export interface RoutingReference {
  catalogue: Catalogue;
  /** The administration unit responsible for a division (a village's township); undefined when unknown. */
  responsibleUnit(division: string): Unit | undefined;
}

/** The command that routes a new ticket. */
export type RouteTicketCommand = Extract<TicketCommand, { type: 'RouteTicket' }>;

/**
 * The initial routing of a submission (the one rule, used by intake when it submits and by routing's
 * consumer for a ticket submitted without it): to the administration unit responsible for its division
 * (a village's township; a township, county or the prefecture itself), naming the department type its
 * category suggests ('' when the catalogue has none). Pure over the reference data.
 * @returns undefined when no unit is responsible for the division (cannot happen after intake's validation).
 */
export function initialRouting(ref: RoutingReference, submission: { division: string; serviceCode: string }): RouteTicketCommand | undefined {
  const unit = ref.responsibleUnit(submission.division);
  if (!unit) return undefined;
  const suggestedDepartment = findService(ref.catalogue, submission.serviceCode)?.department ?? '';
  return { type: 'RouteTicket', unitId: unit.id, division: unit.division, suggestedDepartment };
}

/** Whether a ticket still waits for its initial routing (submitted, not routed): RouteTicket records an event only then. */
export function awaitsRouting(state: Pick<TicketState, 'status'>): boolean {
  return state.status === 'submitted';
}
