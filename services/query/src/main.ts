import { query } from '@tongban/contracts';
import { TICKET_EVENT_TYPES } from '@tongban/domain';
import { runMigrations } from '@tongban/eventstore';
import { consumeTicketEvents, publicUnary, runService, startGrpcServer, unary } from '@tongban/runtime';
import { getTicket, getTicketHistory, listServices, listTickets, listUnits } from './handlers';
import { QUERY_MIGRATIONS } from './migrations';
import { projectTicketEvent } from './projection';

runService('query', async (host) => {
  await runMigrations(host.pool, 'query', QUERY_MIGRATIONS);
  const deps = { pool: host.pool, store: host.store, ref: host.ref };
  const grpc = await startGrpcServer(host.config.addresses.query, query.QueryServiceService, {
    getTicket: unary(host.key, host.log, (req: query.GetTicketRequest, p) => getTicket(deps, req, p)),
    getTicketHistory: unary(host.key, host.log, (req: query.GetTicketHistoryRequest, p) => getTicketHistory(deps, req, p)),
    listTickets: unary(host.key, host.log, (req: query.ListTicketsRequest, p) => listTickets(deps, req, p)),
    listUnits: publicUnary(host.log, async (req: query.ListUnitsRequest) => listUnits(host.ref, req)),
    listServices: publicUnary(host.log, async () => listServices(host.ref)),
  });
  host.onStop(grpc.stop);
  await consumeTicketEvents(host, 'query-ticket-views', TICKET_EVENT_TYPES, (event) => projectTicketEvent(host.pool, host.store, event));
  host.log.info({ port: grpc.port }, 'query gRPC listening');
});
