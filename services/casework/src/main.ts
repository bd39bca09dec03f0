import { isTicketId } from '@tongban/domain';
import { casework } from '@tongban/contracts';
import { TicketExecutor, executeTicketRpc, fail, loadTicket, runService, startGrpcServer, unary } from '@tongban/runtime';
import { caseworkCommand } from './commands';

runService('casework', async (host) => {
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'casework', settings: host.settings });
  const deps = { executor, ref: host.ref };
  const grpc = await startGrpcServer(host.config.addresses.casework, casework.CaseworkServiceService, {
    executeCaseworkCommand: unary(host.key, host.log, async (req: casework.ExecuteCaseworkCommandRequest, principal, md) => {
      const command = caseworkCommand(req);
      if (command.type === 'MarkDuplicate' && command.ofTicketId !== req.ticketId) {
        const original = isTicketId(command.ofTicketId) ? await loadTicket(host.store, command.ofTicketId) : undefined;
        if (!original?.exists) throw fail.invalid('duplicate_target_not_found', `no ticket ${command.ofTicketId} to be a duplicate of`);
      }
      return executeTicketRpc(deps, req, principal, md, command);
    }),
  });
  host.onStop(grpc.stop);
  host.log.info({ port: grpc.port }, 'casework gRPC listening');
});
