import { ROUTING_ACTOR, type RoutingReference, initialRouting } from '@tongban/domain';
import { ID_NAMESPACES, uuidV5 } from './id-namespaces';
import type { FollowUp } from './ticket-executor';

/**
 * The id of the `index`-th TicketRouted event caused by the event `causeId` (the ticket's TicketSubmitted):
 * UUIDv5 of `<cause id>/routed/<index>` — the same whether intake appends it with the submission or routing's
 * consumer appends it later, so a routing retried after either is an idempotent re-append.
 */
export function routedEventId(causeId: string, index = 0): string {
  return uuidV5(`${causeId}/routed/${index}`, ID_NAMESPACES.causedEvent);
}

/**
 * The initial routing of a submission as the second command of the submission's own append
 * ({@link FollowUp}, issue 13): the rule of {@link initialRouting}, by the routing system actor on the
 * `system` channel, with {@link routedEventId} ids — TicketRouted exactly as routing's consumer writes it,
 * but for the metadata's `service` (the appending process: `intake`).
 * @returns undefined when no unit is responsible for the division (the ticket is submitted unrouted, and
 *   routing's consumer reports it).
 */
export function initialRoutingFollowUp(ref: RoutingReference, submission: { division: string; serviceCode: string }): FollowUp | undefined {
  const command = initialRouting(ref, submission);
  return command && { command, actor: ROUTING_ACTOR, channel: 'system', eventId: routedEventId };
}
