import { commands, query } from '@tongban/contracts';
import { findService } from '@tongban/domain';
import type { FastifyInstance } from 'fastify';
import { parseUpstreamJson } from '../context';
import { type CallContext, unaryCall } from '../grpc-clients';
import { idempotencyKeyProblems } from '../idempotency-key';
import {
  type Open311Context, checkJurisdiction, checkPathParam, formParams, languageOf, publicCall, queryParams, requestView, sendDocument, requestIdProblems, verifiedClient,
} from './context';
import { open311Errors } from './errors';
import { siteOrigin } from './routes-catalogue';
import { OPEN311_FORMATS, list } from './format';
import { CLOSED_STATUSES, OPEN_STATUSES, type TicketViewForOpen311, requestElement, serviceNotice } from './mapping';
import { type Open311Params, parseW3cDatetime } from './params';
import { readSubmission } from './submission';
import { requestLanguage } from '../language';

/** Default and longest span of GET requests' date range (GeoReport v2: "may not span more than 90 days"). */
const MAX_RANGE_DAYS = 90;

/** Most requests one GET requests answers (GeoReport v2: "first 1000 requests"). */
const MAX_REQUESTS = 1000;

/** Page size of one ListTickets call of the query service (its maximum). */
const QUERY_PAGE = 500;

const DAY_MS = 86_400_000;

/** Largest offset the query service takes (an int32 field). */
const INT32_MAX = 2 ** 31 - 1;

/** Parameters of GET requests that take one value (given twice: 400, see Open311Params.repeated); lists may repeat. */
const GET_SINGLE_VALUED = ['jurisdiction_id', 'page_size', 'page', 'start_date', 'end_date', 'extensions'] as const;

/** Human references: the tokens of `tokens/{token}` (see the README). */
const REFERENCE = /^LS-\d{4}-\d{6,}$/;

/** What GET requests asks the query service for. */
interface RequestsQuery {
  ticketIds: string[];
  serviceCodes: string[];
  statuses: string[];
  submittedFrom: string;
  submittedTo: string;
  offset: number;
  limit: number;
}

function positiveInteger(params: Open311Params, name: string, errors: string[], max?: number): number | undefined {
  const raw = params.get(name);
  if (raw === undefined) return undefined;
  const n = /^\d{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || (max !== undefined && n > max)) {
    errors.push(`${name} must be a whole number from 1${max !== undefined ? ` to ${max}` : ''}, not ${raw}`);
    return undefined;
  }
  return n;
}

/**
 * Reads GET requests' parameters: `service_request_id` (comma list; overrides every other filter),
 * `service_code` (comma list), `status` (open, closed), `start_date`/`end_date` (W3C datetimes with an
 * offset; a range of at most 90 days; 90 days up to now by default, or 90 days from/to the one given),
 * `page`/`page_size` (page_size ≤ 1000, default 1000).
 * @throws Open311Error 404 for an unknown service_code, 400 listing every other problem.
 */
