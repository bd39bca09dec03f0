/**
 * The event store port: what every adapter (PostgreSQL, KurrentDB) provides and what the conformance
 * suite checks. Streams are named `ticket-<uuid>`; revisions are 0-based and gapless per stream.
 */

/** Who caused an event (copied from the verified token or the acting service). */
export interface EventActor {
  /** citizen | staff | system | open311 */
  kind: string;
  /** Device id, staff id, service name or API client id. */
  id: string;
  /** Staff member's unit id, when staff. */
  unitId?: string;
  /** Staff role, when staff. */
  role?: string;
}

/** Metadata the caller supplies with each new event. The store adds the rest (see RecordedEvent). */
export interface EventMetadataInput {
  actor: EventActor;
  /** Person a proxy submission was made for (name only; contact is in the event data). */
  onBehalfOf?: string;
  /** app | proxy | open311 | web | system */
  channel?: string;
  correlationId: string;
  causationId?: string;
  /** Producing service name, e.g. "intake". */
  service: string;
  /** Schema version of the event data (proto package version), e.g. 1. */
  schemaVersion: number;
  /** When the fact happened, UTC ISO-8601 (the command's clock). */
  occurredAt: string;
  /**
   * SHA-256 (hex) of the request a client's retry key (Idempotency-Key, Open311 `update_id`) was first
   * written for: a later use of the key with another request is refused instead of answered as a repeat.
   */
  requestHash?: string;
  /**
   * W3C Trace Context of the span the event was appended in (`00-<trace id>-<span id>-<flags>`), stamped
   * only while tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT): the relay and the consumers continue that trace.
   */
  traceparent?: string;
  /** W3C `tracestate` going with `traceparent`, when the trace has one. */
  tracestate?: string;
}

/** An event to append. `id` is a UUID chosen by the producer: the idempotency key of the append. */
export interface NewEvent {
  id: string;
  /** Event type: the proto message name, e.g. "TicketSubmitted". */
  type: string;
  /** Protobuf canonical JSON of the event message (camelCase fields). */
  data: Record<string, unknown>;
  metadata: EventMetadataInput;
}

/**
 * Position in the global order. For PostgreSQL: the appending transaction's xid8 and the row's
 * global position; the pair orders events as readers see them (see DESIGN.md, "late-committing
 * transactions"). Both are decimal strings (64-bit).
 */
export interface GlobalPosition {
  transactionId: string;
  position: string;
}

/** A stored event as read back. */
export interface RecordedEvent {
  id: string;
  type: string;
  stream: string;
  /** 0-based, gapless within the stream. */
  revision: number;
  position: GlobalPosition;
  /** When the store recorded it, UTC ISO-8601 (the store's injected clock). */
  recordedAt: string;
  data: Record<string, unknown>;
  metadata: EventMetadataInput;
  /** SHA-256 (hex) of the previous event in the stream; 64 zeros for revision 0. */
  prevHash: string;
  /** SHA-256 (hex) over prevHash and the RFC 8785 canonical JSON of {stream, revision, type, data, metadata, id, recordedAt}. */
  hash: string;
}

/**
 * Expected state of the stream for an append: any state; the stream must not exist; it must exist;
 * or its last revision must equal this number (optimistic concurrency).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Result of an append: the stream's last revision afterwards. */
export interface AppendResult {
  /** Revision of the last event in the stream after the append. */
  nextExpectedRevision: number;
  /** Position of the last appended event (of the existing one on an idempotent repeat). */
  position: GlobalPosition;
  /** False when every event was already stored with the same id and revision (idempotent repeat). */
  appended: boolean;
}

/** Thrown when the stream's state does not match the expected revision. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  readonly code = 'wrong_expected_revision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** Actual last revision, or -1 when the stream does not exist. */
    readonly actual: number,
    options?: { cause?: unknown },
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${actual}`, options);
  }
}

/** Thrown when an event id is already stored at another position (not an idempotent repeat). */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  readonly code = 'duplicate_event_id';
  constructor(readonly eventId: string, options?: { cause?: unknown }) {
    super(`event id ${eventId} is already stored elsewhere`, options);
  }
}

/** The event store port. */
export interface EventStore {
  /**
   * Appends events atomically to `stream` if its state matches `expected`.
   * Re-appending events whose ids are already in the stream at the same revisions is a no-op success.
   * @throws WrongExpectedRevisionError on a mismatch; DuplicateEventIdError when an id exists elsewhere.
   */
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Reads a stream in revision order; [] when it does not exist. `toRevision` is inclusive. */
  readStream(stream: string, options?: { fromRevision?: number; toRevision?: number }): Promise<RecordedEvent[]>;
  /**
   * Reads several streams whole, each as {@link readStream} without a range: a map from every stream named
   * (once, however often named) to its events in revision order, [] when it does not exist. One round trip
   * where the adapter can (a consumer's batch of tickets, issue 13).
   */
  readStreams(streams: readonly string[]): Promise<Map<string, RecordedEvent[]>>;
  /**
   * Reads events in global order strictly after `after` (null: from the start), at most `limit`,
   * never returning an event while an earlier-ordered transaction could still commit.
   */
  readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Thrown before touching storage when an append's arguments are malformed (a caller bug). */
export class InvalidAppendError extends Error {
  override readonly name = 'InvalidAppendError';
  readonly code = 'invalid_append';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Source of the store's recording time (stored with millisecond precision, UTC): the platform's one clock type. */
export type { Clock } from '@tongban/domain';
