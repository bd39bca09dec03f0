/**
 * The per-stream hash chain: each event's hash covers the previous event's hash and the RFC 8785
 * canonical JSON of the event, so an auditor can prove that nothing in a stream was altered,
 * removed, inserted or reordered.
 */
import { hash } from 'node:crypto';
import { canonicalBytes } from './canonical-bytes';
import { canonicalJson } from './canonical-json';
import type { EventMetadataInput, RecordedEvent } from './port';

/** The `prevHash` of revision 0: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an event that its hash covers (everything but the position and the hashes). */
export interface HashedEventFields {
  stream: string;
  revision: number;
  type: string;
  data: Record<string, unknown>;
  metadata: EventMetadataInput;
  id: string;
  /** UTC ISO-8601 with milliseconds, as recorded (`Date#toISOString()`). */
  recordedAt: string;
}

/**
 * SHA-256 (lowercase hex) of `prevHash` followed by the RFC 8785 canonical JSON of
 * `{stream, revision, type, data, metadata, id, recordedAt}` (UTF-8).
 * Properties whose value is `undefined` are left out, as JSON does.
 * @throws Error when the fields cannot be canonicalized (NaN, Infinity).
 */
export function computeEventHash(prevHash: string, event: HashedEventFields): string {
  const data = canonicalJson(event.data);
  const metadata = canonicalJson(event.metadata);
  if (data === undefined || metadata === undefined) throw new Error(`event ${event.id}: cannot canonicalize`);
  return chainHash(prevHash, canonicalEvent(event, data, metadata));
}

/**
 * The RFC 8785 canonical JSON of `{stream, revision, type, data, metadata, id, recordedAt}`, given the
 * canonical JSON of data and metadata: the keys in UTF-16 code-unit order, so that the append can
 * send the same two texts as the rows it stores.
 */
export function canonicalEvent(fields: Omit<HashedEventFields, 'data' | 'metadata'>, data: string, metadata: string): string {
  const { stream, revision, type, id, recordedAt } = fields;
  return `{"data":${data},"id":${JSON.stringify(id)},"metadata":${metadata},"recordedAt":${JSON.stringify(recordedAt)},` +
    `"revision":${JSON.stringify(revision)},"stream":${JSON.stringify(stream)},"type":${JSON.stringify(type)}}`;
}

/**
 * {@link computeEventHash} of an event whose data and metadata are JSON text in UTF-8 bytes,
 * `bytes[dataStart, dataEnd)` and `bytes[metadataStart, metadataEnd)` (e.g. jsonb as PostgreSQL sends it
 * in binary): the same hash as for the values JSON.parse makes of their text, computed without
 * building them (canonical-bytes.ts).
 * With `expected` (the stored hash), a result that differs from it — or an error other than SyntaxError
 * from the fast reader — is checked once more by the reference path (JSON.parse of the text, then
 * {@link computeEventHash}), whose answer is returned: a fault of the fast reader can cost time on one
 * event but never report an intact event as altered or unhashable. Intact events take the fast path only.
 * @throws SyntaxError when data or metadata is not JSON text; Error when they cannot be canonicalized
 * (a number beyond the range of a double: "Infinity is not allowed").
 */
export function computeEventHashOfJson(
  prevHash: string,
  fields: Omit<HashedEventFields, 'data' | 'metadata'>,
  bytes: Uint8Array,
  dataStart: number,
  dataEnd: number,
  metadataStart: number,
  metadataEnd: number,
  expected?: string,
): string {
  let fast: string | undefined;
  try {
    const out = canonicalBytes;
    out.reset();
    // As canonicalEvent writes it, after prevHash.
    out.utf8(prevHash);
    out.ascii('{"data":');
    out.json(bytes, dataStart, dataEnd);
    out.ascii(',"id":');
    out.jsonString(fields.id);
    out.ascii(',"metadata":');
    out.json(bytes, metadataStart, metadataEnd);
    out.ascii(',"recordedAt":');
    out.jsonString(fields.recordedAt);
    out.ascii(',"revision":');
    out.number(fields.revision);
    out.ascii(',"stream":');
    out.jsonString(fields.stream);
    out.ascii(',"type":');
    out.jsonString(fields.type);
    out.ascii('}');
    fast = hash('sha256', out.bytes(), 'hex');
  } catch (error) {
    if (expected === undefined || error instanceof SyntaxError) throw error;
  }
  if (expected === undefined || fast === expected) return fast as string;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = JSON.parse(text.toString('utf8', dataStart, dataEnd)) as Record<string, unknown>;
  const metadata = JSON.parse(text.toString('utf8', metadataStart, metadataEnd)) as EventMetadataInput;
  return computeEventHash(prevHash, { ...fields, data, metadata });
}

