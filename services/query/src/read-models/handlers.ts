import type { Principal } from '@tongban/auth';
import type { query } from '@tongban/contracts';
import { type TicketState, evolveAll, permittedActions, ticketStream, isTicketId } from '@tongban/domain';
import type { EventStore } from '@tongban/eventstore';
import type { ReferenceData } from '@tongban/reference-data';
import { type ReporterKeyStore, actorContext, fail, openSubmittedEvents, openTicketStates, toEnvelopes } from '@tongban/runtime';
import type pg from 'pg';
import { isReporter, mayRead, reporterDisclosure } from '../access';
import { historyEntries, withoutStaffIds } from './history';
import { OPEN_STATUSES } from '../stats/definitions';
import { unitsInvolved } from './projection';
import { ticketView } from './view';

/** Dependencies of the query handlers. */
export interface QueryDeps {
  pool: pg.Pool;
  store: EventStore;
  ref: ReferenceData;
  /** The reporters' data keys: sealed personal data is opened for the readers who may see it (issue 14 item 6). */
  reporters: ReporterKeyStore;
  /** The platform's clock (the test clock when TONGBAN_TEST_CLOCK is on). */
  clock: { now(): Date };
}


/**
 * Loads a ticket for a reader: from the read model, or from the store when the projection has not
 * caught up yet (read-your-writes right after a submission).
 * @throws ServiceFailure NOT_FOUND (ticket_not_found), PERMISSION_DENIED (outside_jurisdiction).
 */
export async function readableTicket(deps: QueryDeps, ticketId: string, principal: Principal): Promise<TicketState> {
  if (!isTicketId(ticketId)) throw fail.notFound('ticket_not_found', `no ticket ${ticketId}`);
  const id = ticketId.toLowerCase();
  // The read model row, and the stream's head revision from the store: when the projection is behind
  // (or has not seen the ticket yet) the state is evolved from the stream, so reads follow writes.
  const { rows } = await deps.pool.query<{ state: TicketState | null; units_involved: string[] | null; head: string | null }>(
    `SELECT v.state, v.units_involved, s.last_revision AS head
       FROM (SELECT 1) one
       LEFT JOIN ticket_views v ON v.ticket_id = $1
       LEFT JOIN streams s ON s.stream = $2`,
    [id, ticketStream(id)],
  );
  const row = rows[0];
  let state = row?.state ?? undefined;
  let units = row?.units_involved ?? [];
  const head = row?.head === null || row?.head === undefined ? -1 : Number(row.head);
  if (!state || state.revision < head) {
    state = evolveAll(toEnvelopes(await deps.store.readStream(ticketStream(id))));
    units = unitsInvolved(units, state);
  }
  if (!state.exists) throw fail.notFound('ticket_not_found', `no ticket ${ticketId}`);
  if (!mayRead(principal, state, units, deps.ref)) throw fail.forbidden('outside_jurisdiction', 'you may not read this ticket');
  return state;
}

/** GetTicket: the ticket view as JSON. */
export async function getTicket(deps: QueryDeps, req: query.GetTicketRequest, principal: Principal): Promise<query.GetTicketResponse> {
  const state = await readableTicket(deps, req.ticketId, principal);
  const [opened] = await openTicketStates(deps.reporters, [state]);
  const view = ticketView(opened!, deps.ref, reporterDisclosure(principal, state, deps.ref));
  // A citizen reads the first responder's unit, not their staff id; a follower (issue 14 item 5) never learns who reported it.
  if (principal.kind === 'citizen') {
    const firstResponder = view.firstResponder && { unitId: view.firstResponder.unitId, unitName: view.firstResponder.unitName, since: view.firstResponder.since };
    return { viewJson: JSON.stringify(isReporter(principal, state) ? { ...view, firstResponder } : { ...withoutReporter(view), firstResponder }) };
  }
  // Open311 clients (GET requests) never get anyone's reporter, whatever the gateway shows of the view (issue 14 item 6).
  if (principal.kind === 'open311') return { viewJson: JSON.stringify(withoutReporter(view)) };
  if (principal.kind !== 'staff') return { viewJson: JSON.stringify(view) };
  // Staff: what the caller may do on it now (the console's buttons), from the permission table the services enforce.
  const actions = permittedActions(actorContext(principal, deps.ref), state, {
    now: deps.clock.now(), isWithin: (code, ancestor) => deps.ref.divisions.isWithin(code, ancestor),
  });
  return { viewJson: JSON.stringify({ ...view, actions }) };
}

