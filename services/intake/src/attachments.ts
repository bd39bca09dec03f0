import type { Metadata } from '@grpc/grpc-js';
import type { Principal } from '@tongban/auth';
import { AttachmentRejected, type AttachmentStore, prepareAttachment } from '@tongban/attachments';
import type { intake } from '@tongban/contracts';
import type { EventStore } from '@tongban/eventstore';
import { type Clock, type TicketCommand, decide, isTicketId } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { type TicketExecutor, actorContext, executeTicketRpc, fail, loadTicket } from '@tongban/runtime';

/** Largest AddAttachment request intake accepts over gRPC, bytes: a 5 MB file and the envelope. */
export const MAX_ATTACHMENT_MESSAGE_BYTES = 6 * 1024 * 1024;

/** Dependencies of {@link addAttachment}. */
export interface AttachmentDeps {
  executor: TicketExecutor;
  store: EventStore;
  files: AttachmentStore;
  ref: ReferenceData;
  clock: Clock;
}

/**
 * AddAttachment: checks the file (magic bytes, ≤ 5 MB), strips its metadata, and — when the caller may
 * attach to this ticket (decided first, so nothing is stored for a refused caller) — stores it under
 * its SHA-256 and appends AttachmentAdded. The file is stored before the event is appended, so an event
 * never names a file the store lacks; a crash in between leaves an unreferenced file (harmless: content
 * addressed, stored once). The same file again answers `replayed` without a new event.
 * @throws ServiceFailure INVALID_ARGUMENT (empty_attachment, attachment_too_large, unsupported_media_type,
 *   malformed_image), NOT_FOUND; TicketRejection (forbidden, too_many_attachments, invalid_status).
 */
export async function addAttachment(
  deps: AttachmentDeps, request: intake.AddAttachmentRequest, principal: Principal, metadata: Metadata,
): Promise<intake.AddAttachmentResponse> {
  if (!isTicketId(request.ticketId)) throw fail.notFound('ticket_not_found', `no ticket ${request.ticketId}`);
  const ticketId = request.ticketId.toLowerCase();
  let prepared;
  try {
    prepared = await prepareAttachment(request.data, { keepLocation: request.keepLocation });
  } catch (err) {
    if (err instanceof AttachmentRejected) throw fail.invalid(err.reason, err.message);
    throw err;
  }
  const command: TicketCommand = {
    type: 'AddAttachment', sha256: prepared.sha256, contentType: prepared.contentType, size: prepared.size,
    ...(prepared.location ? { lat: prepared.location.lat, long: prepared.location.long } : {}),
  };
  const state = await loadTicket(deps.store, ticketId);
  if (!state.exists) throw fail.notFound('ticket_not_found', `no ticket ${ticketId}`);
  // Authorise and check the limits before anything is stored (the executor decides again when appending).
  const actor = actorContext(principal, deps.ref);
  decide(command, state, { now: deps.clock.now(), actor, isWithin: (c, a) => deps.ref.divisions.isWithin(c, a) });
  await deps.files.put(prepared.sha256, prepared.contentType, prepared.bytes);
  const { outcome } = await executeTicketRpc(deps, { ticketId, ...(request.expectedRevision !== undefined ? { expectedRevision: request.expectedRevision } : {}) }, principal, metadata, command);
  return {
    sha256: prepared.sha256,
    contentType: prepared.contentType,
    size: prepared.size,
    revision: outcome?.revision ?? state.revision,
    replayed: (outcome?.eventTypes.length ?? 0) === 0,
  };
}
