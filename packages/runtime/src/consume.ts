import { type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { context, trace } from '@opentelemetry/api';
import { ticketIdOf } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import {
  type ConsumerStatus, SpanKind, deadLetterSubjectFor, ensureDeadLetterStream, ensureTicketEventsStream, eventSpanAttributes, eventSubject, eventTraceContext,
  inSpan, inSpans, redriveSubject, startConsumer,
} from '@tongban/messaging';
import { eventContext, withHandlingContext } from './context';
import type { Logger } from './logger';
import { type ServiceHost, untilAvailable } from './service-host';
import { decodeTicketEvent } from './ticket-events';

/** Names of the event streams for a host's configuration (isolated per namespace in tests). */
export function eventStreamNames(host: Pick<ServiceHost, 'config'>): { stream: string; prefix: string; deadLetterStream: string; deadLetterPrefix: string } {
  const { eventsStream, eventsSubject, namespace } = host.config;
  return { stream: eventsStream, prefix: eventsSubject, deadLetterStream: `${eventsStream}_DEADLETTER`, deadLetterPrefix: `${namespace}.deadletter` };
}

/** The platform's durable consumers (short names, see {@link durableName}): routing, deadline, notification, query. */
export const PLATFORM_CONSUMERS = ['routing', 'deadline-timers', 'notification-inbox', 'query-ticket-views'] as const;

/** The JetStream durable name of a consumer in a namespace: `<namespace>-<durable>` (a subject token). */
export function durableName(namespace: string, durable: string): string {
  return `${namespace}-${durable}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The name the relay parks unpublishable events under (its dead-letter subject is `<prefix>.<this>`). */
export function relayDurable(namespace: string): string {
  return durableName(namespace, 'relay');
}

/** JetStream replicas of the platform's streams, consumers and KV buckets (TONGBAN_NATS_REPLICAS). */
export function streamOptions(host: Pick<ServiceHost, 'config'>): { replicas: number } {
  return { replicas: host.config.natsReplicas };
}

/**
 * Creates (or scales to TONGBAN_NATS_REPLICAS) the ticket event stream and its dead-letter stream.
 * A cluster that is starting or electing leaders answers with timeouts for a while: that is waited
 * out (see {@link untilAvailable}) instead of ending the process.
 * @throws the JetStream error of a deterministic failure (e.g. a conflicting stream configuration).
 */
export async function ensureEventStreams(host: Pick<ServiceHost, 'config' | 'nc' | 'log'>): Promise<void> {
  const names = eventStreamNames(host);
  const jsm = await jetstreamManager(host.nc);
  await untilAvailable('the ticket event streams', async () => {
    await ensureTicketEventsStream(jsm, { streamName: names.stream, subjectPrefix: names.prefix, ...streamOptions(host) });
    await ensureDeadLetterStream(jsm, { streamName: names.deadLetterStream, subjectPrefix: names.deadLetterPrefix, ...streamOptions(host) });
  }, host.log);
}

/**
 * Turns a consumer's status reports into log lines: failures and pull interruptions as warnings, dead
 * letters as errors (the alert), a consumer-leader change as a warning, and lag above
 * `lagWarnSeconds` as a warning at most every 30 s.
 */
export function consumerStatusLogger(log: Logger, consumer: string, lagWarnSeconds: number): (status: ConsumerStatus) => void {
  let lastLagWarning = 0;
  const about = (event?: RecordedEvent) => (event ? { eventId: event.id, type: event.type, stream: event.stream, revision: event.revision, correlationId: event.metadata.correlationId } : {});
  const message = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  return (s) => {
    switch (s.type) {
      case 'handler_failed':
        log.warn({ consumer, ...about(s.event), failures: s.failures, deliveries: s.deliveries, err: message(s.error) }, 'event handler failed; redelivering');
        return;
      case 'batch_failed':
        // Its events are handled one by one now: each failure, outage or dead letter is logged there.
        log.debug({ consumer, size: s.size, transient: s.transient, err: message(s.error) }, 'event batch failed; handling its events one by one');
        return;
      case 'outage':
        log.warn({ consumer, ...about(s.event), attempts: s.attempts, err: message(s.error) }, 'dependency unavailable; retrying the event until it is back');
        return;
      case 'recovered':
        log.info({ consumer, ...about(s.event), afterMs: s.afterMs, attempts: s.attempts }, 'dependency back; event handled');
        return;
      case 'dead_lettered':
        log.error({ consumer, ...about(s.event), reason: s.reason, subject: s.subject, deliveries: s.deliveries, err: message(s.error) },
          'event dead-lettered (list and redrive: npm run deadletters)');
        return;
      case 'dead_letter_failed':
        log.error({ consumer, ...about(s.event), err: message(s.error) }, 'dead letter could not be stored; the event stays pending');
        return;
      case 'pull_interrupted':
        log.warn({ consumer, reason: s.reason, ...(s.error ? { err: message(s.error) } : {}) }, 'pull interrupted; pulling again');
        return;
      case 'leader_elected':
        log.warn({ consumer, leader: s.leader }, 'consumer leader changed; pulling from the new leader');
        return;
      case 'lag':
        if (s.lagSeconds > lagWarnSeconds && Date.now() - lastLagWarning > 30_000) {
          lastLagWarning = Date.now();
          log.warn({ consumer, lagSeconds: Math.round(s.lagSeconds * 10) / 10, pending: s.pending, boundSeconds: lagWarnSeconds }, 'consumer is behind');
        }
        return;
    }
  };
}

/** Options of {@link consumeTicketEvents}. */
export interface ConsumeOptions {
  /**
   * Handles the events of `eventTypes` among those at hand together (issue 13: one transaction, one
   * statement per table), in delivery order (a ticket's in revision order unless one was redelivered),
   * never empty. When it throws, each event goes to the single handler instead (transient failures
   * retried in place, poison parked, as always), so it must be all or nothing, or idempotent like that one.
   */
  batchHandler?: (events: RecordedEvent[]) => Promise<void>;
}

/**
 * Consumes ticket events of `eventTypes` with a durable pull consumer named `<namespace>-<durable>`
 * (shared by every replica), and that consumer's re-drive subject (dead letters handed back by
 * `npm run deadletters -- redrive`) with a second durable `<name>-redrive`. Transient failures are
 * retried in place for as long as the outage lasts; deterministic ones are dead-lettered after 5; an
 * event of a ticket stream this code cannot decode ({@link decodeTicketEvent}: an unknown type, data
 * that is not an object) is parked at once with an alert (never acked silently). Events of other streams (the audit anchors) are not ticket events and are skipped.
 * The handler must be idempotent. Both consumers stop with the host.
 */
export async function consumeTicketEvents(
  host: ServiceHost, durable: string, eventTypes: readonly string[], handler: (event: RecordedEvent) => Promise<void>,
  options: ConsumeOptions = {},
): Promise<void> {
  const names = eventStreamNames(host);
  const jsm = await jetstreamManager(host.nc);
  const js = jetstream(host.nc);
  await ensureEventStreams(host);
  const wanted = new Set(eventTypes);
  const only = eventTypes.length === 1 ? eventTypes[0] : undefined;
  const name = durableName(host.config.namespace, durable);
  const deadLetterSubject = deadLetterSubjectFor(name, names.deadLetterPrefix);
  const handle = async (event: RecordedEvent, msg: JsMsg): Promise<void> => {
    // Other streams share the bus (the audit anchors): not ticket events, not this consumer's business.
    if (ticketIdOf(event.stream) === undefined) return;
    // An event this code cannot read is parked here (UndecodableEventError is a poison), never acked.
    if (!wanted.has(decodeTicketEvent(event).type)) return;
    // Issue 12 item 4: handled in the trace of the action that appended it (the relay's `traceparent`
    // header); log lines carry the event's correlation id and trace id; events appended are caused by it.
    const attributes = { ...eventSpanAttributes(event, msg.subject), 'messaging.consumer.group.name': name, 'messaging.message.delivery_count': msg.info.deliveryCount };
    await inSpan(`process ${event.type}`, { kind: SpanKind.CONSUMER, attributes }, eventTraceContext(event, msg.headers), () =>
      withHandlingContext(eventContext(event), async () => {
        await handler(event);
        host.log.debug({ consumer: name, eventId: event.id, type: event.type, stream: event.stream, revision: event.revision }, 'event handled');
      }));
  };
  const batch = options.batchHandler;
  const handleBatch = batch && (async (events: readonly RecordedEvent[], msgs: readonly JsMsg[]): Promise<void> => {
    const mine: { event: RecordedEvent; msg: JsMsg }[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      // As in handle(): other streams skipped; an undecodable event fails the batch (then parked by handle()).
      if (ticketIdOf(event.stream) !== undefined && wanted.has(decodeTicketEvent(event).type)) mine.push({ event, msg: msgs[i]! });
    }
    if (mine.length === 0) return;
    // Each event in its own trace, as when handled alone (the batch's queries are recorded in the first one's).
    const spans = mine.map(({ event, msg }) => ({
      name: `process ${event.type}`, parent: eventTraceContext(event, msg.headers), options: {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...eventSpanAttributes(event, msg.subject), 'messaging.consumer.group.name': name, 'messaging.message.delivery_count': msg.info.deliveryCount,
          'messaging.batch.message_count': mine.length,
        },
      },
    }));
    await inSpans(spans, async (started) => {
      await batch(mine.map((m) => m.event));
      if (!host.log.isLevelEnabled('debug')) return;
      mine.forEach(({ event }, i) => context.with(trace.setSpan(context.active(), started[i]!), () => withHandlingContext(eventContext(event), () =>
        host.log.debug({ consumer: name, eventId: event.id, type: event.type, stream: event.stream, revision: event.revision, batch: mine.length }, 'event handled'))));
    });
  });
  const common = { js, jsm, nc: host.nc, deadLetterSubject, handler: handle, ...(handleBatch ? { batchHandler: handleBatch } : {}) };
  // Creating a durable on a cluster that is still electing leaders times out for a while: wait.
  const consumer = await untilAvailable(`consumer ${name}`, () => startConsumer({
    ...common,
    streamName: names.stream,
    durable: name,
    // One filter subject (nats-server 2.9 has no multi-filter consumers): one type, or all and skip.
    filterSubjects: [only ? eventSubject(names.prefix, only) : `${names.prefix}.>`],
    onStatus: consumerStatusLogger(host.log, name, host.config.consumerLagWarnSeconds),
  }), host.log);
  host.onStop(() => consumer.stop());
  const redrive = await untilAvailable(`consumer ${name}-redrive`, () => startConsumer({
    ...common,
    streamName: names.deadLetterStream,
    durable: `${name}-redrive`,
    filterSubjects: [redriveSubject(deadLetterSubject)],
    onStatus: consumerStatusLogger(host.log, `${name}-redrive`, host.config.consumerLagWarnSeconds),
  }), host.log);
  host.onStop(() => redrive.stop());
}