function readRequestsQuery(params: Open311Params, ctx: Pick<Open311Context, 'ref'>, now: Date): RequestsQuery {
  const errors = params.repeated(GET_SINGLE_VALUED);
  const pageSize = positiveInteger(params, 'page_size', errors, MAX_REQUESTS) ?? MAX_REQUESTS;
  const page = positiveInteger(params, 'page', errors) ?? 1;
  const ids = params.list('service_request_id');
  errors.push(...requestIdProblems(ids));
  if ((page - 1) * pageSize > INT32_MAX) errors.push(`page ${page} of ${pageSize} requests is beyond the last request the platform can list`);
  if (ids.length > 0) {
    if (errors.length > 0) throw open311Errors.badRequest(...errors);
    return { ticketIds: ids, serviceCodes: [], statuses: [], submittedFrom: '', submittedTo: '', offset: (page - 1) * pageSize, limit: pageSize };
  }
  const serviceCodes = params.list('service_code');
  const unknown = serviceCodes.filter((c) => !findService(ctx.ref.catalogue, c));
  if (unknown.length > 0) throw open311Errors.notFound(`service_code ${unknown.join(', ')} was not found`);
  const statuses = new Set<string>();
  for (const s of params.list('status')) {
    const value = s.toLowerCase();
    if (value === 'open') OPEN_STATUSES.forEach((x) => statuses.add(x));
    else if (value === 'closed') CLOSED_STATUSES.forEach((x) => statuses.add(x));
    else errors.push(`status must be open or closed, not ${s}`);
  }
  const date = (name: string) => {
    const raw = params.get(name);
    if (raw === undefined) return undefined;
    const parsed = parseW3cDatetime(raw);
    if (!parsed) errors.push(`${name} must be a W3C datetime with a time zone, e.g. 2026-03-01T00:00:00+08:00 or 2026-02-28T16:00:00Z, not ${raw}`);
    // Without fractions, the end of a range includes its whole second (datetimes are served to the second).
    return parsed && { ...parsed, end: parsed.fractional ? parsed.ms : parsed.ms + 999 };
  };
  const start = date('start_date');
  const end = date('end_date');
  let from = start?.ms ?? (end ? end.ms - MAX_RANGE_DAYS * DAY_MS : now.getTime() - MAX_RANGE_DAYS * DAY_MS);
  let to = end?.end ?? (start ? start.ms + MAX_RANGE_DAYS * DAY_MS : now.getTime());
  if (start && end) {
    if (start.ms > end.ms) errors.push('start_date must not be after end_date');
    else if (end.ms - start.ms > MAX_RANGE_DAYS * DAY_MS) errors.push(`start_date to end_date may not span more than ${MAX_RANGE_DAYS} days`);
  }
  if (errors.length > 0) throw open311Errors.badRequest(...errors);
  from = Math.max(from, 0);
  to = Math.max(to, from);
  return {
    ticketIds: [], serviceCodes, statuses: [...statuses],
    submittedFrom: new Date(from).toISOString(), submittedTo: new Date(to).toISOString(),
    offset: (page - 1) * pageSize, limit: pageSize,
  };
}

/** Lists ticket views for a query, in pages of the query service's size. */
async function listViews(ctx: Open311Context, q: RequestsQuery, call: CallContext): Promise<TicketViewForOpen311[]> {
  const { clients, callTimeoutMs } = ctx.gateway;
  const views: TicketViewForOpen311[] = [];
  while (views.length < q.limit) {
    const limit = Math.min(QUERY_PAGE, q.limit - views.length);
    const res = await unaryCall(clients.query, clients.query.listTickets, query.ListTicketsRequest.fromPartial({
      ticketIds: q.ticketIds, serviceCodes: q.serviceCodes, statuses: q.statuses,
      submittedFrom: q.submittedFrom, submittedTo: q.submittedTo, offset: q.offset + views.length, limit,
    }), call, callTimeoutMs);
    const page = parseUpstreamJson(res.ticketsJson, 'ticket list');
    if (!Array.isArray(page)) break;
    views.push(...(page as TicketViewForOpen311[]));
    if (page.length < limit) break;
  }
  return views;
}

/**
 * POST requests.{xml,json} (form-urlencoded, api_key), GET requests.{xml,json}, GET
 * requests/{service_request_id}.{xml,json} and GET tokens/{token}.{xml,json}.
 */
