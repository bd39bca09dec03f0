import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { type GatewayContext, issueToken } from '../context';
import { OPTIONAL_BODY, emptyBodyAsObject } from '../docs';
import { problemResponses } from '../schemas';

/**
 * POST /api/v1/devices: registers a citizen's device. No password: a new random device id and a token
 * for it (`{kind: 'citizen', sub: <deviceId>}`, signed by identity, 365 days) — the
 * token is the device's identity, so the app must keep it.
 */
export function registerDeviceRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/api/v1/devices', {
    preValidation: emptyBodyAsObject,
    schema: {
      tags: ['auth'],
      [OPTIONAL_BODY]: true,
      summary: 'Register a device and get its token (citizens; no password)',
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: {
        201: {
          type: 'object',
          required: ['deviceId', 'token'],
          properties: { deviceId: { type: 'string' }, token: { type: 'string', description: 'Bearer token of the device.' } },
        },
        ...problemResponses(400, 413, 415),
      },
    },
  }, async (request, reply) => {
    const deviceId = randomUUID();
    const token = await issueToken(ctx, { kind: 'citizen', subject: deviceId }, request.id);
    return reply.code(201).send({ deviceId, token });
  });
}
