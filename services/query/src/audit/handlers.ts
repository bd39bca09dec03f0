/**
 * gRPC handlers of the auditor's view and the statistics: VerifyTicket, VerifyTickets, ReplayTicket,
 * GetStats, ExportEvents. Verify and export are for auditors only (PERMISSION_DENIED auditor_only);
 * replay follows the history's read rules; statistics are for supervisors (their subtree) and auditors.
 */
import { MAX_EXPORT_ROWS, lifecycleCsv, lifecycleJsonl, lifecycleRows } from '../stats/export';
import { practiceFigures } from '../stats/practice';
import { isTicketId, parseShanghaiDateOrInstant } from '@tongban/domain';
import type { Principal, StaffPrincipal } from '@tongban/auth';
import type { query } from '@tongban/contracts';
import type { Clock } from '@tongban/domain';
import { ticketStream } from '@tongban/domain';
import { fail, openSubmittedEvents } from '@tongban/runtime';
import { recordDisclosure } from './disclosure';
import { candidateTicketStreams, countTicketStreams, verifyStream, verifyStreams } from './evidence';
import { exportPage } from './export';
import { DISCLOSURE_STREAM } from './streams';
import type { StreamVerification } from './verify';
import { isReporter, reporterDisclosure } from '../access';
import { type QueryDeps, readableTicket } from '../read-models/handlers';
import { historyEntries } from '../read-models/history';
import { InvalidReplayPointError, eventsUpTo, maskState, replayState } from './replay';
import type { StatsCache } from '../stats/cache';
import { resolveStatsQuery } from '../stats/scope';

/** Dependencies of the audit handlers. */
export interface AuditDeps extends QueryDeps {
  clock: Clock;
  stats: StatsCache;
}


/**
 * The caller as an auditor.
 * @throws ServiceFailure PERMISSION_DENIED (auditor_only) for anyone else.
 */
function requireAuditor(principal: Principal): StaffPrincipal {
  if (principal.kind !== 'staff' || principal.role !== 'auditor') throw fail.forbidden('auditor_only', 'only auditors may do this');
  return principal;
}

function verificationJson(ticketId: string, v: StreamVerification) {
  return {
    ticketId, stream: v.stream, intact: v.intact, checkedEvents: v.checkedEvents,
    ...(v.firstBadRevision !== undefined ? { firstBadRevision: v.firstBadRevision } : {}),
    ...(v.reason ? { reason: v.reason } : {}),
    lastRevision: v.lastRevision,
    ...(v.anchor ? { anchor: v.anchor } : {}),
  };
}

/**
 * VerifyTicket: the ticket's chain, head row and latest anchor.
 * @throws ServiceFailure PERMISSION_DENIED (auditor_only), NOT_FOUND (ticket_not_found) when nothing is known of it.
 */
export async function verifyTicket(deps: AuditDeps, req: query.VerifyTicketRequest, principal: Principal): Promise<query.VerifyTicketResponse> {
  requireAuditor(principal);
  if (!isTicketId(req.ticketId)) throw fail.notFound('ticket_not_found', `no ticket ${req.ticketId}`);
  const v = await verifyStream(deps.pool, deps.store, ticketStream(req.ticketId.toLowerCase()));
  if (!v.known && v.checkedEvents === 0) {
    // Nothing in the store, no head row, no anchor: still report a ticket the read model knows (deleted stream).
    const { rowCount } = await deps.pool.query('SELECT 1 FROM ticket_views WHERE ticket_id = $1', [req.ticketId]);
    if (!rowCount) throw fail.notFound('ticket_not_found', `no ticket ${req.ticketId}`);
    return { intact: false, checkedEvents: 0, firstBadRevision: 0, reason: `stream ${v.stream} has no events, but the read model knows the ticket: the stream was deleted`, stream: v.stream, lastRevision: -1 };
  }
  return {
    intact: v.intact, checkedEvents: v.checkedEvents, reason: v.reason ?? '', stream: v.stream, lastRevision: v.lastRevision,
    ...(v.firstBadRevision !== undefined ? { firstBadRevision: v.firstBadRevision } : {}),
    ...(v.anchor ? { anchor: { anchorRevision: v.anchor.anchorRevision, revision: v.anchor.revision, hash: v.anchor.hash, recordedAt: v.anchor.recordedAt ?? '' } } : {}),
  };
}

