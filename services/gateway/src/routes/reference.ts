import type { FastifyInstance, FastifyRequest } from 'fastify';
import { asObject, parseUpstreamJson, type GatewayContext } from '../context';
import { unaryCall, type CallContext } from '../grpc-clients';
import { openObjectSchema, problemResponses } from '../schemas';

/**
 * Public reference data, served by the query service: units of a division and the service catalogue.
 * No token is needed and none is forwarded (ListUnits and ListServices are public methods of the query
 * service); a token that is sent must still be valid.
 */
export function registerReferenceRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const call = (request: FastifyRequest): CallContext => ({ correlationId: request.id });

  app.get<{ Querystring: { division?: string } }>('/api/v1/units', {
    onRequest: ctx.auth.optional,
    schema: {
      tags: ['reference'],
      summary: 'Units of a division',
      description: 'Each unit: id, name, kind (administration or the department type), division.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { division: { type: 'string', pattern: '^[0-9]{4,12}$', description: 'Division code.' } },
      },
      response: { 200: openObjectSchema, ...problemResponses(400, 404, 503) },
    },
  }, async (request) => {
    const res = await unaryCall(ctx.clients.query, ctx.clients.query.listUnits, { division: request.query.division ?? '' }, call(request), ctx.callTimeoutMs);
    return asObject(parseUpstreamJson(res.unitsJson, 'unit list'), 'units');
  });

  app.get('/api/v1/services', {
    onRequest: ctx.auth.optional,
    schema: {
      tags: ['reference'],
      summary: 'The service catalogue (Open311 services: service_code, names, group, department)',
      response: { 200: openObjectSchema, ...problemResponses(503) },
    },
  }, async (request) => {
    const res = await unaryCall(ctx.clients.query, ctx.clients.query.listServices, {}, call(request), ctx.callTimeoutMs);
    return asObject(parseUpstreamJson(res.servicesJson, 'catalogue'), 'services');
  });
}
