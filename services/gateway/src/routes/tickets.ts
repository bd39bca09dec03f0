import { type ReplayQuery, replayIfAsked, replayQuerystring } from './audit';
import { commands, query } from '@tongban/contracts';
import type { FastifyInstance } from 'fastify';
import { REQUEST_TYPES, VISIBILITIES } from '@tongban/domain';
import { asObject, callContext, parseUpstreamJson, type GatewayContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { idempotencyKeyHeader } from '../idempotency-key';
import { requestLanguage } from '../language';
import { withNamedAnswers } from '../answers';
import { invalidText, jsonTextProblems } from '../text';
import { problems } from '../problem';
import { attachFiles, attachmentSchema, readMultipart } from './attachments';
import { setEtag } from '../revision';
import { withStaffNamesInHistory, withStaffNamesInView } from '../staff-names';
import {
  bearerSecurity, digits, openObjectSchema, optionalText, problemResponses, text, ticketIdParams, type JsonSchema,
} from '../schemas';

/** A decimal coordinate in a query string (degrees). */
const COORDINATE = '^-?[0-9]{1,3}(\\.[0-9]+)?$';

/** Body of POST /api/v1/tickets (Open311 names for the report's fields). */
interface SubmitTicketBody {
  service_code: string;
  /** Optional when lat/long (or an address naming a place) is given: intake derives it. */
  division?: string;
  title: string;
  description: string;
  address?: string;
  lat?: number;
  long?: number;
  /** Datum of lat/long: WGS-84 (default) or GCJ-02. */
  coordinate_system?: string;
  /** The reporter's mobile number for SMS updates (giving it is the consent). */
  phone?: string;
  /** inquiry | help | suggestion | complaint | report (issue 14 item 1). */
  request_type?: string;
  /** public | agency | confidential (issue 14 item 6). */
  visibility?: string;
  /** Who the report is for, when an officer submits on someone's behalf (the token says who submitted). */
  onBehalfOf?: { name: string; contact?: string };
}

/** JSON schema of {@link SubmitTicketBody} (exported for the bare baseline of `npm run bench:path`). */
export const submitBodySchema: JsonSchema = {
  type: 'object',
  required: ['service_code', 'title', 'description'],
  additionalProperties: false,
  properties: {
    service_code: { type: 'string', minLength: 1, maxLength: 64, description: 'A service_code of GET /api/v1/services.' },
    division: {
      type: 'string', pattern: '^[0-9]{4,12}$',
      description: 'Division code where the problem is (prefecture, county, township or village). Optional with lat/long: the county is then found from the point and narrowed to a township or village named in address or description; without either, an address naming a place of Liangshan unambiguously.',
    },
    title: text('Short title.', 200),
    description: text('What is wrong.'),
    address: optionalText('Street address or landmark.', 500),
    lat: { type: 'number', minimum: -90, maximum: 90 },
    long: { type: 'number', minimum: -180, maximum: 180 },
    coordinate_system: {
      type: 'string', enum: ['WGS-84', 'GCJ-02', 'wgs84', 'gcj02'],
      description: 'Datum of lat/long: WGS-84 (GPS; the default) or GCJ-02 (maps and phones in mainland China).',
    },
    visibility: {
      type: 'string', enum: [...VISIBILITIES],
      description: 'Who may see the report: `public` (the report is public, never the reporter\'s name), `agency` (default: staff who may read the ticket), `confidential` (保密, GB/T 33358).',
    },
    request_type: {
      type: 'string', enum: [...REQUEST_TYPES],
      description: 'The kind of request (咨询 inquiry, 求助 help, 建议 suggestion, 投诉 complaint, 举报 report); default: the category\'s (help). Under the Sichuan policy set it chooses the resolution limit (3, 7, 7, 15, 15 working days).',
    },
    phone: {
      type: 'string', pattern: '^\\+?[0-9][0-9 -]{4,19}$',
      description: 'The reporter\'s mobile number for text-message updates (the app states that giving it is consent). Personal data: seen only by the holding unit and auditors (a confidential report: the holder, the first responder\'s unit and supervisors; never auditors).',
    },
    onBehalfOf: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      description: 'The person an officer reports for (proxy submission).',
      properties: { name: text('Name of the person.', 200), contact: optionalText('Phone or address (personal data, masked outside the holding unit).', 500) },
    },
  },
};

const submittedSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'reference', 'status', 'revision', 'links'],
  properties: {
    id: { type: 'string' },
    reference: { type: 'string', description: 'Human reference, e.g. LS-2026-000123.' },
    status: { type: 'string', description: 'The ticket\'s status at `revision`: routed (a new ticket), submitted (no unit found), or where a replayed ticket has got to.' },
    revision: { type: 'integer' },
    links: { type: 'object', properties: { self: { type: 'string' }, history: { type: 'string' } } },
    attachments: { type: 'array', items: attachmentSchema, description: 'The photos sent with a multipart submission.' },
  },
};

const listQuerySchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: {
      type: 'string',
      enum: ['submitted', 'routed', 'in_progress', 'awaiting_information', 'resolved', 'closed', 'rejected', 'duplicate', 'withdrawn'],
      description: 'Filter by status (see docs/ticket-lifecycle.md).',
    },
    unit: { type: 'string', pattern: '^(adm|dep)-[0-9a-z-]{4,64}$', description: 'Filter by holding unit id.' },
    limit: digits(4, 'Page size (default decided by the query service).', 'tongban.query.v1.ListTicketsRequest.limit'),
    offset: digits(9, 'Tickets to skip.', 'tongban.query.v1.ListTicketsRequest.offset'),
  },
};

/** Links of a ticket resource. */
function ticketLinks(id: string): { self: string; history: string } {
  const self = `/api/v1/tickets/${encodeURIComponent(id)}`;
  return { self, history: `${self}/history` };
}

/**
 * Ticket resources: the current view, the history and lists (query). Every route needs a token; the
 * services scope what the caller may see. The submission is {@link registerSubmitRoute}.
 */
