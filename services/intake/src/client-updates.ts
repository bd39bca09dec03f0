import type { Metadata } from '@grpc/grpc-js';
import type { Principal } from '@tongban/auth';
import type { commands, intake } from '@tongban/contracts';
import { ticketStream, isTicketId } from '@tongban/domain';
import type { EventStore } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { ID_NAMESPACES, type TicketExecutor, executeTicketRpc, fail, uuidV5 } from '@tongban/runtime';
import { reporterCommand } from './reporter-commands';
import { requestDigest } from './request-digest';

/**
 * Reporter follow-ups that carry the caller's own id (Open311 `update_id`, FixMyStreet's retry key):
 * the events are written with ids derived from (caller, ticket, client update id, index), so a repeat
 * cannot write twice. Before executing, the stream is searched for the first derived id: when it is
 * there, the repeat is answered with the revision of that earlier write and nothing is decided again
 * (the ticket may have moved on — a confirmed request is closed, a second "close" would be refused).
 * Two concurrent posts that both miss it race: the loser either re-appends the same id at the same
 * revision (the store's idempotent repeat, which writes nothing), finds it at an earlier one
 * (DuplicateEventIdError) or is refused on the state the winner left; whichever, when the stream then
 * holds the id it is answered from the stored events, as a later repeat is. The events record a hash of the request they were written for: the same
 * id with another request (a withdrawal after an information, another text) is refused
 * (idempotency_key_reused), never answered with the first write's outcome as if it had been done.
 */

/** Longest client update id accepted (the gateway's Idempotency-Key and Open311 update_id are shorter or as long). */
const MAX_CLIENT_UPDATE_ID_LENGTH = 256;

/**
 * Deterministic id of the `index`-th event written for a client's update: UUID v5 of the caller
 * (kind and id — for Open311 the client application), the ticket and the client's update id.
 */
export function clientUpdateEventId(principal: Pick<Principal, 'kind' | 'id'>, ticketId: string, clientUpdateId: string, index: number): string {
  return uuidV5(JSON.stringify([principal.kind, principal.id, ticketId.toLowerCase(), clientUpdateId, index]), ID_NAMESPACES.clientUpdate);
}


/**
 * The request digest (`requestDigest`) of what the caller asked: the command (the request's
 * oneof), or for an Open311 client its text alone — the gateway chose the command from the ticket's status
 * at the time (the confirmation of a resolved request, repeated once it is closed, reads as information).
 */
function requestHash(command: intake.ExecuteReporterCommandRequest['command'], principal: Principal): string {
  const open311Text = principal.kind !== 'open311' ? undefined
    : command?.$case === 'addInformation' ? command.value.text
    : command?.$case === 'close' || command?.$case === 'reopen' ? command.value.reason : undefined;
  return requestDigest(open311Text !== undefined ? { text: open311Text } : command ?? null);
}

/**
 * The outcome of an earlier write of the same client update, if the stream holds one.
 * @throws ServiceFailure ALREADY_EXISTS (idempotency_key_reused) when it was written for another command
 * (events written before the hash was recorded are taken as the same).
 */
async function earlierOutcome(store: EventStore, ticketId: string, ids: (index: number) => string, requestHash: string): Promise<commands.CommandOutcome | undefined> {
  const events = await store.readStream(ticketStream(ticketId));
  const first = events.findIndex((e) => e.id === ids(0));
  if (first < 0) return undefined;
  const recorded = events[first]!.metadata.requestHash;
  if (recorded !== undefined && recorded !== requestHash) {
    throw fail.alreadyExists('idempotency_key_reused', 'this client update id (Idempotency-Key) was used for another request on the ticket');
  }
  const written = [];
  for (let i = first; i < events.length && events[i]!.id === ids(written.length); i++) written.push(events[i]!);
  return { ticketId, revision: written[written.length - 1]!.revision, eventTypes: written.map((e) => e.type) };
}

/**
 * ExecuteReporterCommand: without `client_update_id` as every ticket command; with one, at most once
 * per (caller, ticket, client update id) — a repeat answers the first write's outcome with `replayed`.
 * @throws ServiceFailure INVALID_ARGUMENT (missing_command, invalid_client_update_id), NOT_FOUND, ALREADY_EXISTS
 * (idempotency_key_reused: the id was used for another command); whatever the executor throws.
 */
export async function executeReporterCommand(
  deps: { executor: TicketExecutor; store: EventStore; ref: ReferenceData },
  request: intake.ExecuteReporterCommandRequest,
  principal: Principal,
  metadata: Metadata,
): Promise<{ outcome: commands.CommandOutcome; replayed?: boolean }> {
  const command = reporterCommand(request, principal);
  const clientUpdateId = request.clientUpdateId ?? '';
  if (clientUpdateId === '') return executeTicketRpc(deps, request, principal, metadata, command);
  if (clientUpdateId.length > MAX_CLIENT_UPDATE_ID_LENGTH) {
    throw fail.invalid('invalid_client_update_id', `client_update_id must be at most ${MAX_CLIENT_UPDATE_ID_LENGTH} characters`);
  }
  if (!isTicketId(request.ticketId)) throw fail.notFound('ticket_not_found', `no ticket ${request.ticketId}`);
  const ticketId = request.ticketId.toLowerCase();
  const ids = (index: number) => clientUpdateEventId(principal, ticketId, clientUpdateId, index);
  const hash = requestHash(request.command, principal);

  const before = await earlierOutcome(deps.store, ticketId, ids, hash);
  if (before) return { outcome: before, replayed: true };
  // A concurrent post of the id may have written first — then this post lost the append
  // (DuplicateEventIdError) or was decided on the state after it (a second "close" refused, information
  // on a ticket the other post withdrew): its outcome when it was this request, else refused as reused.
  const raced = async () => earlierOutcome(deps.store, ticketId, ids, hash);
  try {
    const answer = await executeTicketRpc(deps, { ...request, ticketId }, principal, metadata, command, { eventId: ids, requestHash: hash });
    if (!answer.repeated) return { outcome: answer.outcome };
  } catch (err) {
    const earlier = await raced();
    if (earlier) return { outcome: earlier, replayed: true };
    throw err;
  }
  const earlier = await raced();
  if (!earlier) throw new Error(`client update ${clientUpdateId}: stored, then not found`);
  return { outcome: earlier, replayed: true };
}
