import type { Metadata } from '@grpc/grpc-js';
import type { Principal } from '@tongban/auth';
import type { commands } from '@tongban/contracts';
import { isTicketId } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { actorContext } from './actor';
import { fail } from './grpc-errors';
import { correlationId } from './grpc-server';
import type { CommandOf, ExecuteOptions, TicketExecutor } from './ticket-executor';

/** The common part of every Execute…CommandRequest. */
export interface TicketCommandRequest {
  ticketId: string;
  expectedRevision?: number | undefined;
}

/**
 * Runs one ticket command for a gRPC call and answers with the outcome. `command` may be made from the
 * ticket's state (see CommandOf: the stream read once). `idempotent` (a client update): its `eventId` gives
 * deterministic event ids (default UUIDv7), its `requestHash` is recorded in the events' metadata; `repeated`
 * says the store held those ids already (see ExecuteResult.repeated: the outcome is then not what is stored).
 * @throws ServiceFailure INVALID_ARGUMENT (invalid_ticket_id); whatever the executor throws.
 */
export async function executeTicketRpc(
  deps: { executor: TicketExecutor; ref: ReferenceData },
  request: TicketCommandRequest,
  principal: Principal,
  metadata: Metadata,
  command: CommandOf,
  idempotent?: Pick<ExecuteOptions, 'eventId' | 'requestHash'>,
): Promise<{ outcome: commands.CommandOutcome; repeated?: boolean }> {
  if (!isTicketId(request.ticketId)) throw fail.notFound('ticket_not_found', `no ticket ${request.ticketId}`);
  const result = await deps.executor.execute(request.ticketId.toLowerCase(), command, actorContext(principal, deps.ref), {
    correlationId: correlationId(metadata),
    channel: principal.kind === 'staff' ? 'web' : principal.kind === 'open311' ? 'open311' : 'app',
    ...(request.expectedRevision !== undefined ? { expectedRevision: request.expectedRevision } : {}),
    ...idempotent,
  });
  return {
    outcome: { ticketId: request.ticketId.toLowerCase(), revision: result.revision, eventTypes: result.eventTypes },
    ...(result.repeated ? { repeated: true } : {}),
  };
}
