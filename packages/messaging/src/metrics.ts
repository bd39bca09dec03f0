/**
 * Prometheus metrics of the messaging plumbing, in prom-client's default registry (the process's
 * `/metrics`: the health listener of each process). Names follow the Prometheus conventions:
 * `tongban_<subsystem>_<what>_<unit>`, counters ending in `_total`.
 */
import { Counter, Gauge, Histogram, register } from 'prom-client';

/**
 * The metric `name` of prom-client's default registry, made by `create` the first time (a module may be
 * loaded twice in one process, e.g. in tests, and registering a name twice throws).
 */
export function singleMetric<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

/** Metrics of the durable consumers, labelled by `consumer` (the durable name). */
export function consumerMetrics() {
  return {
    handled: singleMetric('tongban_consumer_messages_handled_total', () => new Counter({
      name: 'tongban_consumer_messages_handled_total', help: 'Messages handled and acknowledged', labelNames: ['consumer'],
    })),
    transientRetries: singleMetric('tongban_consumer_transient_retries_total', () => new Counter({
      name: 'tongban_consumer_transient_retries_total', help: 'In-place retries of a message after a transient failure (a dependency outage)', labelNames: ['consumer'],
    })),
    deadLetters: singleMetric('tongban_dead_letters_total', () => new Counter({
      name: 'tongban_dead_letters_total', help: 'Messages dead-lettered (parked), by consumer (or relay) and reason', labelNames: ['consumer', 'reason'],
    })),
    lagSeconds: singleMetric('tongban_consumer_lag_seconds', () => new Gauge({
      name: 'tongban_consumer_lag_seconds', help: 'Age of the last message handled when its batch ended (0 when caught up), seconds', labelNames: ['consumer'],
    })),
    pending: singleMetric('tongban_consumer_pending_messages', () => new Gauge({
      name: 'tongban_consumer_pending_messages', help: 'Messages waiting behind the last one handled', labelNames: ['consumer'],
    })),
    redeliveries: singleMetric('tongban_consumer_redeliveries_total', () => new Counter({
      name: 'tongban_consumer_redeliveries_total', help: 'Messages received again (JetStream delivery count above 1)', labelNames: ['consumer'],
    })),
    processing: singleMetric('tongban_consumer_processing_seconds', () => new Histogram({
      name: 'tongban_consumer_processing_seconds', help: 'Time from receiving a message to settling it (handler, retries included), seconds, by outcome (ack, nak, dead_letter)',
      labelNames: ['consumer', 'outcome'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    })),
    leaderChanges: singleMetric('tongban_consumer_leader_changes_total', () => new Counter({
      name: 'tongban_consumer_leader_changes_total', help: 'JetStream consumer leader elections seen', labelNames: ['consumer'],
    })),
  };
}

/**
 * Metrics of the relay: events published (the publish rate is its `rate()`), and — set by the relay
 * process's lag probe every second — how far it is behind the store.
 */
export function relayMetrics() {
  return {
    published: singleMetric('tongban_relay_published_events_total', () => new Counter({
      name: 'tongban_relay_published_events_total', help: 'Events published to JetStream by the relay (duplicate: JetStream already had the message id)', labelNames: ['duplicate'],
    })),
    lagEvents: singleMetric('tongban_relay_lag_events', () => new Gauge({
      name: 'tongban_relay_lag_events', help: 'Events in the store after the relay checkpoint, not yet published (counted up to 1000)',
    })),
    lagSeconds: singleMetric('tongban_relay_lag_seconds', () => new Gauge({
      name: 'tongban_relay_lag_seconds', help: 'How long the oldest unpublished event has waited, seconds (0: caught up)',
    })),
  };
}
