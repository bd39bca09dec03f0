import type { FastifyInstance } from 'fastify';
import { GATEWAY_UPSTREAMS, channelReady, type GrpcClients } from '../grpc-clients';
import { HttpProblem } from '../problem';
import { problemResponses } from '../schemas';

/** How long readiness waits for each upstream channel, ms. */
export const READINESS_TIMEOUT_MS = 1000;

/**
 * GET /healthz: liveness (the process answers). GET /readyz: readiness, 200 when every upstream
 * service's channel connects within a second, else 503 problem+json naming the unreachable ones.
 */
export function registerHealthRoutes(app: FastifyInstance, clients: GrpcClients): void {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Liveness', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: every upstream service is reachable',
      response: {
        200: { type: 'object', properties: { status: { type: 'string' }, upstreams: { type: 'object', additionalProperties: { type: 'string' } } } },
        ...problemResponses(503),
      },
    },
  }, async () => {
    const states = await Promise.all(GATEWAY_UPSTREAMS.map(async (name) => [name, await channelReady(clients[name], READINESS_TIMEOUT_MS)] as const));
    const down = states.filter(([, ready]) => !ready).map(([name]) => name);
    if (down.length > 0) throw new HttpProblem(503, 'not_ready', `unreachable: ${down.join(', ')}`);
    return { status: 'ready', upstreams: Object.fromEntries(states.map(([name]) => [name, 'ready'])) };
  });
}