/** A view without who reported it: for followers and Open311 clients. */
function withoutReporter<V extends { reporter: unknown; onBehalfOf?: unknown }>(view: V): V {
  return { ...view, reporter: {}, onBehalfOf: undefined };
}

/** GetTicketHistory: the events in order (from the store, so always complete). */
export async function getTicketHistory(deps: QueryDeps, req: query.GetTicketHistoryRequest, principal: Principal): Promise<query.GetTicketHistoryResponse> {
  const state = await readableTicket(deps, req.ticketId, principal);
  const events = await openSubmittedEvents(deps.reporters, await deps.store.readStream(ticketStream(req.ticketId.toLowerCase())));
  // Followers read it as the reporter does (no internal notes, no non-public replies).
  const entries = historyEntries(events, { forReporter: isReporter(principal, state) || principal.kind === 'citizen', disclosure: reporterDisclosure(principal, state, deps.ref) });
  return { eventsJson: JSON.stringify(principal.kind === 'citizen' ? entries.map(withoutStaffIds) : entries) };
}

/**
 * ListTickets: tickets the caller may see, newest first, optionally filtered by status and holding
 * unit. Scope: citizens their device's; information officers what they submitted; department staff
 * what their unit was involved in; admins and supervisors their jurisdiction plus involvement; auditors all.
 */
export async function listTickets(deps: QueryDeps, req: query.ListTicketsRequest, principal: Principal): Promise<query.ListTicketsResponse> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  if (principal.kind === 'citizen') where.push(`(reporter_device_id = ${p(principal.id)} OR state->'followers' ? ${p(principal.id)})`);
  else if (principal.kind === 'staff' && principal.role === 'information-officer') where.push(`reporter_staff_id = ${p(principal.id)}`);
  else if (principal.kind === 'staff' && principal.role === 'department') where.push(`${p(principal.unitId)} = ANY(units_involved)`);
  else if (principal.kind === 'staff' && principal.role !== 'auditor') {
    where.push(`(division LIKE ${p(principal.division + '%')} OR ${p(principal.unitId)} = ANY(units_involved))`);
  }
  if (req.status) where.push(`status = ${p(req.status)}`);
  if (req.unitId) where.push(`holder_unit_id = ${p(req.unitId)}`);
  // Open311 GET requests filters (service_request_id, service_code, status, start/end date, token).
  if (req.ticketIds.length > 0) where.push(`ticket_id::text = ANY(${p(req.ticketIds.map((id) => id.toLowerCase()))})`);
  if (req.serviceCodes.length > 0) where.push(`service_code = ANY(${p(req.serviceCodes)})`);
  if (req.statuses.length > 0) where.push(`status = ANY(${p(req.statuses)})`);
  if (req.submittedFrom) where.push(`submitted_at >= ${p(instantOrFail(req.submittedFrom, 'submitted_from'))}`);
  if (req.submittedTo) where.push(`submitted_at <= ${p(instantOrFail(req.submittedTo, 'submitted_to'))}`);
  if (req.references.length > 0) where.push(`reference = ANY(${p(req.references)})`);
  const limit = Math.min(Math.max(req.limit || 50, 1), 500);
  const offset = Math.max(req.offset || 0, 0);
  const { rows } = await deps.pool.query<{ state: TicketState }>(
    `SELECT state FROM ticket_views ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
     ORDER BY submitted_at DESC, ticket_id LIMIT ${limit} OFFSET ${offset}`,
    params,
  );
  const opened = await openTicketStates(deps.reporters, rows.map((r) => r.state));
  const views = opened.map((s) => ticketView(s, deps.ref, reporterDisclosure(principal, s, deps.ref)));
  return { ticketsJson: JSON.stringify(principal.kind === 'open311' ? views.map(withoutReporter) : views) };
}

