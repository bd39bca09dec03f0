import { findService, type ActorContext } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { ID_NAMESPACES, type TicketExecutor } from '@tongban/runtime';
import { v5 as uuidv5 } from 'uuid';

/** The routing service acting on its own authority. */
const ROUTING_ACTOR: ActorContext = { kind: 'system', id: 'routing' };

/** A deterministic event id for the `index`-th event caused by `causeId` in `role` (same cause → same id). */
function causedEventId(causeId: string, role: string, index = 0): string {
  return uuidv5(`${causeId}/${role}/${index}`, ID_NAMESPACES.causedEvent);
}

/**
 * On TicketSubmitted: routes the ticket to the administration unit of its division (a village's
 * township; a township, county or the prefecture itself), naming the department type suggested by the
 * category. Idempotent: a redelivered event finds the ticket routed and writes nothing.
 * A division without a unit (cannot happen after intake's validation) is logged and left unrouted.
 */
export async function routeSubmittedTicket(deps: { executor: TicketExecutor; ref: ReferenceData }, event: RecordedEvent): Promise<void> {
  const data = event.data as { ticketId: string; division: string; serviceCode: string };
  const unit = deps.ref.responsibleUnit(data.division);
  if (!unit) throw new Error(`no administration unit for division ${data.division}`);
  const suggestedDepartment = findService(deps.ref.catalogue, data.serviceCode)?.department ?? '';
  await deps.executor.execute(data.ticketId, { type: 'RouteTicket', unitId: unit.id, division: unit.division, suggestedDepartment }, ROUTING_ACTOR, {
    correlationId: event.metadata.correlationId,
    causationId: event.id,
    channel: 'system',
    eventId: (i) => causedEventId(event.id, 'routed', i),
  });
}
