/**
 * How a Tongban event is laid out in KurrentDB. The KurrentDB event id is our event id, its type is our
 * type and its data (JSON) is our data; its metadata (JSON) is a {@link StoredMetadata} envelope: the
 * caller's metadata plus what the store adds (recordedAt and the hash chain). Revision, stream and
 * position are KurrentDB's own.
 */
import type { JSONEventData, Position } from '@kurrent/kurrentdb-client';
import type { EventMetadataInput, RecordedEvent } from '../port';
import { toGlobalPosition } from './position';

/** Marks (and versions) the metadata envelope written by this adapter. */
export const ENVELOPE_VERSION = 'tongban.event/1';

/**
 * The KurrentDB metadata of an event written by this adapter:
 * `{envelope: "tongban.event/1", metadata: EventMetadataInput, recordedAt, prevHash, hash,
 *   $correlationId, $causationId?}`.
 * `$correlationId`/`$causationId` copy our ids under KurrentDB's own names so that its system
 * projections (`$by_correlation_id`) and UI understand them; decoding ignores them.
 */
type StoredMetadata = {
  envelope: typeof ENVELOPE_VERSION;
  metadata: EventMetadataInput;
  /** UTC ISO-8601 with milliseconds, from the store's injected clock (not KurrentDB's `created`). */
  recordedAt: string;
  prevHash: string;
  hash: string;
  $correlationId: string;
  $causationId?: string;
};

/** An event of an append batch after normalisation (lower-case id, JSON round-tripped data and metadata). */
export interface BatchEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadataInput;
}

/** The hash-chain fields the store adds to a {@link BatchEvent}. */
export interface ChainFields {
  recordedAt: string;
  prevHash: string;
  hash: string;
}

/** The fields of a KurrentDB recorded event that decoding reads (the client's RecordedEvent has them). */
export interface KurrentRecord {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  /** Returned on stream reads by servers from 22.6 on, always on `$all` reads. */
  position?: Position;
}

/** Thrown when a stored event cannot be read back as a Tongban event (foreign or damaged). */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  readonly code = 'malformed_event';
  constructor(readonly stream: string, readonly revision: bigint, reason: string) {
    super(`stream ${stream}, revision ${revision}: ${reason}`);
  }
}

/** The KurrentDB event to append for `event` with its chain fields: a JSON event carrying our id. */
export function toEventData(event: BatchEvent, chain: ChainFields): JSONEventData {
  const metadata: StoredMetadata = {
    envelope: ENVELOPE_VERSION,
    metadata: event.metadata,
    ...chain,
    $correlationId: event.metadata.correlationId,
    ...(event.metadata.causationId === undefined ? {} : { $causationId: event.metadata.causationId }),
  };
  return { id: event.id, contentType: 'application/json', type: event.type, data: event.data, metadata };
}

/** Was this event written by this adapter (its metadata is our envelope)? Does not check the fields. */
export function isTongbanEvent(record: Pick<KurrentRecord, 'metadata'>): boolean {
  return isObject(record.metadata) && record.metadata.envelope === ENVELOPE_VERSION;
}

/**
 * Reads a KurrentDB recorded event back as the port's RecordedEvent (revision as a number, position as
 * a GlobalPosition, metadata and chain fields from the envelope).
 * @throws MalformedEventError when the event is not JSON, has no envelope or a damaged one, its data is
 * not an object, it carries no position (a server older than 22.6), or its revision exceeds 2^53.
 */
export function decodeRecord(record: KurrentRecord): RecordedEvent {
  const fail = (reason: string): never => {
    throw new MalformedEventError(record.streamId, record.revision, reason);
  };
  const envelope = record.metadata;
  if (!record.isJson) fail('not a JSON event');
  if (!isObject(envelope) || envelope.envelope !== ENVELOPE_VERSION) return fail(`metadata is not a ${ENVELOPE_VERSION} envelope`);
  if (!isObject(record.data)) fail('data is not a JSON object');
  if (!isObject(envelope.metadata)) fail('envelope.metadata is not an object');
  for (const key of ['recordedAt', 'prevHash', 'hash'] as const) {
    if (typeof envelope[key] !== 'string') fail(`envelope.${key} is not a string`);
  }
  if (!record.position) return fail('no position (KurrentDB/EventStoreDB 22.6 or later is required)');
  const revision = Number(record.revision);
  if (!Number.isSafeInteger(revision)) fail(`revision ${record.revision} exceeds 2^53`);
  return {
    id: record.id,
    type: record.type,
    stream: record.streamId,
    revision,
    position: toGlobalPosition(record.position),
    recordedAt: envelope.recordedAt as string,
    data: record.data as Record<string, unknown>,
    metadata: envelope.metadata as EventMetadataInput,
    prevHash: envelope.prevHash as string,
    hash: envelope.hash as string,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
