import { GENESIS_HASH, type RecordedEvent, type RehashedLink, computeEventHash } from '@tongban/eventstore';
import { assessStream } from './verify';

const STREAM = 'ticket-0190f3c4-0000-7000-8000-000000000001';

function chain(n: number): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  let prev = GENESIS_HASH;
  for (let revision = 0; revision < n; revision++) {
    const fields = {
      stream: STREAM, revision, type: 'TicketReplied', data: { message: `m${revision}` },
      metadata: { actor: { kind: 'system', id: 't' }, correlationId: 'c', service: 't', schemaVersion: 1, occurredAt: '2026-01-01T00:00:00.000Z' },
      id: `0190f3c4-0000-7000-8000-00000000010${revision}`, recordedAt: '2026-01-01T00:00:00.000Z',
    };
    const hash = computeEventHash(prev, fields);
    out.push({ ...fields, position: { transactionId: '1', position: String(revision + 1) }, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

/** The events as the reader hands them over: links with the hash recomputed from each one's content. */
function rehashed(events: RecordedEvent[]): RehashedLink[] {
  return events.map((e) => ({ stream: e.stream, revision: e.revision, id: e.id, prevHash: e.prevHash, hash: e.hash, recomputed: computeEventHash(e.prevHash, e) }));
}

const head = (events: RecordedEvent[]) => ({ lastRevision: events.length - 1, lastHash: events[events.length - 1]!.hash });

describe('assessStream', () => {
  const events = chain(4);

  it('is intact when chain, head row and anchors agree', () => {
    const anchors = [{ anchorRevision: 0, revision: 1, hash: events[1]!.hash }, { anchorRevision: 3, revision: 3, hash: events[3]!.hash }];
    expect(assessStream(STREAM, rehashed(events), head(events), anchors)).toMatchObject({ intact: true, checkedEvents: 4, lastRevision: 3, anchor: { anchorRevision: 3 } });
  });

  it('reports a missing head row, events beyond it, and a head hash that differs', () => {
    expect(assessStream(STREAM, rehashed(events), undefined, [])).toMatchObject({ intact: false, reason: expect.stringMatching(/no head row/) });
    expect(assessStream(STREAM, rehashed(events), { lastRevision: 2, lastHash: events[2]!.hash }, [])).toMatchObject({ intact: false, firstBadRevision: 3 });
    expect(assessStream(STREAM, rehashed(events), { lastRevision: 3, lastHash: 'f'.repeat(64) }, [])).toMatchObject({ intact: false, firstBadRevision: 3 });
  });

  it('reports a deleted stream from its head row or its anchor, and knows nothing of an unknown one', () => {
    expect(assessStream(STREAM, [], { lastRevision: 3, lastHash: 'x' }, [])).toMatchObject({ intact: false, firstBadRevision: 0 });
    expect(assessStream(STREAM, [], undefined, [{ anchorRevision: 5, revision: 3, hash: 'x' }])).toMatchObject({ intact: false, firstBadRevision: 0, reason: expect.stringMatching(/anchor #5/) });
    expect(assessStream(STREAM, [], undefined, [])).toMatchObject({ intact: true, checkedEvents: 0, known: false });
  });

  it('checks anchors in order: the earliest one that disagrees decides', () => {
    const anchors = [{ anchorRevision: 1, revision: 1, hash: events[1]!.hash }, { anchorRevision: 2, revision: 2, hash: 'e'.repeat(64) }, { anchorRevision: 4, revision: 9, hash: 'x' }];
    expect(assessStream(STREAM, rehashed(events), head(events), anchors)).toMatchObject({ intact: false, firstBadRevision: 2, reason: expect.stringMatching(/last revision matching an anchor is 1/) });
    expect(assessStream(STREAM, rehashed(events), head(events), [{ anchorRevision: 4, revision: 9, hash: 'x' }])).toMatchObject({ intact: false, firstBadRevision: 4 });
  });

  it('reports the chain break before anything else', () => {
    const altered = events.map((e, i) => (i === 2 ? { ...e, data: { message: 'changed' } } : e));
    expect(assessStream(STREAM, rehashed(altered), head(events), [])).toMatchObject({ intact: false, firstBadRevision: 2, checkedEvents: 3 });
    expect(assessStream(STREAM, rehashed([{ ...events[0]!, stream: 'ticket-other' }]), undefined, [])).toMatchObject({ intact: false, reason: expect.stringMatching(/belongs to stream/) });
  });
});
