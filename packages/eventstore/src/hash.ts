/**
 * The per-stream hash chain: each event's hash covers the previous event's hash and the RFC 8785
 * canonical JSON of the event, so an auditor can prove that nothing in a stream was altered,
 * removed, inserted or reordered.
 */
import { hash } from 'node:crypto';
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

/**
 * Verifies the hash chain of one stream's events, given in revision order as read from the store.
 * Without `after`, the events must start at revision 0 with prevHash {@link GENESIS_HASH}; with it,
 * they must continue from that anchor (to verify a range read with `fromRevision`).
 * Detects: changed data, metadata, type, id or time (hash mismatch); missing, duplicated or swapped
 * revisions (revision sequence); events from another stream; broken `prevHash` links.
 * Never throws for tampered content; an empty list is intact.
 */
export function verifyChain(events: readonly RecordedEvent[], after?: ChainAnchor): ChainVerification {
  let expectedRevision = after ? after.revision + 1 : 0;
  let expectedPrevHash = after ? after.hash : GENESIS_HASH;
  const stream = events[0]?.stream;
  let checked = 0;
  for (const event of events) {
    checked += 1;
    const broken = (reason: string, firstBadRevision = event.revision): ChainVerification => ({
      intact: false,
      checkedEvents: checked,
      firstBadRevision,
      reason,
    });
    if (event.stream !== stream) {
      return broken(`event ${event.id} belongs to stream ${event.stream}, not ${String(stream)}`);
    }
    if (event.revision !== expectedRevision) {
      return broken(
        event.revision > expectedRevision
          ? `revision ${expectedRevision} is missing (found ${event.revision})`
          : `revision ${event.revision} is out of order (expected ${expectedRevision})`,
        expectedRevision,
      );
    }
    if (event.prevHash !== expectedPrevHash) {
      return broken(`revision ${event.revision}: prevHash does not match the previous event's hash`);
    }
    let recomputed: string;
    try {
      recomputed = computeEventHash(event.prevHash, event);
    } catch (error) {
      return broken(`revision ${event.revision}: cannot hash (${(error as Error).message})`);
    }
    if (recomputed !== event.hash) {
      return broken(`revision ${event.revision}: hash does not match the content (altered event)`);
    }
    expectedRevision += 1;
    expectedPrevHash = event.hash;
  }
  return { intact: true, checkedEvents: checked };
}