export function registerTicketRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { clients, callTimeoutMs } = ctx;

  app.get<{ Querystring: { service_code: string; division: string; lat?: string; long?: string } }>('/api/v1/tickets/similar', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: 'Open tickets like the report being written (issue 14 item 5), to follow one instead of submitting',
      description: 'Open tickets of `service_code` in the same township (the township of a village) from the last 30 days; with `lat`/`long` (WGS-84) '
        + 'those with a position only within 500 m, nearest first; at most 10. Without anyone\'s identity and without the description. '
        + 'Then `POST /api/v1/tickets/{id}/follow` follows one ("me too"). Example: `GET /api/v1/tickets/similar?service_code=sanitation&division=513437100001&lat=28.26&long=103.58` → '
        + '`{"tickets": [{"id": "…", "reference": "LS-2026-000123", "title": "垃圾池满了", "status": "in_progress", "divisionName": "锦城镇", "followers": 2, "distanceMeters": 120}]}`.',
      security: bearerSecurity,
      querystring: {
        type: 'object', additionalProperties: false, required: ['service_code', 'division'],
        properties: {
          service_code: { type: 'string', minLength: 1, maxLength: 64 },
          division: { type: 'string', pattern: '^[0-9]{9,12}$', description: 'A township or village code.' },
          lat: { type: 'string', pattern: COORDINATE, description: 'WGS-84 latitude, decimal degrees.' },
          long: { type: 'string', pattern: COORDINATE, description: 'WGS-84 longitude, decimal degrees.' },
        },
      },
      response: {
        200: { type: 'object', properties: { tickets: { type: 'array', items: openObjectSchema } } },
        ...problemResponses(400, 401, 503),
      },
    },
  }, async (request) => {
    const q = request.query;
    const lat = q.lat === undefined ? undefined : Number(q.lat);
    const long = q.long === undefined ? undefined : Number(q.long);
    if ((lat !== undefined && Math.abs(lat) > 90) || (long !== undefined && Math.abs(long) > 180)) throw problems.badRequest('invalid_coordinates', 'lat must be within −90..90 and long within −180..180');
    const res = await unaryCall(clients.query, clients.query.findSimilarTickets, {
      serviceCode: q.service_code, division: q.division, ...(lat !== undefined && long !== undefined ? { lat, long } : {}),
    }, callContext(request), callTimeoutMs);
    const tickets = parseUpstreamJson(res.ticketsJson, 'similar tickets');
    return { tickets: Array.isArray(tickets) ? tickets : [] };
  });

  app.get<{ Params: { id: string } }>('/api/v1/tickets/:id', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: 'The current view of a ticket',
      description: 'Status, routedUnit, holder, firstResponder, due times, breaches, the reporter\'s answers to the category\'s questions (`answers: [{code, value, question, answer}]`, texts in the Accept-Language)… (the query read model). ETag: the revision. For staff also `firstResponder.staffName` and `reporter.staffName` (the staff directory\'s display name; absent for accounts outside it) and `actions`: [{command, allowed, reason?}] — what the caller may do on it now (the permission table and a dry run of the decider; the console\'s buttons).',
      security: bearerSecurity,
      params: ticketIdParams,
      response: { 200: openObjectSchema, ...problemResponses(401, 403, 404, 503) },
    },
  }, async (request, reply) => {
    const res = await unaryCall(clients.query, clients.query.getTicket, { ticketId: request.params.id }, callContext(request), callTimeoutMs);
    const view = parseUpstreamJson(res.viewJson, 'ticket view');
    if (view === null || typeof view !== 'object' || Array.isArray(view)) throw problems.badUpstream('the query service answered without a ticket view');
    const revision = (view as { revision?: unknown }).revision;
    if (typeof revision === 'number') setEtag(reply, revision);
    return withNamedAnswers(await withStaffNamesInView(ctx, request, view as Record<string, unknown>), requestLanguage(request));
  });

  app.get<{ Params: { id: string }; Querystring: ReplayQuery }>('/api/v1/tickets/:id/history', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: "A ticket's events in order; with ?revision=N or ?at=<instant>, replayed to that point",
      description: 'Each entry: revision, type, occurredAt, recordedAt, actor (for staff readers with `staffName`, the directory\'s display name of a staff actor), data. With revision/at: also the state evolved by the same decider code as live.',
      security: bearerSecurity,
      params: ticketIdParams,
      querystring: replayQuerystring,
      response: {
        200: {
          type: 'object',
          properties: { id: { type: 'string' }, revision: { type: 'integer' }, state: openObjectSchema, events: { type: 'array', items: openObjectSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 503),
      },
    },
  }, async (request) => {
    const replayed = await replayIfAsked(ctx, request);
    if (replayed) return replayed;
    const res = await unaryCall(clients.query, clients.query.getTicketHistory, { ticketId: request.params.id }, callContext(request), callTimeoutMs);
    const events = parseUpstreamJson(res.eventsJson, 'history');
    return { id: request.params.id, events: Array.isArray(events) ? await withStaffNamesInHistory(ctx, request, events) : [] };
  });

  app.get<{ Querystring: { status?: string; unit?: string; limit?: string; offset?: string } }>('/api/v1/tickets', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: 'List tickets the caller may see',
      security: bearerSecurity,
      querystring: listQuerySchema,
      response: { 200: openObjectSchema, ...problemResponses(400, 401, 403, 503) },
    },
  }, async (request) => {
    const q = request.query;
    const res = await unaryCall(clients.query, clients.query.listTickets, query.ListTicketsRequest.fromPartial({
      status: q.status ?? '', unitId: q.unit ?? '', limit: Number(q.limit ?? 0), offset: Number(q.offset ?? 0),
    }), callContext(request), callTimeoutMs);
    const list = asObject(parseUpstreamJson(res.ticketsJson, 'ticket list'), 'tickets');
    const language = requestLanguage(request);
    return Array.isArray(list['tickets']) ? { ...list, tickets: list['tickets'].map((t: unknown) => withNamedAnswers(t, language)) } : list;
  });
}

