// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { isTicketId, ticketStream } from '@tongban/domain';
import { casework } from '@tongban/contracts';
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
        if (!original?.exists) throw fail.invalid('duplicate_target_not_found', `no ticket ${command.ofTicketId} to be a duplicate of`);
      }
      if (command.type !== 'MergeTicket') return executeTicketRpc(deps, req, principal, md, command);

      // 并单 (issue 14 item 5): the decider checks the lead's status, so it gets the lead as it is now; then the
      // merge is recorded on the lead. Not one transaction: a crash between the two appends leaves the lead
      // without the record until the merge is requested again (which records nothing more on this ticket
      // and completes the lead).
      const into = command.intoTicketId.toLowerCase();
      const lead = isTicketId(into) && into !== req.ticketId.toLowerCase() ? await loadTicket(host.store, into) : undefined;
      command = { ...command, intoTicketId: into, intoReference: lead?.reference ?? '', intoStatus: lead?.exists ? lead.status : '' };
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
