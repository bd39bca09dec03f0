import type { FastifyInstance } from 'fastify';
import { callContext, type GatewayContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { bearerSecurity, digits, problemResponses } from '../schemas';

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
        properties: { limit: digits(4, 'At most this many messages.', 'tongban.notification.v1.ListInboxRequest.limit') },
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

const deliverySchema = {
  type: 'object',
  properties: {
    messageId: { type: 'string', description: 'The delivery id (the webhook-id header of webhooks), the same as the inbox message id.' },
    subscriptionId: { type: 'string' }, ticketId: { type: 'string' }, kind: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'delivered', 'abandoned'] },
    attempts: { type: 'integer' },
    createdAt: { type: 'string' }, nextAttemptAt: { type: 'string' }, lastError: { type: 'string' }, deliveredAt: { type: 'string' },
  },
};

/**
 * GET /api/v1/webhooks/deliveries: webhook delivery state per subscription (counts by state) and the
 * deliveries not yet delivered (or of `state`), for auditors and admins (issue 16 item 15).
 */
export function registerWebhookDeliveryRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get<{ Querystring: { subscription?: string; state?: string; limit?: string } }>('/api/v1/webhooks/deliveries', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['inbox'],
      summary: 'Webhook delivery state per subscription (auditors, admins)',
      security: bearerSecurity,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          subscription: { type: 'string', minLength: 1, maxLength: 200, description: 'Only this subscription id.' },
          state: { type: 'string', enum: ['pending', 'delivered', 'abandoned'], description: 'Deliveries of this state (default: pending and abandoned).' },
          limit: digits(4, 'At most this many deliveries (default 100, at most 1000).', 'tongban.notification.v1.ListWebhookDeliveriesRequest.limit'),
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            counts: { type: 'array', items: { type: 'object', properties: { subscriptionId: { type: 'string' }, state: { type: 'string' }, count: { type: 'integer' } } } },
            deliveries: { type: 'array', items: deliverySchema },
          },
        },
        ...problemResponses(400, 401, 403, 503),
      },
    },
  }, async (request) => {
    const q = request.query;
    const res = await unaryCall(ctx.clients.notification, ctx.clients.notification.listWebhookDeliveries, {
      subscriptionId: q.subscription ?? '', state: q.state ?? '', limit: Number(q.limit ?? 0),
    }, callContext(request), ctx.callTimeoutMs);
    return { counts: res.counts, deliveries: res.deliveries };
  });
}
