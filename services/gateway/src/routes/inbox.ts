import type { FastifyInstance } from 'fastify';
import { callContext, type GatewayContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { bearerSecurity, problemResponses } from '../schemas';

const messageSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    ticketId: { type: 'string' },
    kind: { type: 'string', description: 'ticket-arrived, public-reply, resolved, escalated, …' },
    title: { type: 'string' },
    body: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    eventId: { type: 'string' },
  },
};

/** GET /api/v1/inbox: the caller's messages (a unit's staff, an officer, or a device), from notification. */
export function registerInboxRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get<{ Querystring: { limit?: string } }>('/api/v1/inbox', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['inbox'],
      summary: "The caller's inbox",
      security: bearerSecurity,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'At most this many messages.' } },
      },
      response: {
        200: { type: 'object', properties: { messages: { type: 'array', items: messageSchema } } },
        ...problemResponses(400, 401, 503),
      },
    },
  }, async (request) => {
    const res = await unaryCall(ctx.clients.notification, ctx.clients.notification.listInbox, { limit: Number(request.query.limit ?? 0) }, callContext(request), ctx.callTimeoutMs);
    return { messages: res.messages };
  });
}
