/**
 * Merkle tree hash over stream heads (RFC 6962 §2.1): leaves are hashed with a 0x00 prefix, inner
 * nodes with 0x01, and a list of n > 1 leaves splits at the largest power of two below n. SHA-256, hex.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** One leaf: a stream's head (revision, hash). */
export interface MerkleHead {
  stream: string;
  revision: number;
  hash: string;
}

/** SHA-256 of the empty string: the root of an empty list. */
export const EMPTY_MERKLE_ROOT = createHash('sha256').digest('hex');

/** Hash of one leaf: SHA-256(0x00 ‖ canonical JSON of {stream, revision, hash}). */
export function merkleLeaf(head: MerkleHead): Buffer {
  const json = canonicalize({ stream: head.stream, revision: head.revision, hash: head.hash }) ?? '';
  return createHash('sha256').update(Buffer.from([0])).update(json, 'utf8').digest();
}

function node(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

function root(leaves: readonly Buffer[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 1) return leaves[from]!;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return node(root(leaves, from, from + k), root(leaves, from + k, to));
}

/** The Merkle root (hex) of the heads in the given order; {@link EMPTY_MERKLE_ROOT} for none. */
export function merkleRoot(heads: readonly MerkleHead[]): string {
  if (heads.length === 0) return EMPTY_MERKLE_ROOT;
  return root(heads.map(merkleLeaf), 0, heads.length).toString('hex');
}
