import { type ReplayQuery, replayIfAsked, replayQuerystring } from './audit';
import { commands, query } from '@tongban/contracts';
import type { FastifyInstance } from 'fastify';
import { asObject, callContext, parseUpstreamJson, type GatewayContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { problems } from '../problem';
import { setEtag } from '../revision';
import {
  bearerSecurity, openObjectSchema, optionalText, problemResponses, text, ticketIdParams, type JsonSchema,
} from '../schemas';

/** Body of POST /api/v1/tickets (Open311 names for the report's fields). */
export interface SubmitTicketBody {
  service_code: string;
  division: string;
  title: string;
  description: string;
  address?: string;
  lat?: number;
  long?: number;
  /** Who the report is for, when an officer submits on someone's behalf (the token says who submitted). */
  onBehalfOf?: { name: string; contact?: string };
}

const submitBodySchema: JsonSchema = {
  type: 'object',
  required: ['service_code', 'division', 'title', 'description'],
  additionalProperties: false,
  properties: {
    service_code: { type: 'string', minLength: 1, maxLength: 64, description: 'A service_code of GET /api/v1/services.' },
    division: { type: 'string', pattern: '^[0-9]{4,12}$', description: 'Division code where the problem is (prefecture, county, township or village).' },
    title: text('Short title.', 200),
    description: text('What is wrong.'),
    address: optionalText('Street address or landmark.', 500),
    lat: { type: 'number', minimum: -90, maximum: 90 },
    long: { type: 'number', minimum: -180, maximum: 180 },
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
    status: { type: 'string' },
    revision: { type: 'integer' },
    links: { type: 'object', properties: { self: { type: 'string' }, history: { type: 'string' } } },
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
    limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'Page size (default decided by the query service).' },
    offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
  },
};

/** Links of a ticket resource. */
export function ticketLinks(id: string): { self: string; history: string } {
  const self = `/api/v1/tickets/${encodeURIComponent(id)}`;
  return { self, history: `${self}/history` };
}

/**
 * Ticket resources: submit (intake.SubmitTicket), the current view, the history and lists (query).
 * Every route needs a token; the services scope what the caller may see.
 */
export function registerTicketRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { clients, callTimeoutMs } = ctx;

  app.post<{ Body: SubmitTicketBody; Headers: { 'idempotency-key'?: string } }>('/api/v1/tickets', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: 'Submit a report',
      description: 'A citizen (device token), or an officer on behalf of someone (onBehalfOf). A retried request with the same Idempotency-Key returns the same ticket (header Idempotent-Replayed: true); the same key with another body answers 422.',
      security: bearerSecurity,
      headers: {
        type: 'object',
        properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255, description: 'Client key making a retried submission return the same ticket.' } },
      },
      body: submitBodySchema,
      response: { 201: submittedSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 503) },
    },
  }, async (request, reply) => {
    const body = request.body;
    const ticket = commands.SubmitTicket.fromPartial({
      serviceCode: body.service_code,
      division: body.division,
      title: body.title,
      description: body.description,
      address: body.address ?? '',
      ...(body.lat !== undefined ? { lat: body.lat } : {}),
      ...(body.long !== undefined ? { long: body.long } : {}),
      ...(body.onBehalfOf ? { onBehalfOf: { name: body.onBehalfOf.name, contact: body.onBehalfOf.contact ?? '' } } : {}),
    });
    const idempotencyKey = request.headers['idempotency-key'] ?? '';
    const res = await unaryCall(clients.intake, clients.intake.submitTicket, { ticket, idempotencyKey }, callContext(request), callTimeoutMs);
    const links = ticketLinks(res.ticketId);
    setEtag(reply, res.revision);
    reply.header('location', links.self);
    if (res.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(201).send({ id: res.ticketId, reference: res.reference, status: 'submitted', revision: res.revision, links });
  });

  app.get<{ Params: { id: string } }>('/api/v1/tickets/:id', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: 'The current view of a ticket',
      description: 'Status, routedUnit, holder, firstResponder, due times, breaches… (the query read model). ETag: the revision.',
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
    return view;
  });

  app.get<{ Params: { id: string }; Querystring: ReplayQuery }>('/api/v1/tickets/:id/history', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: "A ticket's events in order; with ?revision=N or ?at=<instant>, replayed to that point",
      description: 'Each entry: revision, type, occurredAt, recordedAt, actor, data. With revision/at: also the state evolved by the same decider code as live.',
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
    return { id: request.params.id, events: Array.isArray(events) ? events : [] };
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
    return asObject(parseUpstreamJson(res.ticketsJson, 'ticket list'), 'tickets');
  });
}
