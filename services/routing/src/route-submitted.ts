import { ROUTING_ACTOR, type TicketState, awaitsRouting, evolveAll, initialRouting } from '@tongban/domain';
import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { type TicketExecutor, routedEventId, toEnvelopes } from '@tongban/runtime';

/** What routing's consumer of TicketSubmitted needs. */
export interface RouteSubmittedDeps {
  executor: TicketExecutor;
  ref: ReferenceData;
  store: EventStore;
}

/**
 * On TicketSubmitted: routes the ticket by the initial-routing rule (`initialRouting` of @tongban/domain: the
 * administration unit of its division, the department its category suggests), unless it is routed already.
 * Intake routes a ticket in the submission's own append (issue 13), so this is the safety net for tickets
 * submitted without it (by an older intake during a rolling update, or any other path): the TicketRouted it
 * writes is the one intake would have (same id, derived from the submitted event's; causation; correlation;
 * actor), so either writer's retry is an idempotent repeat. A redelivered event finds the ticket routed and
 * writes nothing.
 * @throws Error when no unit is responsible for the division of a ticket still awaiting its routing (cannot happen
 *   after intake's validation): the event is retried, then dead-lettered with an alert, and the ticket stays unrouted.
 */
export async function routeSubmittedTicket(deps: RouteSubmittedDeps, event: RecordedEvent): Promise<void> {
  const data = event.data as { ticketId: string; division: string; serviceCode: string };
  // The rule is asked only of a ticket still awaiting its routing: one routed (by intake) or moved on since (withdrawn,
  // rejected) is a no-op, whatever this process's reference data says of its division (a redriven dead letter included).
  const command = (state: TicketState) => {
    if (!awaitsRouting(state)) return undefined;
    const routing = initialRouting(deps.ref, data);
    if (!routing) throw new Error(`no administration unit for division ${data.division}`);
    return routing;
  };
  await deps.executor.execute(data.ticketId, command, ROUTING_ACTOR, {
    correlationId: event.metadata.correlationId,
    causationId: event.id,
    channel: 'system',
    eventId: (i) => routedEventId(event.id, i),
  });
}

/**
 * The TicketSubmitted events at hand together: their streams read in one query, and only the tickets still
 * waiting for their routing routed ({@link routeSubmittedTicket}) — on the usual path (intake routed them)
 * one read per batch and no append. Idempotent like the single handler.
 * @returns how many tickets it routed (the safety net at work).
 */
export async function routeSubmittedTickets(deps: RouteSubmittedDeps, events: readonly RecordedEvent[]): Promise<number> {
  const streams = await deps.store.readStreams([...new Set(events.map((e) => e.stream))]);
  const unrouted = new Map<string, RecordedEvent>();
  for (const event of events) {
    // (An empty stream cannot be: the relay publishes committed events. Its state is 'submitted': handled as one.)
    if (awaitsRouting(evolveAll(toEnvelopes(streams.get(event.stream) ?? [])))) unrouted.set(event.id, event);
  }
  await Promise.all([...unrouted.values()].map((event) => routeSubmittedTicket(deps, event)));
  return unrouted.size;
}
