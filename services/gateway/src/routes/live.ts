import { connectNats } from '@tongban/messaging';
import type { Config, Logger } from '@tongban/runtime';
import type { FastifyInstance } from 'fastify';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { requireCaller } from '../auth';
import type { GatewayContext } from '../context';
import { HttpProblem } from '../problem';
import { bearerSecurity, problemResponses } from '../schemas';

/** Seconds between keep-alive comments on an open stream (proxies close idle connections). */
const LIVE_HEARTBEAT_MS = 15_000;

/** The ticket-event feed of the live route: subscribers get each event's type as it is published. */
export interface LiveFeed {
  /** Registers a listener; returns its removal. */
  subscribe(listener: (type: string) => void): () => void;
  close(): Promise<void>;
}

/**
 * A feed of the ticket events the relay publishes (core NATS subscription to `<eventsSubject>.>`, the
 * same messages the JetStream consumers read). Connects in the background and reconnects forever; no
 * state, nothing acknowledged: a missed message only delays a client's refresh. Subscribed only while
 * a listener is registered (a console has GET /api/v1/live open): otherwise every ticket event — whole,
 * a few per submission — would be delivered to and decoded by every gateway for nobody (issue 13).
 */
export function natsLiveFeed(config: Pick<Config, 'natsUrl' | 'eventsSubject'>, log: Logger): LiveFeed {
  const listeners = new Set<(type: string) => void>();
  let nc: NatsConnection | undefined;
  let sub: Subscription | undefined;
  const follow = () => {
    if (sub || !nc || nc.isClosed() || listeners.size === 0) return;
    const current = nc.subscribe(`${config.eventsSubject}.>`);
    sub = current;
    void (async () => {
      try {
        for await (const msg of current) {
          const type = msg.subject.slice(config.eventsSubject.length + 1);
          for (const l of listeners) l(type);
        }
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, 'live updates: NATS subscription ended');
      } finally {
        if (sub === current) sub = undefined;
      }
    })();
  };
  const ready = connectNats(config.natsUrl, { name: 'tongban-gateway-live', waitOnFirstConnect: true })
    .then((conn) => {
      nc = conn;
      follow();
    })
    .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'live updates: NATS subscription ended'));
  return {
    subscribe(listener) {
      listeners.add(listener);
      follow();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && sub) {
          const current = sub;
          sub = undefined;
          current.unsubscribe();
        }
      };
    },
    async close() {
      sub?.unsubscribe();
      await nc?.close().catch(() => undefined);
      await Promise.race([ready, new Promise((r) => setTimeout(r, 1_000))]);
    },
  };
}

/**
 * GET /api/v1/live: server-sent events for staff (`text/event-stream`), one `ticket` event per ticket
 * event published (data: `{"type":"<EventType>"}` — no ticket id or content, so nothing of another
 * jurisdiction leaks), and a comment every 15 s. A client re-reads its (scoped) lists when one arrives.
 * Read it with fetch (EventSource cannot send the Authorization header).
 */
export function registerLiveRoutes(app: FastifyInstance, ctx: GatewayContext, feed: LiveFeed): void {
  app.get('/api/v1/live', {
    onRequest: ctx.auth.required,
    schema: {
      tags: ['tickets'],
      summary: 'Live updates (server-sent events) for the console',
      description: 'text/event-stream: `event: ticket` with data `{"type": "<EventType>"}` for every ticket event, a comment line every 15 s. Staff tokens only.',
      security: bearerSecurity,
      response: { ...problemResponses(401, 403) },
    },
  }, async (request, reply) => {
    const { principal } = requireCaller(request);
    if (principal.kind !== 'staff') throw new HttpProblem(403, 'staff_only', 'live updates are for staff');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    const off = feed.subscribe((type) => { res.write(`event: ticket\ndata: ${JSON.stringify({ type })}\n\n`); });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), LIVE_HEARTBEAT_MS);
    const end = () => { clearInterval(heartbeat); off(); };
    request.raw.on('close', end);
    res.on('error', end);
  });
}
