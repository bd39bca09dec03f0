// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import type { Principal } from '@tongban/auth';
import { isTicketId, ticketStream, type TicketState } from '@tongban/domain';
import { casework } from '@tongban/contracts';
import type { ReferenceData } from '@tongban/reference-data';
import { TicketExecutor, actorContext, correlationId, executeTicketRpc, fail, loadTicket, runService, serveGrpc, unary } from '@tongban/runtime';
import { caseworkCommand } from './commands';

runService('casework', async (host) => {
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'casework', settings: host.settings });
  const deps = { executor, ref: host.ref };
  const grpc = await serveGrpc(host, 'casework', casework.CaseworkServiceService, {
    executeCaseworkCommand: unary(host.keys, host.log, async (req: casework.ExecuteCaseworkCommandRequest, principal, md) => {
      let command = caseworkCommand(req);
      if (command.type === 'MarkDuplicate' && command.ofTicketId !== req.ticketId) {
        const original = isTicketId(command.ofTicketId) ? await loadTicket(host.store, command.ofTicketId) : undefined;
        if (!original?.exists || !mayName(principal, original, host.ref)) throw fail.invalid('duplicate_target_not_found', `no ticket ${command.ofTicketId} to be a duplicate of`);
      }
      if (command.type !== 'MergeTicket') return executeTicketRpc(deps, req, principal, md, command);

      // 并单 (issue 14 item 5): the decider checks the lead's status, so it gets the lead as it is now; then the
      // merge is recorded on the lead. Not one transaction: a crash between the two appends leaves the lead
      // without the record until the merge is requested again (which records nothing more on this ticket
      // and completes the lead).
      const into = command.intoTicketId.toLowerCase();
      const lead = isTicketId(into) && into !== req.ticketId.toLowerCase() ? await loadTicket(host.store, into) : undefined;
      // A lead the caller may not name is answered as missing (merge_target_not_found): no merge across jurisdictions.
      const known = lead?.exists === true && mayName(principal, lead, host.ref);
      command = { ...command, intoTicketId: into, intoReference: known ? lead.reference : '', intoStatus: known ? lead.status : '' };
      const answer = await executeTicketRpc(deps, req, principal, md, command);
      const ticketId = req.ticketId.toLowerCase();
      const merged = await loadTicket(host.store, ticketId);
      if (merged.mergedInto?.ticketId !== into) return answer;
      const submitted = (await host.store.readStream(ticketStream(ticketId), { toRevision: 0 }))[0];
      const language = (submitted?.data as { reporter?: { language?: string } } | undefined)?.reporter?.language ?? '';
      const actor = actorContext(principal, host.ref);
      await executor.execute(into, {
        type: 'RecordMergedDuplicate', mergedTicketId: ticketId, mergedReference: merged.reference, reporterDeviceId: merged.reporter.deviceId,
        reporterLanguage: language, staffId: actor.id, unitId: actor.unitId ?? '',
      }, { kind: 'system', id: 'casework' }, { correlationId: correlationId(md), channel: 'system' });
      return answer;
    }),
  });
  host.log.info({ port: grpc.port }, 'casework gRPC listening');
});

/**
 * Whether the caller may name `other` as the original of a duplicate or the lead of a merge: a ticket it could
 * find by reference, i.e. one in its jurisdiction (supervisors, admins, hotline: the division subtree of the
 * token), one its unit holds, is accountable for or was routed, or any ticket for auditors and the system.
 * Anything else is answered as if it did not exist, so no ticket is tied to one of another county (and its
 * reporter does not come to follow it) and no existence leaks.
 */
function mayName(principal: Principal, other: TicketState, ref: ReferenceData): boolean {
  if (principal.kind !== 'staff') return principal.kind === 'system';
  if (principal.role === 'auditor') return true;
  const units = [other.holderUnitId, other.firstResponder?.unitId, other.routedUnitId];
  if (units.includes(principal.unitId) && principal.role !== 'information-officer') return true;
  return (principal.role === 'supervisor' || principal.role === 'admin' || principal.role === 'hotline') && ref.divisions.isWithin(other.division, principal.division);
}
