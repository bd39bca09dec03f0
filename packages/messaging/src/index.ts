/**
 * @tongban/messaging: NATS JetStream plumbing — stream declarations, the relay from the event store,
 * durable consumers with dead-lettering.
 */
export { connectNats, ensureTicketEventsStream, ensureDeadLetterStream, MIN_DUPLICATE_WINDOW_MS } from './nats';
export type { EnsureStreamOptions } from './nats';
export {
  eventSubject,
  isSubjectToken,
  deadLetterSubjectFor,
  TICKET_EVENTS_STREAM,
  TICKET_EVENTS_PREFIX,
  DEAD_LETTER_STREAM,
  DEAD_LETTER_PREFIX,
} from './subjects';
export { encodeEnvelope, decodeEnvelope, EnvelopeDecodeError } from './envelope';
export { Relay } from './relay';
export type { RelayOptions, RelayHooks, RelayStats } from './relay';
export { migrateRelay, loadCheckpoint, saveCheckpoint, relayMigrations } from './checkpoint';
export { startConsumer, defaultNakDelayMs, defaultTransientDelayMs } from './consumer';
export type { ConsumerOptions, ConsumerStatus, EventBatchHandler, EventHandler, RunningConsumer } from './consumer';
export { listDeadLetters, redriveDeadLetters, redriveSubject, REDRIVE_SUFFIX } from './dead-letters';
export type { DeadLetter, DeadLetterLocation, RedriveOptions, RedriveResult } from './dead-letters';
export { consumerMetrics, relayMetrics, singleMetric } from './metrics';
export { consumerLag } from './lag';
export type { ConsumerLag } from './lag';
export { publishDeadLetter, DeadLetterHeaders } from './dead-letter';
export { eventTraceContext, eventSpanAttributes, injectTraceHeaders, inSpan, inSpans, tongbanTracer, SpanKind } from './tracing';