export function registerRequestRoutes(app: FastifyInstance, ctx: Open311Context): void {
  const { clients, callTimeoutMs } = ctx.gateway;

  for (const format of OPEN311_FORMATS) {
    app.post(`/v2/requests.${format}`, {
      // Limited per client application once its api_key is verified (see verifiedClient), not per IP.
      config: { rateLimit: false },
      schema: {
        tags: ['open311'], summary: `Create a service request (${format.toUpperCase()})`,
        description: 'application/x-www-form-urlencoded: api_key, service_code, a location (lat & long — WGS-84, or GCJ-02 with coordinate_system=GCJ-02 —, address_string or address_id; the division is derived from lat/long and the address when attribute[division] and address_id are absent), attribute[code], description (≤ 4000 characters), device_id, account_id, first_name, last_name, email, phone, media_url. A retry of the same body from the same device within the retry window returns the same service_request_id. Header Idempotency-Key (optional; 1–256 printable ASCII characters, else 400): a retry with the same key returns the same service_request_id (Idempotent-Replayed: true), the key with another body is refused.',
      },
    }, async (request, reply) => {
      const params = formParams(request);
      const clientId = await verifiedClient(ctx, request, params.get('api_key'));
      checkJurisdiction(params, ctx);
      // The same rule as the JSON API's (a key Node read as Latin-1 would reach intake altered).
      const header = request.headers['idempotency-key'];
      const key = Array.isArray(header) ? header[0] : header;
      const keyProblems = idempotencyKeyProblems(key);
      if (keyProblems.length > 0) throw open311Errors.badRequest(...keyProblems);
      const lang = languageOf(request);
      const s = readSubmission(params, ctx.ref, lang);
      const ticket = commands.SubmitTicket.fromPartial({
        serviceCode: s.serviceCode, division: s.division, title: s.title, description: s.description, address: s.address,
        ...(s.lat !== undefined && s.long !== undefined ? { lat: s.lat, long: s.long, coordinateSystem: s.coordinateSystem } : {}),
        attributes: s.attributes, mediaUrl: s.mediaUrl, reporterName: s.reporterName, reporterPhone: s.reporterPhone,
        reporterEmail: s.reporterEmail, accountId: s.accountId, reporterLanguage: requestLanguage(request),
      });
      const token = await ctx.callers.clientToken(clientId, request.id, s.deviceId || undefined);
      const res = await unaryCall(clients.intake, clients.intake.submitTicket, { ticket, idempotencyKey: key ?? '' }, { token, correlationId: request.id }, callTimeoutMs);
      if (res.replayed) reply.header('idempotent-replayed', 'true');
      return sendDocument(reply, format, 'service_requests', list('request', [{
        service_request_id: res.ticketId,
        service_notice: serviceNotice(ctx.ref.catalogue.slaPolicy, lang),
        account_id: s.accountId || null,
      }]), lang);
    });

    app.get(`/v2/requests.${format}`, {
      schema: {
        tags: ['open311'], summary: `Service requests (${format.toUpperCase()})`,
        description: 'service_request_id (comma list of at most 200, overrides the rest), service_code (comma list), status (open, closed), start_date, end_date (W3C, ≤ 90 days; default the last 90 days), page, page_size (≤ 1000), extensions=true (adds extended_attributes: the reporter\'s answers to the service\'s attributes). Newest first.',
      },
    }, async (request, reply) => {
      const params = queryParams(request);
      checkJurisdiction(params, ctx);
      const q = readRequestsQuery(params, ctx, ctx.gateway.platformClock.now());
      const lang = languageOf(request);
      const views = await listViews(ctx, q, await publicCall(ctx, request));
      const extensions = params.get('extensions') === 'true';
      return sendDocument(reply, format, 'service_requests', list('request', views.map((v) => requestElement(v, ctx.ref.catalogue, lang, siteOrigin(request, ctx.config.publicUrl), extensions))), lang);
    });

    app.get<{ Params: { service_request_id: string } }>(`/v2/requests/:service_request_id.${format}`, {
      schema: { tags: ['open311'], summary: `One service request (${format.toUpperCase()})`, description: '404 for an unknown service_request_id. extensions=true adds extended_attributes (the reporter\'s answers).' },
    }, async (request, reply) => {
      const params = queryParams(request);
      checkJurisdiction(params, ctx);
      const id = request.params.service_request_id;
      const problems = requestIdProblems([id]);
      if (problems.length > 0) throw open311Errors.badRequest(...problems);
      const view = await requestView(ctx, id, await publicCall(ctx, request));
      const lang = languageOf(request);
      return sendDocument(reply, format, 'service_requests', list('request', [
        requestElement(view, ctx.ref.catalogue, lang, siteOrigin(request, ctx.config.publicUrl), params.get('extensions') === 'true'),
      ]), lang);
    });

    app.get<{ Params: { token: string } }>(`/v2/tokens/:token.${format}`, {
      schema: { tags: ['open311'], summary: `service_request_id of a token (${format.toUpperCase()})`, description: 'Requests are created in real time (no tokens are issued); a token here is a human reference (LS-2026-000123), answered with its service_request_id. 404 for an unknown token.' },
    }, async (request, reply) => {
      checkJurisdiction(queryParams(request), ctx);
      const token = request.params.token;
      checkPathParam('token', token);
      const notFound = () => open311Errors.notFound(`token ${token} was not found`);
      if (!REFERENCE.test(token)) throw notFound();
      const res = await unaryCall(clients.query, clients.query.listTickets, query.ListTicketsRequest.fromPartial({ references: [token], limit: 1 }), await publicCall(ctx, request), callTimeoutMs);
      const [view] = (parseUpstreamJson(res.ticketsJson, 'ticket list') ?? []) as TicketViewForOpen311[];
      if (!view) throw notFound();
      return sendDocument(reply, format, 'service_requests', list('request', [{ service_request_id: view.id, token }]));
    });
  }
}