/**
 * VerifyTickets: one page of a division's (or every) ticket, in ticket id order.
 * @throws ServiceFailure PERMISSION_DENIED (auditor_only), NOT_FOUND (unknown_division).
 */
export async function verifyTickets(deps: AuditDeps, req: query.VerifyTicketsRequest, principal: Principal): Promise<query.VerifyTicketsResponse> {
  requireAuditor(principal);
  if (req.division && !deps.ref.divisions.get(req.division)) throw fail.notFound('unknown_division', `unknown division ${req.division}`);
  if (req.afterTicketId && !isTicketId(req.afterTicketId)) throw fail.invalid('invalid_cursor', 'after_ticket_id must be a ticket id');
  const limit = Math.min(Math.max(req.limit || 200, 1), 1000);
  const page = await candidateTicketStreams(deps.pool, {
    limit, ...(req.division ? { division: req.division } : {}), ...(req.afterTicketId ? { after: ticketStream(req.afterTicketId.toLowerCase()) } : {}),
  });
  // The total (for progress) is counted on the first page only.
  const [results, total] = await Promise.all([
    verifyStreams(deps.pool, page.streams), req.afterTicketId ? Promise.resolve(0) : countTicketStreams(deps.pool, req.division || undefined),
  ]);
  return {
    resultsJson: JSON.stringify(results.map((v) => verificationJson(v.stream.slice('ticket-'.length), v))),
    nextAfterTicketId: page.next ? page.next.slice('ticket-'.length) : '',
    totalTickets: total,
  };
}

/**
 * ReplayTicket: the events up to a revision and/or instant and the state evolved from them. Readers
 * as for the history (the reporter does not see internal entries; personal data masked as in the view).
 * `revision` and `at` together: the events within both bounds (docs/audit.md).
 * @throws ServiceFailure INVALID_ARGUMENT (invalid_replay_point), NOT_FOUND (ticket_not_found; revision_not_found:
 *   a revision beyond the ticket's last), PERMISSION_DENIED.
 */
export async function replayTicket(deps: AuditDeps, req: query.ReplayTicketRequest, principal: Principal): Promise<query.ReplayTicketResponse> {
  const current = await readableTicket(deps, req.ticketId, principal);
  const events = await openSubmittedEvents(deps.reporters, await deps.store.readStream(ticketStream(req.ticketId)));
  let upTo;
  try {
    upTo = eventsUpTo(events, { ...(req.revision !== undefined ? { revision: req.revision } : {}), ...(req.at ? { at: req.at } : {}) });
  } catch (err) {
    if (err instanceof InvalidReplayPointError) throw fail.invalid('invalid_replay_point', err.message);
    throw err;
  }
  const last = events.at(-1)?.revision ?? -1;
  if (req.revision !== undefined && req.revision > last) {
    throw fail.notFound('revision_not_found', `revision ${req.revision} is beyond the ticket's last, ${last}`);
  }
  // As the ticket is now: a ticket confidential today hides its reporter in every replay of its past too.
  const disclosure = reporterDisclosure(principal, current, deps.ref);
  const entries = historyEntries(upTo, { forReporter: isReporter(principal, current), disclosure });
  const state = replayState(upTo);
  return { eventsJson: JSON.stringify(entries), stateJson: JSON.stringify(maskState(state, disclosure)), revision: state.revision };
}

/**
 * GetStats: the figures of stats/definitions.ts from the in-memory table (refreshed first).
 * @throws ServiceFailure PERMISSION_DENIED (role_not_allowed, outside_jurisdiction), NOT_FOUND, INVALID_ARGUMENT.
 */
export async function getStats(deps: AuditDeps, req: query.GetStatsRequest, principal: Principal): Promise<query.GetStatsResponse> {
  const q = resolveStatsQuery(req, principal, deps.ref, deps.clock.now());
  await deps.stats.refresh();
  // Issue 14: the 12345-practice figures (returns, missed sign-fors, callbacks, rectifications…) with their definitions.
  const practice = await practiceFigures(deps.pool, q, deps.ref);
  return { statsJson: JSON.stringify({ ...deps.stats.table.compute(q, deps.ref), practice }) };
}

