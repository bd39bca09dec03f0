/**
 * NATS in readiness (issue 16 items 21 and 7): whether the gateway reaches NATS, and how far behind each
 * platform consumer is (JetStream's own bookkeeping, see `consumerLag`).
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type ConsumerLag, connectNats, consumerLag } from '@tongban/messaging';
import { type Config, PLATFORM_CONSUMERS, durableName } from '@tongban/runtime';
import type { Logger } from 'pino';
import { ProcessBeats, type ProcessState } from './process-readiness';

/** One consumer's backlog as readiness reports it; `behind` when its age exceeds the warning bound. */
interface ConsumerReadiness extends Partial<ConsumerLag> {
  /** True when `lagSeconds` exceeds TONGBAN_CONSUMER_LAG_WARN_SECONDS. */
  behind?: boolean;
  /** `absent` when the durable does not exist (yet), `unknown` when JetStream did not answer. */
  state: 'ok' | 'absent' | 'unknown';
}

/** What {@link NatsReadiness.check} finds. */
interface NatsReadinessReport {
  /** NATS answered a round trip within the timeout. */
  ready: boolean;
  /** Why not, when not ready. */
  error?: string;
  /** Per platform process (see process-readiness.ts): `ready` or why not. */
  processes: Record<string, ProcessState>;
  /** Per platform consumer (short names: routing, deadline-timers, notification-inbox, query-ticket-views). */
  consumers: Record<string, ConsumerReadiness>;
}

/** The NATS part of readiness. */
export interface NatsReadiness {
  /** Checks NATS (a round trip) and the consumers' lag, each bounded by `timeoutMs`. Never throws. */
  check(timeoutMs: number): Promise<NatsReadinessReport>;
  /** Closes the connection. */
  close(): Promise<void>;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Connects to `config.natsUrl` in the background (the gateway starts without NATS and is not ready
 * until it is reached; reconnects forever). Consumer lag is read for the namespace's durables on
 * `config.eventsStream`; `behind` uses `config.consumerLagWarnSeconds`.
 */
export function natsReadiness(config: Pick<Config, 'natsUrl' | 'namespace' | 'eventsStream' | 'consumerLagWarnSeconds' | 'relayLagMaxSeconds'>, log: Logger): NatsReadiness {
  const beats = new ProcessBeats(config.namespace, config.relayLagMaxSeconds);
  let nc: NatsConnection | undefined;
  let jsm: JetStreamManager | undefined;
  let closed = false;
  const connecting = connectNats(config.natsUrl, { name: 'tongban-gateway-readiness', waitOnFirstConnect: true })
    .then(async (conn) => {
      if (closed) { await conn.close(); return; }
      nc = conn;
      beats.attach(conn);
      jsm = await jetstreamManager(conn, { checkAPI: false });
    })
    .catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'readiness: NATS connection failed'));
  return {
    async check(timeoutMs) {
      const consumers: Record<string, ConsumerReadiness> = {};
      // Just started: give the first connection the same time as any other check.
      if (!jsm) await withTimeout(connecting, timeoutMs, 'NATS connection').catch(() => undefined);
      if (!nc || !jsm || nc.isClosed()) return { ready: false, error: 'not connected', consumers, processes: {} };
      try {
        await withTimeout(nc.rtt(), timeoutMs, 'NATS round trip');
      } catch (err) {
        return { ready: false, error: err instanceof Error ? err.message : String(err), consumers, processes: {} };
      }
      const m = jsm;
      const processes = beats.check();
      await Promise.all(PLATFORM_CONSUMERS.map(async (short) => {
        try {
          const lag = await withTimeout(consumerLag(m, config.eventsStream, durableName(config.namespace, short)), timeoutMs, 'consumer info');
          consumers[short] = lag ? { state: 'ok', ...lag, lagSeconds: Math.round(lag.lagSeconds * 10) / 10, behind: lag.lagSeconds > config.consumerLagWarnSeconds } : { state: 'absent' };
        } catch {
          consumers[short] = { state: 'unknown' };
        }
      }));
      return { ready: true, consumers, processes: await processes };
    },
    async close() {
      closed = true;
      beats.close();
      await connecting;
      await nc?.close().catch(() => undefined);
    },
  };
}
