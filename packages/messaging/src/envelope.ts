/** The message payload on the bus: a RecordedEvent as JSON (UTF-8). */
import type { RecordedEvent } from '@tongban/eventstore';

/** Thrown when a payload is not a RecordedEvent envelope. */
export class EnvelopeDecodeError extends Error {
  override readonly name = 'EnvelopeDecodeError';
  readonly code = 'envelope_decode';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes an event as its JSON envelope. */
export function encodeEnvelope(event: RecordedEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/**
 * Decodes and shape-checks an envelope (id, type, stream, revision, position, data, metadata, hashes).
 * @throws EnvelopeDecodeError on invalid UTF-8, invalid JSON or a missing/mistyped field.
 */
export function decodeEnvelope(payload: Uint8Array): RecordedEvent {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (error) {
    throw new EnvelopeDecodeError('payload is not UTF-8 JSON', { cause: error });
  }
  const e = value as Partial<RecordedEvent> | null;
  const problems = [
    typeof e?.id !== 'string' && 'id',
    typeof e?.type !== 'string' && 'type',
    typeof e?.stream !== 'string' && 'stream',
    typeof e?.revision !== 'number' && 'revision',
    (typeof e?.position?.transactionId !== 'string' || typeof e.position.position !== 'string') && 'position',
    typeof e?.recordedAt !== 'string' && 'recordedAt',
    (typeof e?.data !== 'object' || e.data === null) && 'data',
    (typeof e?.metadata !== 'object' || e.metadata === null) && 'metadata',
    typeof e?.prevHash !== 'string' && 'prevHash',
    typeof e?.hash !== 'string' && 'hash',
  ].filter((problem): problem is string => problem !== false);
  if (problems.length > 0) throw new EnvelopeDecodeError(`envelope lacks or mistypes: ${problems.join(', ')}`);
  return e as RecordedEvent;
}