/**
 * POST /api/v1/tickets: submit a report (intake.SubmitTicket), as JSON or — with photos — as
 * multipart/form-data (`ticket` + `media` parts; register in a scope with {@link registerMultipart}).
 */
export function registerSubmitRoute(app: FastifyInstance, ctx: GatewayContext): void {
  const { clients, callTimeoutMs } = ctx;
  app.post<{ Body: SubmitTicketBody; Headers: { 'idempotency-key'?: string } }>('/api/v1/tickets', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: 'Submit a report',
      description: 'A citizen (device token), or an officer on behalf of someone (onBehalfOf). A retried request with the same Idempotency-Key returns the same ticket (header Idempotent-Replayed: true); the same key with another body answers 422. '
        + 'With photos: multipart/form-data with the JSON report in a part named `ticket` and the files in parts named `media` (as POST …/attachments; every file is checked before the ticket is written; a retry with the same key adds what is missing).',
      security: bearerSecurity,
      headers: {
        type: 'object',
        properties: { 'idempotency-key': idempotencyKeyHeader('Client key making a retried submission return the same ticket (per caller); the same key with another body answers 422 idempotency_key_reused.') },
      },
      body: submitBodySchema,
      consumes: ['application/json', 'multipart/form-data'],
      response: { 201: submittedSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 503) },
    },
    preValidation: async (request) => {
      if (!request.isMultipart()) return;
      const upload = await readMultipart(request, { ticketPart: true });
      if (upload.ticketJson === undefined) throw problems.badRequest('missing_ticket', 'a multipart submission needs the report as JSON in a part named ticket');
      let parsed: unknown;
      try {
        parsed = JSON.parse(upload.ticketJson);
      } catch {
        throw problems.badRequest('invalid_json', 'the ticket part is not valid JSON');
      }
      // The same rule as JSON bodies: no unpaired surrogate or control character reaches a service.
      const refused = jsonTextProblems(parsed, 'body/ticket');
      if (refused.length > 0) throw invalidText(refused);
      request.body = parsed as SubmitTicketBody;
      request.upload = upload;
    },
  }, async (request, reply) => {
    const body = request.body;
    const ticket = commands.SubmitTicket.fromPartial({
      serviceCode: body.service_code,
      division: body.division ?? '',
      title: body.title,
      description: body.description,
      address: body.address ?? '',
      ...(body.lat !== undefined ? { lat: body.lat } : {}),
      ...(body.long !== undefined ? { long: body.long } : {}),
      coordinateSystem: body.coordinate_system ?? '',
      reporterLanguage: requestLanguage(request),
      reporterPhone: body.phone ?? '',
      ...(body.request_type ? { requestType: body.request_type } : {}),
      ...(body.visibility ? { visibility: body.visibility } : {}),
      ...(body.onBehalfOf ? { onBehalfOf: { name: body.onBehalfOf.name, contact: body.onBehalfOf.contact ?? '' } } : {}),
    });
    const idempotencyKey = request.headers['idempotency-key'] ?? '';
    const res = await unaryCall(clients.intake, clients.intake.submitTicket, { ticket, idempotencyKey }, callContext(request), callTimeoutMs);
    const links = ticketLinks(res.ticketId);
    setEtag(reply, res.revision);
    reply.header('location', links.self);
    if (res.replayed) reply.header('idempotent-replayed', 'true');
    const files = request.upload?.files ?? [];
    const attached = files.length > 0 ? await attachFiles(ctx, request, res.ticketId, files) : undefined;
    const revision = attached?.revision ?? res.revision;
    setEtag(reply, revision);
    return reply.code(201).send({
      id: res.ticketId, reference: res.reference, status: res.status || 'submitted', revision, links, ...(attached ? { attachments: attached.attachments } : {}),
    });
  });
}