/** SHA-256 (lowercase hex) of `prevHash` followed by `canonical` (UTF-8): an event's hash. */
export function chainHash(prevHash: string, canonical: string): string {
  // One-shot hashing (one call into the native side per event, not three).
  return hash('sha256', prevHash + canonical, 'hex');
}

/** Outcome of {@link verifyChain}. */
export interface ChainVerification {
  /** True when every event links to its predecessor and its hash matches its content. */
  intact: boolean;
  /** How many events were checked (up to and including the first bad one). */
  checkedEvents: number;
  /** The revision where the chain first breaks (for a gap: the first missing revision). */
  firstBadRevision?: number;
  /** Human-readable cause of the break. */
  reason?: string;
}

/** Where a partial chain starts: the last verified event before the first one passed. */
export interface ChainAnchor {
  revision: number;
  hash: string;
}

/** What {@link verifyChain} checks of an event besides its content. */
export interface ChainLink {
  stream: string;
  revision: number;
  id: string;
  prevHash: string;
  hash: string;
}

/** A stored event's links with the hash recomputed from its content, or the error that prevented it. */
export interface RehashedLink extends ChainLink {
  recomputed: string | Error;
}

/**
 * Verifies the hash chain of one stream's events, given in revision order as read from the store.
 * Without `after`, the events must start at revision 0 with prevHash {@link GENESIS_HASH}; with it,
 * they must continue from that anchor (to verify a range read with `fromRevision`).
 * Detects: changed data, metadata, type, id or time (hash mismatch); missing, duplicated or swapped
 * revisions (revision sequence); events from another stream; broken `prevHash` links.
 * Never throws for tampered content; an empty list is intact.
 */
export function verifyChain(events: readonly RecordedEvent[], after?: ChainAnchor): ChainVerification {
  return checkChain(events, after, (event) => computeEventHash(event.prevHash, event));
}

/**
 * {@link verifyChain} for events whose hashes were already recomputed from their content (e.g. as they
 * were read, with {@link computeEventHashOfJson}): the same checks, in the same order, with the same result.
 */
export function verifyRehashedChain(events: readonly RehashedLink[], after?: ChainAnchor): ChainVerification {
  return checkChain(events, after, (event) => {
    if (typeof event.recomputed !== 'string') throw event.recomputed;
    return event.recomputed;
  });
}

function checkChain<E extends ChainLink>(events: readonly E[], after: ChainAnchor | undefined, recompute: (event: E) => string): ChainVerification {
  let expectedRevision = after ? after.revision + 1 : 0;
  let expectedPrevHash = after ? after.hash : GENESIS_HASH;
  const stream = events[0]?.stream;
  let checked = 0;
  for (const event of events) {
    checked += 1;
    if (event.stream !== stream) {
      return broken(checked, event.revision, `event ${event.id} belongs to stream ${event.stream}, not ${String(stream)}`);
    }
    if (event.revision !== expectedRevision) {
      return broken(checked, expectedRevision, event.revision > expectedRevision
        ? `revision ${expectedRevision} is missing (found ${event.revision})`
        : `revision ${event.revision} is out of order (expected ${expectedRevision})`);
    }
    if (event.prevHash !== expectedPrevHash) {
      return broken(checked, event.revision, `revision ${event.revision}: prevHash does not match the previous event's hash`);
    }
    let recomputed: string;
    try {
      recomputed = recompute(event);
    } catch (error) {
      return broken(checked, event.revision, `revision ${event.revision}: cannot hash (${(error as Error).message})`);
    }
    if (recomputed !== event.hash) {
      return broken(checked, event.revision, `revision ${event.revision}: hash does not match the content (altered event)`);
    }
    expectedRevision += 1;
    expectedPrevHash = event.hash;
  }
  return { intact: true, checkedEvents: checked };
}

function broken(checkedEvents: number, firstBadRevision: number, reason: string): ChainVerification {
  return { intact: false, checkedEvents, firstBadRevision, reason };
}
