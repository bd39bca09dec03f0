// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import type { EventStore } from '@tongban/eventstore';
import { jetstream } from '@nats-io/jetstream';
import { Relay, deadLetterSubjectFor, migrateRelay, relayMetrics } from '@tongban/messaging';
import { ensureEventStreams, eventStoreChoice, eventStreamNames, relayDurable, runService } from '@tongban/runtime';
import { startStallMonitor } from './stall-monitor';

runService('relay', async (host) => {
  const names = eventStreamNames(host);
  await ensureEventStreams(host);
  await migrateRelay(host.pool);
  const relay = new Relay({
    store: host.store,
    pool: host.pool,
    js: jetstream(host.nc),
    name: `${host.config.namespace}-ticket-events`,
    subjectPrefix: names.prefix,
    intervalMs: Math.min(host.config.pollMs, 100),
    // Quiet for 3 s with the PostgreSQL store (whose appends notify): poll every second instead of ten times.
    ...(eventStoreChoice('relay').kind === 'postgres' ? { idleIntervalMs: Math.max(host.config.pollMs, RELAY_IDLE_POLL_MS) } : {}),
    deadLetterSubject: deadLetterSubjectFor(relayDurable(host.config.namespace), names.deadLetterPrefix),
    onError: (err) => host.log.warn({ err }, 'relay attempt failed; retrying'),
    onPublished: (event) => host.log.debug({ eventId: event.id, type: event.type, stream: event.stream, revision: event.revision, correlationId: event.metadata.correlationId }, 'event published'),
    onParked: (event, reason, err) => host.log.error(
      { eventId: event.id, type: event.type, stream: event.stream, revision: event.revision, correlationId: event.metadata.correlationId, reason, err: err instanceof Error ? err.message : String(err) },
      'event parked: it cannot be published (list and redrive: npm run deadletters)',
    ),
  });
  relay.start();
  host.onStop(() => relay.stop());
  // Events held back by an open transaction become readable when it ends, which notifies nobody: poll at the fast pace meanwhile.
  const stalls = startStallMonitor({ pool: host.pool, log: host.log, onHeldBack: () => relay.keepAwake() });
  host.health.add('pipeline', () => stalls.check());
  host.onStop(() => stalls.stop());
  host.heartbeatDetail = relayLagProbe(relay, host.store);

});

/** The relay's poll interval once quiet (a fallback: appends wake it through LISTEN), ms. */
const RELAY_IDLE_POLL_MS = 1000;

/** Events after the checkpoint counted for `tongban_relay_lag_events` (read every second while the leader). */
const RELAY_LAG_COUNT_LIMIT = 1000;

/**
 * The relay's heartbeat detail (and the tongban_relay_lag_* gauges): `leader` (this replica publishes) and, for the leader, `lagSeconds` —
 * how long (real time, s) the oldest event after its checkpoint has been waiting to be published
 * (0 when caught up). A dead relay sends no heartbeat; a stuck one reports a growing lag.
 */
export function relayLagProbe(relay: Relay, store: EventStore): () => Promise<Record<string, unknown>> {
  let waiting: { id: string; since: number } | undefined;
  const metrics = relayMetrics();
  return async () => {
    if (!relay.isLeader) return { leader: false };
    const behind = await store.readAll(relay.checkpoint, RELAY_LAG_COUNT_LIMIT);
    const next = behind[0];
    if (!next) waiting = undefined;
    else if (waiting?.id !== next.id) waiting = { id: next.id, since: Date.now() };
    const lagSeconds = waiting ? Math.round((Date.now() - waiting.since) / 100) / 10 : 0;
    metrics.lagEvents.set(behind.length);
    metrics.lagSeconds.set(lagSeconds);
    return { leader: true, lagSeconds, published: relay.stats.published };
  };
}
