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
    read: { type: 'boolean', description: 'Whether the caller has read it (per person: each member of a unit has their own read state).' },
  },
};

const unreadSchema = { type: 'integer', minimum: 0, description: "The caller's unread messages in the whole inbox (not only this page)." };

/**
 * GET /api/v1/inbox: the caller's messages (a unit's staff, an officer, or a device), from notification,
 * each with `read`, and `unread`; POST /api/v1/inbox/read: marks messages read for the caller (per person).
 */
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
        200: { type: 'object', properties: { messages: { type: 'array', items: messageSchema }, unread: unreadSchema } },
        ...problemResponses(400, 401, 403, 503),
      },
    },
  }, async (request) => {
    const res = await unaryCall(ctx.clients.notification, ctx.clients.notification.listInbox, { limit: Number(request.query.limit ?? 0) }, callContext(request), ctx.callTimeoutMs);
    return { messages: res.messages, unread: res.unread };
  });

  app.post<{ Body: { upTo?: string; ids?: string[] } }>('/api/v1/inbox/read', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['inbox'],
      summary: 'Mark messages of your inbox read (for you: read state is per person)',
      description: 'Either `upTo`: every message up to and including this one in the inbox\'s order (newest first by event), given as a '
        + 'message id or as an ISO-8601 instant (the messages created at or before it; never messages still to come); or `ids`: these '
        + 'messages (at most 500). The read state is the caller\'s own, so another member of the unit still sees them unread, and it is '
        + 'the same on every device the caller signs in on. A staff member\'s `upTo` marker is per person and unit (a person with roles '
        + 'in several units has one per unit); it only moves forward. Idempotent. Answers the caller\'s `unread` count afterwards. '
        + '404 `inbox_message_not_found` for an id that is not in your inbox (nothing is marked); 400 `invalid_read_marker` otherwise.',
      security: bearerSecurity,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        properties: {
          upTo: { type: 'string', minLength: 1, maxLength: 40, description: 'A message id, or an ISO-8601 instant.' },
          ids: { type: 'array', minItems: 1, maxItems: 500, items: { type: 'string', format: 'uuid' }, description: 'Message ids.' },
        },
        examples: [{ upTo: '6f1c2d3e-4b5a-5c6d-9e7f-8a9b0c1d2e3f' }, { upTo: '2026-12-02T08:00:00Z' }, { ids: ['6f1c2d3e-4b5a-5c6d-9e7f-8a9b0c1d2e3f'] }],
      },
      response: {
        200: { type: 'object', required: ['unread'], properties: { unread: unreadSchema }, examples: [{ unread: 3 }] },
        ...problemResponses(400, 401, 403, 404, 415, 503),
      },
    },
  }, async (request) => {
    const res = await unaryCall(ctx.clients.notification, ctx.clients.notification.markInboxRead, {
      upTo: request.body.upTo ?? '', messageIds: request.body.ids ?? [],
    }, callContext(request), ctx.callTimeoutMs);
    return { unread: res.unread };
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
