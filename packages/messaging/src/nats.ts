/** Connecting to NATS and declaring the JetStream streams the platform publishes to. */
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM, TICKET_EVENTS_PREFIX, TICKET_EVENTS_STREAM } from './subjects';

/** Shortest duplicate window allowed for streams deduplicated by event id: 10 minutes. */
export const MIN_DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

/**
 * Connects to NATS at `url` (comma-separated for a cluster), reconnecting forever. Requests (every
 * JetStream publish, ack and API call) do not capture a stack trace in advance (`noAsyncTraces`): that
 * Error per request was 11 % of the relay's CPU (issue 13 profile); a failed request still carries the
 * stack of the code that handles it.
 * @throws the connection error when no server answers.
 */
export function connectNats(url: string, options: Partial<NodeConnectionOptions> = {}): Promise<NatsConnection> {
  return connect({ servers: url.split(','), name: 'tongban', maxReconnectAttempts: -1, noAsyncTraces: true, ...options });
}

/** Options of {@link ensureTicketEventsStream} and {@link ensureDeadLetterStream}. */
export interface EnsureStreamOptions {
  /** Stream name (default `TICKET_EVENTS` / `TICKET_DEADLETTER`). */
  streamName?: string;
  /** The stream captures `<subjectPrefix>.>` (default `tickets.events` / `tickets.deadletter`). */
  subjectPrefix?: string;
  /** Deduplication window by `Nats-Msg-Id`, in ms; raised to at least 10 minutes. */
  duplicateWindowMs?: number;
  /** Replicas (default 1; 3 on a cluster). When given, an existing stream is scaled to it. */
  replicas?: number;
}

/**
 * Creates the ticket events stream (file storage, limits retention) over `<subjectPrefix>.>` with a
 * duplicate window of at least 10 minutes, or updates an existing one to those subjects, window and
 * replicas.
 * Safe to call from every replica at start.
 * @returns the stream info after the change.
 * @throws JetStreamApiError when JetStream refuses (e.g. subjects overlap another stream).
 */
export function ensureTicketEventsStream(jsm: JetStreamManager, options: EnsureStreamOptions = {}): Promise<StreamInfo> {
  return ensureStream(jsm, options.streamName ?? TICKET_EVENTS_STREAM, options.subjectPrefix ?? TICKET_EVENTS_PREFIX, options);
}

/**
 * Creates or updates the dead-letter stream over `<subjectPrefix>.>` (default `TICKET_DEADLETTER`
 * over `tickets.deadletter.>`), so dead letters are stored rather than lost. Same rules as
 * {@link ensureTicketEventsStream}.
 */
export function ensureDeadLetterStream(jsm: JetStreamManager, options: EnsureStreamOptions = {}): Promise<StreamInfo> {
  return ensureStream(jsm, options.streamName ?? DEAD_LETTER_STREAM, options.subjectPrefix ?? DEAD_LETTER_PREFIX, options);
}

async function ensureStream(
  jsm: JetStreamManager,
  name: string,
  subjectPrefix: string,
  options: EnsureStreamOptions,
): Promise<StreamInfo> {
  const wanted = {
    subjects: [`${subjectPrefix}.>`],
    duplicate_window: nanos(Math.max(options.duplicateWindowMs ?? MIN_DUPLICATE_WINDOW_MS, MIN_DUPLICATE_WINDOW_MS)),
    ...(options.replicas !== undefined ? { num_replicas: options.replicas } : {}),
  };
  const existing = await streamInfo(jsm, name);
  if (existing) return jsm.streams.update(name, { ...existing.config, ...wanted });
  const config: Partial<StreamConfig> & { name: string } = {
    name,
    ...wanted,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: options.replicas ?? 1,
  };
  try {
    return await jsm.streams.add(config);
  } catch (error) {
    // Another replica created it in the meantime: converge by updating.
    const raced = await streamInfo(jsm, name);
    if (!raced) throw error;
    return jsm.streams.update(name, { ...raced.config, ...wanted });
  }
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
    throw error;
  }
}
