import type { FastifyInstance, FastifyRequest } from 'fastify';
import { asObject, parseUpstreamJson, type GatewayContext } from '../context';
import { unaryCall, type CallContext } from '../grpc-clients';
import { openObjectSchema, problemResponses } from '../schemas';

/**
 * Public reference data, served by the query service: units of a division and the service catalogue.
 * No token is needed; a token that is sent must be valid. Without one the gateway calls with its own
 * system token.
 */
export function registerReferenceRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const call = async (request: FastifyRequest): Promise<CallContext> => ({
    token: request.caller?.token ?? await ctx.gatewayToken(),
    correlationId: request.id,
  });

  app.get<{ Querystring: { division?: string } }>('/api/v1/units', {
    onRequest: ctx.auth.optional,
    schema: {
      tags: ['reference'],
      summary: 'Units of a division',
      description: 'Each unit: id, name, kind (administration or the department type), division.',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { division: { type: 'string', pattern: '^[0-9]{6,12}$', description: 'Division code.' } },
      },
      response: { 200: openObjectSchema, ...problemResponses(400, 404, 503) },
    },
  }, async (request) => {
    const res = await unaryCall(ctx.clients.query, ctx.clients.query.listUnits, { division: request.query.division ?? '' }, await call(request), ctx.callTimeoutMs);
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
    const res = await unaryCall(ctx.clients.query, ctx.clients.query.listServices, {}, await call(request), ctx.callTimeoutMs);
    return asObject(parseUpstreamJson(res.servicesJson, 'catalogue'), 'services');
  });
}
