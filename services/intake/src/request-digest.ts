import { createHash } from 'node:crypto';
import { canonicalJson } from '@tongban/eventstore';

/**
 * SHA-256 (64 lowercase hex characters) of the canonical JSON (RFC 8785: the event store's serialiser, the
 * same text as the `canonicalize` package) of a request: what an idempotency claim or a client update's events
 * record to tell a repeat of the same request from another request under the same key. Key order and
 * `undefined` members do not change it; a value with no JSON text (`undefined` itself) hashes the empty string.
 * The digests are stored (intake_idempotency.request_hash, the events' `requestHash` metadata): never change
 * what this computes for a value.
 */
export function requestDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value) ?? '').digest('hex');
}