/**
 * ExportStats (issue 14 item 7): the lifecycle of every ticket GetStats would count, as CSV or JSON Lines.
 * @throws ServiceFailure as GetStats; INVALID_ARGUMENT (invalid_format).
 */
export async function exportStats(deps: AuditDeps, req: query.ExportStatsRequest, principal: Principal): Promise<query.ExportStatsResponse> {
  if (req.format !== 'csv' && req.format !== 'jsonl') throw fail.invalid('invalid_format', 'format must be csv or jsonl');
  const q = resolveStatsQuery({ ...req, groupBy: '' }, principal, deps.ref, deps.clock.now());
  const rows = await lifecycleRows(deps.pool, q);
  return { body: req.format === 'csv' ? lifecycleCsv(rows) : lifecycleJsonl(rows), rows: rows.length, truncated: rows.length >= MAX_EXPORT_ROWS };
}

function exportInstant(value: string, name: string): string | undefined {
  if (!value) return undefined;
  const ms = parseShanghaiDateOrInstant(value);
  if (Number.isNaN(ms)) throw fail.invalid(`invalid_${name}`, `${name} must be an ISO-8601 date or instant with an offset`);
  return new Date(ms).toISOString();
}

/**
 * ExportEvents: one page of a division's events in a time range. An unmasked export needs a reason
 * and is recorded as a PersonalDataDisclosed event before the first page is served; later pages must
 * name that disclosure (same auditor, division and range).
 * @throws ServiceFailure PERMISSION_DENIED (auditor_only), INVALID_ARGUMENT (missing_division, missing_reason,
 *   invalid_from, invalid_to, invalid_disclosure), NOT_FOUND (unknown_division).
 */
export async function exportEvents(
  deps: AuditDeps, req: query.ExportEventsRequest, principal: Principal,
): Promise<query.ExportEventsResponse> {
  const auditor = requireAuditor(principal);
  if (!req.division) throw fail.invalid('missing_division', 'division is required');
  if (!deps.ref.divisions.get(req.division)) throw fail.notFound('unknown_division', `unknown division ${req.division}`);
  const from = exportInstant(req.from, 'from');
  const to = exportInstant(req.to, 'to');
  let disclosureId = '';
  if (req.unmasked) {
    if (!req.reason.trim()) throw fail.invalid('missing_reason', 'an unmasked export needs a reason');
    const scope = { division: req.division, from: from ?? null, to: to ?? null };
    if (req.disclosureId) {
      const { rows } = await deps.pool.query<{ data: Record<string, unknown>; actor_id: string }>(
        `SELECT data, metadata->'actor'->>'id' AS actor_id FROM events WHERE id = $1::uuid AND stream = $2`,
        [isTicketId(req.disclosureId) ? req.disclosureId : '00000000-0000-0000-0000-000000000000', DISCLOSURE_STREAM],
      );
      const d = rows[0];
      if (!d || d.actor_id !== auditor.id || d.data['division'] !== scope.division || (d.data['from'] ?? null) !== scope.from || (d.data['to'] ?? null) !== scope.to) {
        throw fail.invalid('invalid_disclosure', 'disclosure_id does not name your recorded disclosure for this division and range');
      }
      disclosureId = req.disclosureId;
    } else {
      disclosureId = await recordDisclosure(deps.store, { kind: 'staff', id: auditor.id, unitId: auditor.unitId, role: auditor.role }, {
        purpose: 'export', division: req.division, ...(from ? { from } : {}), ...(to ? { to } : {}),
        format: req.format || 'json', reason: req.reason.trim(), via: 'api',
      }, deps.clock.now());
    }
  }
  const page = await exportPage(deps.pool, (events) => openSubmittedEvents(deps.reporters, events), {
    division: req.division, unmasked: req.unmasked, limit: Math.min(Math.max(req.limit || 200, 1), 2000),
    ...(from ? { from } : {}), ...(to ? { to } : {}), ...(req.afterStream ? { afterStream: req.afterStream } : {}),
  });
  return { eventsJson: JSON.stringify(page.rows), nextAfterStream: page.nextAfterStream ?? '', nextAfterRevision: 0, disclosureId };
}
