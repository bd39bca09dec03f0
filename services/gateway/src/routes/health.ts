import type { FastifyInstance } from 'fastify';
import { collectProcessMetrics } from '@tongban/runtime';
import { register } from 'prom-client';
import { GATEWAY_UPSTREAMS, channelReady, type GrpcClients } from '../grpc-clients';
import { HttpProblem } from '../problem';
import type { NatsReadiness } from '../nats-readiness';
import { problemResponses } from '../schemas';

/** How long readiness waits for each upstream channel, ms. */
const READINESS_TIMEOUT_MS = 1000;

/** A consumer's backlog in the readiness detail (see nats-readiness.ts). */
const consumerSchema = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['ok', 'absent', 'unknown'] },
    pending: { type: 'integer' }, ackPending: { type: 'integer' }, redelivered: { type: 'integer' },
    lagSeconds: { type: 'number' }, behind: { type: 'boolean' }, leader: { type: 'string' },
  },
} as const;

/**
 * GET /healthz: liveness (the process answers). GET /readyz: readiness, 200 when every upstream
 * service's channel connects within a second and (when `nats` is given) NATS answers a round trip
 * within a second; else 503 problem+json naming the unreachable ones (`nats` among them). The 200 body
 * details each platform consumer's backlog (`consumers`: pending, ackPending, lagSeconds, `behind`
 * above TONGBAN_CONSUMER_LAG_WARN_SECONDS); a backlog is reported, it does not make the gateway unready.
 */
export function registerHealthRoutes(app: FastifyInstance, clients: GrpcClients, nats?: NatsReadiness): void {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Liveness', response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
  }, async () => ({ status: 'ok' }));

  // Prometheus text (issue 12 item 3): the tongban_http_* series and the process's defaults. The Helm
  // chart's ServiceMonitor scrapes it on the `http` port; the NetworkPolicy keeps scrapers in-cluster only
  // as far as the ingress does not publish /metrics.
  collectProcessMetrics();
  app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics', hide: true } }, async (_request, reply) => {
    reply.header('content-type', register.contentType).header('cache-control', 'no-store');
    return register.metrics();
  });

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: every upstream service and NATS are reachable; consumer backlogs in detail',
      response: {
        200: {
          type: 'object',
          properties: {
            status: { type: 'string' },
            upstreams: { type: 'object', additionalProperties: { type: 'string' } },
            nats: { type: 'string' },
            consumers: { type: 'object', additionalProperties: consumerSchema },
            processes: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        ...problemResponses(503),
      },
    },
  }, async () => {
    const [states, natsReport] = await Promise.all([
      Promise.all(GATEWAY_UPSTREAMS.map(async (name) => [name, await channelReady(clients[name], READINESS_TIMEOUT_MS)] as const)),
      nats?.check(READINESS_TIMEOUT_MS),
    ]);
    const down: string[] = states.filter(([, ready]) => !ready).map(([name]) => name);
    if (natsReport && !natsReport.ready) down.push('nats');
    const unready = Object.entries(natsReport?.processes ?? {}).filter(([, state]) => state !== 'ready').map(([name, state]) => `${name} (${state})`);
    if (down.length > 0 || unready.length > 0) {
      const detail = [down.length > 0 ? `unreachable: ${down.join(', ')}` : '', unready.length > 0 ? `not ready: ${unready.join(', ')}` : ''].filter(Boolean).join('; ');
      throw new HttpProblem(503, 'not_ready', detail, { extensions: natsReport ? { processes: natsReport.processes, consumers: natsReport.consumers } : {} });
    }
    return {
      status: 'ready',
      upstreams: Object.fromEntries(states.map(([name]) => [name, 'ready'])),
      ...(natsReport ? { nats: 'ready', consumers: natsReport.consumers, processes: natsReport.processes } : {}),
    };
  });
}