/** Radius within which a ticket with a position counts as similar to a report with one, metres (issue 14 item 5). */
const SIMILAR_RADIUS_METERS = 500;
/** How far back similar tickets are looked for, days. */
const SIMILAR_WINDOW_DAYS = 30;

/**
 * FindSimilarTickets (issue 14 item 5): open tickets of the category in the same township (the township of
 * a village) submitted in the last 30 days; when both have a position, only those within 500 m; nearest
 * and newest first, at most 10. No reporter's identity, no description; never a confidential report (保密, issue 14
 * item 6: its title and distance could place the reporter, and it cannot be followed).
 * @throws ServiceFailure INVALID_ARGUMENT (missing_service_code, unknown_division, division_too_coarse).
 */
export async function findSimilarTickets(deps: QueryDeps, req: query.FindSimilarTicketsRequest): Promise<query.FindSimilarTicketsResponse> {
  if (!req.serviceCode) throw fail.invalid('missing_service_code', 'service_code is required');
  const division = deps.ref.divisions.get(req.division);
  if (!division) throw fail.invalid('unknown_division', `unknown division ${req.division}`);
  if (division.level !== 'township' && division.level !== 'village') throw fail.invalid('division_too_coarse', 'name a township or village');
  const township = division.level === 'village' ? division.parent ?? req.division : req.division;
  const since = new Date(deps.clock.now().getTime() - SIMILAR_WINDOW_DAYS * 86_400_000);
  const { rows } = await deps.pool.query<{ state: TicketState }>(
    `SELECT state FROM ticket_views
      WHERE service_code = $1 AND division LIKE $2 AND status = ANY($3) AND submitted_at >= $4
        AND state->>'visibility' IS DISTINCT FROM 'confidential'
      ORDER BY submitted_at DESC LIMIT 200`,
    [req.serviceCode, `${township}%`, OPEN_STATUSES, since],
  );
  const here = req.lat !== undefined && req.long !== undefined ? { lat: req.lat, long: req.long } : undefined;
  const found = rows.map((r) => r.state).map((s) => {
    const distance = here && s.lat !== undefined && s.long !== undefined ? metersBetween(here, { lat: s.lat, long: s.long }) : undefined;
    return { s, distance };
  }).filter(({ distance }) => distance === undefined || distance <= SIMILAR_RADIUS_METERS)
    .sort((a, b) => (a.distance ?? Infinity) - (b.distance ?? Infinity))
    .slice(0, 10)
    .map(({ s, distance }) => ({
      id: s.ticketId, reference: s.reference, title: s.title, status: s.status, division: s.division,
      divisionName: deps.ref.divisions.get(s.division)?.name ?? s.division, submittedAt: s.submittedAt,
      followers: (s.followers ?? []).length, ...(distance !== undefined ? { distanceMeters: Math.round(distance) } : {}),
    }));
  return { ticketsJson: JSON.stringify(found) };
}

/** Great-circle distance between two WGS-84 points, metres (haversine, mean Earth radius 6,371,008.8 m). */
function metersBetween(a: { lat: number; long: number }, b: { lat: number; long: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLong = (b.long - a.long) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLong / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** An ISO-8601 instant as a Date. @throws ServiceFailure INVALID_ARGUMENT (invalid_instant). */
function instantOrFail(value: string, field: string): Date {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw fail.invalid('invalid_instant', `${field} must be an ISO-8601 instant with an offset`);
  return new Date(ms);
}

/** ListUnits: the units of a division (administration and departments), or all top units when empty. */
export function listUnits(ref: ReferenceData, req: query.ListUnitsRequest): query.ListUnitsResponse {
  if (req.division && !ref.divisions.get(req.division)) throw fail.notFound('unknown_division', `unknown division ${req.division}`);
  const units = ref.units
    .filter((u) => (req.division ? u.division === req.division : u.level !== 'township'))
    .map((u) => ({ id: u.id, name: u.name, kind: u.kind === 'administration' ? 'administration' : u.departmentType, division: u.division, level: u.level }));
  return { unitsJson: JSON.stringify(units) };
}

/** ListServices: the service catalogue (categories, department types, SLA policy). */
export function listServices(ref: ReferenceData): query.ListServicesResponse {
  return { servicesJson: JSON.stringify(ref.catalogue) };
}
