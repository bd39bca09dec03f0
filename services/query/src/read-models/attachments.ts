import type { Principal } from '@tongban/auth';
import { type AttachmentStore, isSha256 } from '@tongban/attachments';
import type { query } from '@tongban/contracts';
import type { TicketState } from '@tongban/domain';
import { ServiceFailure, fail } from '@tongban/runtime';
import { isPublicTicket, mayRead } from '../access';
import { type QueryDeps, readableTicket } from './handlers';

const notFound = () => fail.notFound('attachment_not_found', 'no such attachment, or not one you may see');

/**
 * GetAttachment: the file, when the caller may read a ticket it is attached to — the reporter, the
 * units that may read the ticket, auditors (mayRead) — or the ticket is public (then without a token).
 * With `ticket_id` that ticket's latest state decides (read-your-writes); otherwise the read model's
 * tickets holding the hash. Every refusal is NOT_FOUND, so a hash's existence does not leak.
 * @throws ServiceFailure NOT_FOUND (attachment_not_found).
 */
export async function getAttachment(
  deps: QueryDeps & { files: AttachmentStore }, req: query.GetAttachmentRequest, principal: Principal | undefined,
): Promise<query.GetAttachmentResponse> {
  const sha256 = req.sha256.toLowerCase();
  if (!isSha256(sha256)) throw notFound();
  if (!(await mayReadAttachment(deps, sha256, req.ticketId, principal))) throw notFound();
  const file = await deps.files.get(sha256);
  if (!file) throw notFound();
  return { contentType: file.contentType, data: Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength) };
}

const holds = (state: TicketState, sha256: string) => (state.attachments ?? []).some((a) => a.sha256 === sha256);

async function mayReadAttachment(deps: QueryDeps, sha256: string, ticketId: string, principal: Principal | undefined): Promise<boolean> {
  if (ticketId) {
    const state = await ticketForAttachment(deps, ticketId, principal);
    if (state && holds(state, sha256)) return true;
  }
  const { rows } = await deps.pool.query<{ state: TicketState; units_involved: string[] | null }>(
    "SELECT state, units_involved FROM ticket_views WHERE state->'attachments' @> $1::jsonb",
    [JSON.stringify([{ sha256 }])],
  );
  return rows.some((r) => isPublicTicket(r.state) || (principal !== undefined && mayRead(principal, r.state, r.units_involved ?? [], deps.ref)));
}

/** The ticket's latest state when the caller may read it (or it is public); undefined otherwise. */
async function ticketForAttachment(deps: QueryDeps, ticketId: string, principal: Principal | undefined): Promise<TicketState | undefined> {
  const system: Principal = { kind: 'system', id: 'query' };
  try {
    const state = await readableTicket(deps, ticketId, principal ?? system);
    return principal || isPublicTicket(state) ? state : undefined;
  } catch (err) {
    if (err instanceof ServiceFailure) return undefined;
    throw err;
  }
}
