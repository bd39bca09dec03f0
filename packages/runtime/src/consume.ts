import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { RecordedEvent } from '@tongban/eventstore';
import { deadLetterSubjectFor, ensureDeadLetterStream, ensureTicketEventsStream, eventSubject, startConsumer } from '@tongban/messaging';
import type { ServiceHost } from './service-host';

/** Names of the event streams for a host's configuration (isolated per namespace in tests). */
export function eventStreamNames(host: Pick<ServiceHost, 'config'>): { stream: string; prefix: string; deadLetterStream: string; deadLetterPrefix: string } {
  const { eventsStream, eventsSubject, namespace } = host.config;
  return { stream: eventsStream, prefix: eventsSubject, deadLetterStream: `${eventsStream}_DEADLETTER`, deadLetterPrefix: `${namespace}.deadletter` };
}

/**
 * Consumes ticket events of `eventTypes` with a durable pull consumer named `<namespace>-<durable>`
 * (shared by every replica), explicit ack, and a dead letter after 5 failed deliveries. The handler
 * must be idempotent. The consumer stops with the host.
 */
export async function consumeTicketEvents(
  host: ServiceHost, durable: string, eventTypes: readonly string[], handler: (event: RecordedEvent) => Promise<void>,
): Promise<void> {
  const names = eventStreamNames(host);
  const jsm = await jetstreamManager(host.nc);
  await ensureTicketEventsStream(jsm, { streamName: names.stream, subjectPrefix: names.prefix });
  await ensureDeadLetterStream(jsm, { streamName: names.deadLetterStream, subjectPrefix: names.deadLetterPrefix });
  const wanted = new Set(eventTypes);
  const only = eventTypes.length === 1 ? eventTypes[0] : undefined;
  const name = `${host.config.namespace}-${durable}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const consumer = await startConsumer({
    js: jetstream(host.nc),
    jsm,
    streamName: names.stream,
    durable: name,
    // One filter subject (nats-server 2.9 has no multi-filter consumers): one type, or all and skip.
    filterSubjects: [only ? eventSubject(names.prefix, only) : `${names.prefix}.>`],
    deadLetterSubject: deadLetterSubjectFor(name, names.deadLetterPrefix),
    handler: async (event) => {
      if (wanted.has(event.type)) await handler(event);
    },
    onError: (err, msg) => host.log.warn({ err, subject: msg.subject, deliveries: msg.info.deliveryCount }, 'event handler failed'),
  });
  host.onStop(() => consumer.stop());
}
