import { query } from '@tongban/contracts';
import { TICKET_EVENT_TYPES } from '@tongban/domain';
import { runMigrations } from '@tongban/eventstore';
import { consumeTicketEvents, publicUnary, runService, startGrpcServer, unary } from '@tongban/runtime';
import { DEFAULT_ANCHOR_INTERVAL_MS, startAnchorRole } from './audit/anchors';
import { exportEvents, getStats, replayTicket, verifyTicket, verifyTickets } from './audit-handlers';
import { getTicket, getTicketHistory, listServices, listTickets, listUnits } from './handlers';
import { QUERY_MIGRATIONS } from './migrations';
import { projectTicketEvent } from './projection';
import { listTicketUpdates } from './public-updates';
import { backfillTicketStats } from './stats/backfill';
import { StatsCache } from './stats/cache';

runService('query', async (host) => {
  await runMigrations(host.pool, 'query', QUERY_MIGRATIONS);
  const backfilled = await backfillTicketStats(host.pool);
  if (backfilled > 0) host.log.info({ tickets: backfilled }, 'ticket_stats backfilled from ticket_views');
  const stats = new StatsCache(host.pool);
  const deps = { pool: host.pool, store: host.store, ref: host.ref, clock: host.clock, stats };
  const grpc = await startGrpcServer(host.config.addresses.query, query.QueryServiceService, {
    getTicket: unary(host.key, host.log, (req: query.GetTicketRequest, p) => getTicket(deps, req, p)),
    getTicketHistory: unary(host.key, host.log, (req: query.GetTicketHistoryRequest, p) => getTicketHistory(deps, req, p)),
    listTickets: unary(host.key, host.log, (req: query.ListTicketsRequest, p) => listTickets(deps, req, p)),
    listUnits: publicUnary(host.log, async (req: query.ListUnitsRequest) => listUnits(host.ref, req)),
    listServices: publicUnary(host.log, async () => listServices(host.ref)),
    verifyTicket: unary(host.key, host.log, (req: query.VerifyTicketRequest, p) => verifyTicket(deps, req, p)),
    verifyTickets: unary(host.key, host.log, (req: query.VerifyTicketsRequest, p) => verifyTickets(deps, req, p)),
    replayTicket: unary(host.key, host.log, (req: query.ReplayTicketRequest, p) => replayTicket(deps, req, p)),
    getStats: unary(host.key, host.log, (req: query.GetStatsRequest, p) => getStats(deps, req, p)),
    exportEvents: unary(host.key, host.log, (req: query.ExportEventsRequest, p) => exportEvents(deps, req, p)),
    listTicketUpdates: unary(host.key, host.log, (req: query.ListTicketUpdatesRequest, p) => listTicketUpdates(deps, req, p)),
  });
  host.onStop(grpc.stop);
  await consumeTicketEvents(host, 'query-ticket-views', TICKET_EVENT_TYPES, (event) => projectTicketEvent(host.pool, host.store, event));

  // Anchors (TONGBAN_ANCHOR_INTERVAL_MS, default 60 s; 0 turns the role off in this replica).
  const intervalMs = Number(process.env['TONGBAN_ANCHOR_INTERVAL_MS'] ?? DEFAULT_ANCHOR_INTERVAL_MS);
  if (intervalMs > 0) {
    const anchors = startAnchorRole({
      pool: host.pool, store: host.store, clock: host.clock, intervalMs,
      onError: (err) => host.log.warn({ err }, 'anchor round failed; retrying at the next interval'),
      // The anchor hash in the logs is a witness outside the database (ship logs elsewhere).
      onRound: (round) => host.log.info(round, 'audit anchors recorded'),
    });
    host.onStop(() => anchors.stop());
  }
  // Warm the statistics cache in the background (the first GetStats waits for it otherwise).
  stats.refresh().catch((err: unknown) => host.log.warn({ err }, 'statistics cache warm-up failed'));
  host.log.info({ port: grpc.port, anchorIntervalMs: intervalMs }, 'query gRPC listening');
});
