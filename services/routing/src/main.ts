// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { routing } from '@tongban/contracts';
import { TicketExecutor, consumeTicketEvents, executeTicketRpc, runService, serveGrpc, unary } from '@tongban/runtime';
import { routingCommand } from './commands';
import { routeSubmittedTicket, routeSubmittedTickets } from './route-submitted';
import { checkReassignee, identityStaffLookup } from './staff-check';

runService('routing', async (host) => {
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'routing', settings: host.settings });
  const deps = { executor, ref: host.ref, store: host.store };
  // A reassignment may name a person of the staff directory: identity says whether they hold a role at the unit.
  const staffLookup = identityStaffLookup(host.config.addresses.identity);
  host.onStop(() => staffLookup.close());
  const grpc = await serveGrpc(host, 'routing', routing.RoutingServiceService, {
    executeRoutingCommand: unary(host.keys, host.log, async (req: routing.ExecuteRoutingCommandRequest, principal, md) => {
      // The command is made from the state the executor reads (one read of the stream, not two).
      return executeTicketRpc(deps, req, principal, md, async (ticket) => {
        const command = routingCommand(req, ticket, host.ref);
        if (command.type === 'ReassignTicket') {
          const authorization = md.get('authorization')[0];
          await checkReassignee(staffLookup.lookup, host.ref, principal, typeof authorization === 'string' ? authorization : '', command.toStaffId, command.toUnitId);
        }
        return command;
      });
    }),
  });
  // Intake routes a ticket in its submission's append (issue 13): this consumer is the safety net for tickets
  // submitted without it, one read per batch when there is nothing to do.
  await consumeTicketEvents(host, 'routing', ['TicketSubmitted'], (event) => routeSubmittedTicket(deps, event), {
    batchHandler: async (events) => {
      const routed = await routeSubmittedTickets(deps, events);
      if (routed > 0) host.log.info({ routed, batch: events.length }, 'routed tickets submitted without their routing');
    },
  });
  host.log.info({ port: grpc.port }, 'routing gRPC listening');
});
