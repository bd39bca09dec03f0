import { routing } from '@tongban/contracts';
import { TicketExecutor, consumeTicketEvents, executeTicketRpc, loadTicket, runService, startGrpcServer, unary } from '@tongban/runtime';
import { routingCommand } from './commands';
import { routeSubmittedTicket } from './route-submitted';

runService('routing', async (host) => {
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'routing', settings: host.settings });
  const deps = { executor, ref: host.ref };
  const grpc = await startGrpcServer(host.config.addresses.routing, routing.RoutingServiceService, {
    executeRoutingCommand: unary(host.key, host.log, async (req: routing.ExecuteRoutingCommandRequest, principal, md) => {
      const command = routingCommand(req, await loadTicket(host.store, req.ticketId), host.ref);
      return executeTicketRpc(deps, req, principal, md, command);
    }),
  });
  host.onStop(grpc.stop);
  await consumeTicketEvents(host, 'routing', ['TicketSubmitted'], (event) => routeSubmittedTicket(deps, event));
  host.log.info({ port: grpc.port }, 'routing gRPC listening');
});
