import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { newTestEvent } from './testing/fixtures';
import { canonicalBytes } from './canonical-bytes';
import { computeEventHash, computeEventHashOfJson, GENESIS_HASH, type RehashedLink, verifyChain, verifyRehashedChain } from './hash';
import type { RecordedEvent } from './port';

const stream = 'ticket-0190a3c4-0000-7000-8000-000000000001';

function makeChain(n: number, name = stream): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let revision = 0; revision < n; revision += 1) {
    const input = newTestEvent('TicketReplied', { revision, text: `reply ${revision}` });
    const fields = { stream: name, revision, recordedAt: '2026-03-01T08:00:00.000Z', ...input };
    const hash = computeEventHash(prevHash, fields);
    events.push({ ...fields, position: { transactionId: '1', position: String(revision + 1) }, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

/** Recomputes the hashes from `from` on, as a forger who can rewrite the tail would. */
function rehash(events: RecordedEvent[], from: number): RecordedEvent[] {
  const out = events.map((e) => ({ ...e }));
  for (let i = from; i < out.length; i += 1) {
    const prevHash = i === 0 ? GENESIS_HASH : out[i - 1]!.hash;
    out[i] = { ...out[i]!, prevHash, hash: computeEventHash(prevHash, out[i]!) };
  }
  return out;
}

describe('computeEventHash', () => {
  it('is SHA-256 hex of prevHash followed by the RFC 8785 canonical JSON', () => {
    const fields = {
      stream: 's',
      revision: 0,
      type: 'T',
      data: { b: 1, a: 'x' },
      metadata: newTestEvent().metadata,
      id: '0190a3c4-0000-7000-8000-000000000002',
      recordedAt: '2026-01-01T00:00:00.000Z',
    };
    const m = fields.metadata;
    const canonical =
      `{"data":{"a":"x","b":1},"id":"${fields.id}","metadata":{"actor":{"id":"test","kind":"system"},` +
      `"correlationId":"${m.correlationId}","occurredAt":"2026-01-01T00:00:00.000Z","schemaVersion":1,"service":"test"},` +
      `"recordedAt":"2026-01-01T00:00:00.000Z","revision":0,"stream":"s","type":"T"}`;
    const expected = createHash('sha256').update(GENESIS_HASH + canonical).digest('hex');
    expect(computeEventHash(GENESIS_HASH, fields)).toBe(expected);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('ignores key order and undefined properties, and depends on prevHash', () => {
    const base = { stream: 's', revision: 1, type: 'T', id: 'i', recordedAt: 'r', metadata: newTestEvent().metadata };
    const a = computeEventHash(GENESIS_HASH, { ...base, data: { x: 1, y: [1, 'two'], z: undefined } });
    const b = computeEventHash(GENESIS_HASH, { ...base, data: { y: [1, 'two'], x: 1 } });
    expect(a).toBe(b);
    expect(computeEventHash('f'.repeat(64), { ...base, data: { x: 1, y: [1, 'two'] } })).not.toBe(a);
  });
});

/** The events as a reader of stored JSON text hands them to verifyRehashedChain: hashed from their text. */
function rehashed(events: RecordedEvent[]): RehashedLink[] {
  return events.map((e) => {
    const bytes = Buffer.from(`${JSON.stringify(e.data)}\t${JSON.stringify(e.metadata)}`, 'utf8');
    const tab = bytes.indexOf(9);
    let recomputed: string | Error;
    try {
      recomputed = computeEventHashOfJson(e.prevHash, e, bytes, 0, tab, tab + 1, bytes.length);
    } catch (error) {
      recomputed = error as Error;
    }
    return { stream: e.stream, revision: e.revision, id: e.id, prevHash: e.prevHash, hash: e.hash, recomputed };
  });
}

describe('computeEventHashOfJson', () => {
  it('is computeEventHash of what JSON.parse makes of the data and metadata text', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.string(), fc.string({ unit: 'binary' }), (value, type, id) => {
      const fields = { stream: 'ticket-é"\\', revision: 7, type, id, recordedAt: '2026-03-01T08:00:00.123Z' };
      const data = { value, more: [value] };
      const metadata = { ...newTestEvent().metadata, extra: value };
      const text = Buffer.from(`${JSON.stringify(data)} ${JSON.stringify(metadata)}`, 'utf8');
      const gap = Buffer.byteLength(JSON.stringify(data));
      const expected = computeEventHash('f'.repeat(64), { ...fields, data: JSON.parse(JSON.stringify(data)), metadata: JSON.parse(JSON.stringify(metadata)) });
      expect(computeEventHashOfJson('f'.repeat(64), fields, text, 0, gap, gap + 1, text.length)).toBe(expected);
    }), { numRuns: 500 });
  });

  it('writes the revision as JSON.stringify does, whatever its size (digit by digit up to 10^15)', () => {
    const text = Buffer.from('{"a": 1} {"b": 2}', 'utf8');
    const revisions = [0, 1, 9, 10, 99, 100, 101, 12345, 2 ** 31, 999_999_999_999_999, 1e15, 2 ** 53 + 2, 1e21, 1.5, -1];
    for (const revision of [...revisions, ...Array.from({ length: 200 }, (_, i) => Math.floor(10 ** (i / 13.4)))]) {
      const fields = { stream: 's', revision, type: 'T', id: 'i', recordedAt: '2026-03-01T08:00:00.123Z' };
      expect(computeEventHashOfJson('f'.repeat(64), fields, text, 0, 8, 9, text.length)).toBe(computeEventHash('f'.repeat(64), { ...fields, data: { a: 1 }, metadata: { b: 2 } as never }));
    }
  });
});

describe('computeEventHashOfJson with the stored hash', () => {
  const fields = { stream: 'ticket-1', revision: 0, type: 'TicketSubmitted', id: 'e-1', recordedAt: '2026-03-01T08:00:00.123Z' };
  const data = { title: '危墙', n: [1, 2.5, { b: 1, a: 2 }] };
  const metadata = newTestEvent().metadata;
  const text = Buffer.from(`${JSON.stringify(data)}\t${JSON.stringify(metadata)}`, 'utf8');
  const tab = text.indexOf(9);
  const stored = computeEventHash(GENESIS_HASH, { ...fields, data, metadata });
  const hashOf = (expected?: string) => computeEventHashOfJson(GENESIS_HASH, fields, text, 0, tab, tab + 1, text.length, expected);

  it('answers the reference hash when the fast reader is wrong or fails, so an intact event is never reported altered', () => {
    expect(hashOf(stored)).toBe(stored);
    const json = canonicalBytes.json.bind(canonicalBytes);
    const faults: ((...args: Parameters<typeof json>) => void)[] = [
      () => canonicalBytes.ascii('{"wrong":true}'), // writes something else
      () => { throw new RangeError('Maximum call stack size exceeded'); }, // the fault 0b38904 fixed
    ];
    try {
      for (const fault of faults) {
        canonicalBytes.json = fault;
        // Without the stored hash, the fast path's answer (or its error) stands.
        let alone: string | Error;
        try { alone = hashOf(); } catch (error) { alone = error as Error; }
        expect(alone).not.toBe(stored);
        expect(hashOf(stored)).toBe(stored);
      }
    } finally {
      canonicalBytes.json = json;
    }
  });

  it('still reports an altered event: its text does not hash to the stored hash on either path', () => {
    const other = computeEventHash(GENESIS_HASH, { ...fields, data: { ...data, title: '改过' }, metadata });
    expect(hashOf(other)).toBe(stored);
    expect(hashOf(other)).not.toBe(other);
    expect(() => computeEventHashOfJson(GENESIS_HASH, fields, Buffer.from('{"a": 1,\t{}'), 0, 8, 9, 11, other)).toThrow(SyntaxError);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', () => {
    expect(verifyChain(makeChain(5))).toEqual({ intact: true, checkedEvents: 5 });
    expect(verifyChain([])).toEqual({ intact: true, checkedEvents: 0 });
  });

  it('detects changed data', () => {
    const chain = makeChain(4);
    chain[2] = { ...chain[2]!, data: { ...chain[2]!.data, text: 'edited' } };
    expect(verifyChain(chain)).toMatchObject({ intact: false, firstBadRevision: 2, checkedEvents: 3, reason: expect.stringMatching(/altered/) });
  });

  it('detects changed metadata', () => {
    const chain = makeChain(3);
    chain[0] = { ...chain[0]!, metadata: { ...chain[0]!.metadata, actor: { kind: 'staff', id: 'someone-else' } } };
    expect(verifyChain(chain)).toMatchObject({ intact: false, firstBadRevision: 0 });
  });

  it('detects a missing revision', () => {
    const chain = makeChain(5);
    chain.splice(2, 1);
    expect(verifyChain(chain)).toMatchObject({ intact: false, firstBadRevision: 2, reason: expect.stringMatching(/missing/) });
  });

  it('detects a removed head (the chain must start at revision 0)', () => {
    expect(verifyChain(makeChain(3).slice(1))).toMatchObject({ intact: false, firstBadRevision: 0 });
  });

  it('detects swapped events', () => {
    const chain = makeChain(5);
    [chain[1], chain[2]] = [chain[2]!, chain[1]!];
    expect(verifyChain(chain)).toMatchObject({ intact: false, firstBadRevision: 1 });
  });

  it('detects swapped contents with renumbered revisions', () => {
    const chain = makeChain(4);
    const swapped = [chain[0]!, { ...chain[2]!, revision: 1 }, { ...chain[1]!, revision: 2 }, chain[3]!];
    expect(verifyChain(swapped)).toMatchObject({ intact: false, firstBadRevision: 1 });
  });

  it('detects a wrong prevHash link even when the event hash was recomputed', () => {
    const chain = makeChain(4);
    const forgedPrev = 'a'.repeat(64);
    chain[2] = { ...chain[2]!, prevHash: forgedPrev, hash: computeEventHash(forgedPrev, chain[2]!) };
    expect(verifyChain(chain)).toMatchObject({ intact: false, firstBadRevision: 2, reason: expect.stringMatching(/prevHash/) });
  });

  it('a forger who rewrites the tail is caught by an auditor holding an earlier hash', () => {
    const chain = makeChain(5);
    const forged = rehash(
      chain.map((e, i) => (i === 3 ? { ...e, data: { text: 'forged' } } : e)),
      3,
    );
    expect(verifyChain(forged).intact).toBe(true); // self-consistent…
    expect(forged[4]!.hash).not.toBe(chain[4]!.hash); // …but the head hash changed
  });

  it('detects an event from another stream', () => {
    const chain = makeChain(3);
    chain[1] = { ...chain[1]!, stream: 'ticket-other' };
    expect(verifyChain(chain)).toMatchObject({ intact: false, firstBadRevision: 1, reason: expect.stringMatching(/belongs to stream/) });
  });

  it('verifyRehashedChain gives what verifyChain gives, also for content that cannot be hashed', () => {
    const chain = makeChain(4);
    expect(verifyRehashedChain(rehashed(chain))).toEqual(verifyChain(chain));
    const infinite = chain.map((e, i) => (i === 2 ? { ...e, data: { n: Infinity } } : e));
    expect(verifyChain(infinite)).toMatchObject({ intact: false, firstBadRevision: 2, reason: 'revision 2: cannot hash (Infinity is not allowed)' });
    const links = rehashed(chain);
    links[2] = { ...links[2]!, recomputed: new Error('Infinity is not allowed') };
    expect(verifyRehashedChain(links)).toEqual(verifyChain(infinite));
    expect(verifyRehashedChain(rehashed(chain).slice(3), { revision: 2, hash: chain[2]!.hash })).toEqual({ intact: true, checkedEvents: 1 });
  });

  it('verifies a range from an anchor', () => {
    const chain = makeChain(6);
    expect(verifyChain(chain.slice(3), { revision: 2, hash: chain[2]!.hash })).toEqual({ intact: true, checkedEvents: 3 });
    expect(verifyChain(chain.slice(3), { revision: 2, hash: chain[1]!.hash })).toMatchObject({ intact: false, firstBadRevision: 3 });
  });

  it('property: any single tampering (edit, drop, swap, duplicate) is detected', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.nat(),
        fc.constantFrom('edit', 'drop', 'swap', 'duplicate', 'relink'),
        fc.jsonValue(),
        (n, k, kind, value) => {
          const chain = makeChain(n);
          const i = k % (n - 1);
          let tampered: RecordedEvent[];
          switch (kind) {
            case 'edit':
              tampered = chain.map((e, j) => (j === i ? { ...e, data: { ...e.data, injected: value } } : e));
              if (JSON.stringify({ injected: value }) === '{}') return; // undefined-like values do not change JSON
              break;
            case 'drop':
              tampered = chain.filter((_, j) => j !== i);
              break;
            case 'swap':
              tampered = [...chain];
              [tampered[i], tampered[i + 1]] = [tampered[i + 1]!, tampered[i]!];
              break;
            case 'duplicate':
              tampered = [...chain.slice(0, i + 1), chain[i]!, ...chain.slice(i + 1)];
              break;
            default:
              tampered = chain.map((e, j) => (j === i + 1 ? { ...e, prevHash: chain[i]!.prevHash } : e));
          }
          const result = verifyChain(tampered);
          expect(result.intact).toBe(false);
          expect(result.firstBadRevision).toBeLessThanOrEqual(i + 1);
          expect(verifyRehashedChain(rehashed(tampered))).toEqual(result);
        },
      ),
      { numRuns: 300 },
    );
  });
});
