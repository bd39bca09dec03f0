import { createHash } from 'node:crypto';
import { EMPTY_MERKLE_ROOT, merkleLeaf, merkleRoot } from './merkle';

const head = (i: number) => ({ stream: `ticket-${i}`, revision: i, hash: createHash('sha256').update(String(i)).digest('hex') });
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

describe('merkleRoot (RFC 6962)', () => {
  it('is SHA-256 of nothing for no heads, the leaf hash for one', () => {
    expect(EMPTY_MERKLE_ROOT).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(merkleRoot([])).toBe(EMPTY_MERKLE_ROOT);
    expect(merkleRoot([head(1)])).toBe(merkleLeaf(head(1)).toString('hex'));
  });

  it('splits at the largest power of two below n, with 0x01 node prefixes', () => {
    const [a, b, c] = [merkleLeaf(head(1)), merkleLeaf(head(2)), merkleLeaf(head(3))];
    const one = Buffer.from([1]);
    expect(merkleRoot([head(1), head(2), head(3)])).toBe(sha(one, sha(one, a, b), c).toString('hex'));
  });

  it('changes with any head, its revision or its position', () => {
    const heads = Array.from({ length: 7 }, (_, i) => head(i));
    const root = merkleRoot(heads);
    expect(merkleRoot(heads.map((h, i) => (i === 4 ? { ...h, revision: h.revision + 1 } : h)))).not.toBe(root);
    expect(merkleRoot([heads[1]!, heads[0]!, ...heads.slice(2)])).not.toBe(root);
    expect(merkleRoot(heads.slice(0, 6))).not.toBe(root);
  });
});
