// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { attachmentStoreFromEnv } from '@tongban/attachments';
import { query } from '@tongban/contracts';
import { TICKET_EVENT_TYPES } from '@tongban/domain';
import { runMigrations } from '@tongban/eventstore';
import { ConfigError, LatestStates, ReporterKeyStore, consumeTicketEvents, optionalAuthUnary, publicUnary, runService, serveGrpc, unary } from '@tongban/runtime';
import { getAttachment } from './read-models/attachments';
import { DEFAULT_ANCHOR_INTERVAL_MS, startAnchorRole } from './audit/anchors';
import { publicDivision, publicFeed, publicSummary } from './public/summary';
import { exportEvents, exportStats, getStats, replayTicket, verifyTicket, verifyTickets } from './audit/handlers';
import { findSimilarTickets, getTicket, getTicketHistory, listServices, listTickets, listUnits } from './read-models/handlers';
import { QUERY_MIGRATIONS } from './migrations';
import { type StoredView, projectTicketEvent, projectTicketEvents } from './read-models/projection';
import { listTicketUpdates } from './public/updates';
import { backfillTicketStats } from './stats/backfill';
import { registerBusinessGauges } from './metrics';
import { StatsCache } from './stats/cache';

runService('query', async (host) => {
  await runMigrations(host.pool, 'query', QUERY_MIGRATIONS);
  const backfilled = await backfillTicketStats(host.pool);
  if (backfilled > 0) host.log.info({ tickets: backfilled }, 'ticket_stats backfilled from ticket_views');
  const stats = new StatsCache(host.pool);
  registerBusinessGauges(host.pool, () => host.clock.now());
  // Issue 14 item 6: sealed reporters are opened for the readers who may see them.
  const reporters = await ReporterKeyStore.open(host.pool);
  const deps = { pool: host.pool, store: host.store, ref: host.ref, clock: host.clock, stats, reporters };
  const files = attachmentStoreFromEnv(host.pool);
  const grpc = await serveGrpc(host, 'query', query.QueryServiceService, {
    getTicket: unary(host.keys, host.log, (req: query.GetTicketRequest, p) => getTicket(deps, req, p)),
    getTicketHistory: unary(host.keys, host.log, (req: query.GetTicketHistoryRequest, p) => getTicketHistory(deps, req, p)),
    listTickets: unary(host.keys, host.log, (req: query.ListTicketsRequest, p) => listTickets(deps, req, p)),
    findSimilarTickets: unary(host.keys, host.log, (req: query.FindSimilarTicketsRequest) => findSimilarTickets(deps, req)),
    listUnits: publicUnary(host.log, async (req: query.ListUnitsRequest) => listUnits(host.ref, req)),
    listServices: publicUnary(host.log, async () => listServices(host.ref)),
    verifyTicket: unary(host.keys, host.log, (req: query.VerifyTicketRequest, p) => verifyTicket(deps, req, p)),
    verifyTickets: unary(host.keys, host.log, (req: query.VerifyTicketsRequest, p) => verifyTickets(deps, req, p)),
    replayTicket: unary(host.keys, host.log, (req: query.ReplayTicketRequest, p) => replayTicket(deps, req, p)),
    getStats: unary(host.keys, host.log, (req: query.GetStatsRequest, p) => getStats(deps, req, p)),
    getPublicSummary: unary(host.keys, host.log, async (req: query.GetPublicSummaryRequest) =>
      ({ summaryJson: JSON.stringify(await publicSummary(deps.pool, host.ref, publicDivision(req.division, host.ref), host.clock.now())) })),
    listPublicFeed: unary(host.keys, host.log, async (req: query.ListPublicFeedRequest) =>
      ({ entriesJson: JSON.stringify(await publicFeed(deps.pool, host.ref, publicDivision(req.division, host.ref))) })),
    exportStats: unary(host.keys, host.log, (req: query.ExportStatsRequest, p) => exportStats(deps, req, p)),
    exportEvents: unary(host.keys, host.log, (req: query.ExportEventsRequest, p) => exportEvents(deps, req, p)),
    listTicketUpdates: unary(host.keys, host.log, (req: query.ListTicketUpdatesRequest, p) => listTicketUpdates(deps, req, p)),
    getAttachment: optionalAuthUnary(host.keys, host.log, (req: query.GetAttachmentRequest, p) => getAttachment({ ...deps, files }, req, p)),
  });
  // The events at hand are projected together: at most two statements per batch, one when the rows were
  // just written here (issue 13); one by one after a failure.
  const written = new LatestStates<StoredView>();
  await consumeTicketEvents(host, 'query-ticket-views', TICKET_EVENT_TYPES, (event) => projectTicketEvent(host.pool, host.store, event, written), {
    batchHandler: (events) => projectTicketEvents(host.pool, host.store, events, written),
  });

  // Anchors (TONGBAN_ANCHOR_INTERVAL_MS, default 60 s; 0 turns the role off in this replica).
  const rawInterval = process.env['TONGBAN_ANCHOR_INTERVAL_MS'] ?? String(DEFAULT_ANCHOR_INTERVAL_MS);
  // "60s" must not silently turn anchoring off: a whole number of ms or nothing.
  if (!/^\d+$/.test(rawInterval.trim())) throw new ConfigError(`TONGBAN_ANCHOR_INTERVAL_MS must be a whole number of milliseconds, 0 = off (got "${rawInterval}")`);
  const intervalMs = Number(rawInterval);
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
