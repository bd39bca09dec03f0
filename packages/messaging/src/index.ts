/**
 * @tongban/messaging: NATS JetStream plumbing — stream declarations, the relay from the event store,
 * durable consumers with dead-lettering, and processed-event deduplication.
 */
export { connectNats, ensureTicketEventsStream, ensureDeadLetterStream, MIN_DUPLICATE_WINDOW_MS } from './nats';
export type { EnsureStreamOptions } from './nats';
export {
  eventSubject,
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
export { startConsumer, defaultNakDelayMs } from './consumer';
export type { ConsumerOptions, EventHandler, RunningConsumer } from './consumer';
export { publishDeadLetter, DeadLetterHeaders } from './dead-letter';
export { withProcessedEvent, migrateProcessedEvents, processedEventsMigrations } from './processed';

export { migrateMessaging } from './migrations';
