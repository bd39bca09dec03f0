import { newTestEvent } from '../testing/fixtures';
import { ENVELOPE_VERSION, MalformedEventError, decodeRecord, isTongbanEvent, toEventData, type KurrentRecord } from './envelope';

const chain = { recordedAt: '2026-03-01T08:00:00.000Z', prevHash: '0'.repeat(64), hash: 'a'.repeat(64) };

/** What a KurrentDB read returns for an event written as `data`: JSON round-tripped, with a position. */
function asStored(eventData: ReturnType<typeof toEventData>, overrides: Partial<KurrentRecord> = {}): KurrentRecord {
  return {
    streamId: 'ticket-1',
    id: eventData.id,
    revision: 3n,
    type: eventData.type,
    isJson: true,
    data: JSON.parse(JSON.stringify(eventData.data)),
    metadata: JSON.parse(JSON.stringify(eventData.metadata)),
    position: { commit: 120n, prepare: 118n },
    ...overrides,
  };
}

describe('KurrentDB envelope', () => {
  const event = newTestEvent('TicketRouted', { unitId: 'u-1', n: 2 }, { causationId: 'cause-1', onBehalfOf: '阿依' });

  it('writes our id, type and data, and metadata as {envelope, metadata, recordedAt, prevHash, hash, $correlationId, $causationId}', () => {
    expect(toEventData(event, chain)).toEqual({
      id: event.id,
      contentType: 'application/json',
      type: 'TicketRouted',
      data: { unitId: 'u-1', n: 2 },
      metadata: {
        envelope: ENVELOPE_VERSION,
        metadata: event.metadata,
        ...chain,
        $correlationId: event.metadata.correlationId,
        $causationId: 'cause-1',
      },
    });
  });

  it('leaves $causationId out when there is no causation id', () => {
    const { causationId: _, ...metadata } = event.metadata;
    expect(toEventData({ ...event, metadata }, chain).metadata).not.toHaveProperty('$causationId');
  });

  it('reads back exactly what was written, with revision and position mapped', () => {
    expect(decodeRecord(asStored(toEventData(event, chain)))).toEqual({
      id: event.id,
      type: 'TicketRouted',
      stream: 'ticket-1',
      revision: 3,
      position: { transactionId: '120', position: '118' },
      recordedAt: chain.recordedAt,
      data: event.data,
      metadata: event.metadata,
      prevHash: chain.prevHash,
      hash: chain.hash,
    });
  });

  it('recognises our events by the envelope marker', () => {
    expect(isTongbanEvent(asStored(toEventData(event, chain)))).toBe(true);
    expect(isTongbanEvent({ metadata: undefined })).toBe(false);
    expect(isTongbanEvent({ metadata: { $correlationId: 'x' } })).toBe(false);
    expect(isTongbanEvent({ metadata: { envelope: 'tongban.event/2' } })).toBe(false);
  });

  it.each<[string, Partial<KurrentRecord>]>([
    ['a binary event', { isJson: false }],
    ['foreign metadata', { metadata: { $correlationId: 'x' } }],
    ['no metadata', { metadata: undefined }],
    ['data that is not an object', { data: 'text' }],
    ['an envelope without metadata', { metadata: { envelope: ENVELOPE_VERSION, ...chain } }],
    ['an envelope without a hash', { metadata: { envelope: ENVELOPE_VERSION, metadata: {}, recordedAt: 'x', prevHash: 'y' } }],
    ['no position (server older than 22.6)', { position: undefined }],
    ['a revision beyond 2^53', { revision: 2n ** 53n }],
  ])('refuses %s with MalformedEventError', (_, overrides) => {
    const stored = asStored(toEventData(event, chain), overrides);
    expect(() => decodeRecord(stored)).toThrow(MalformedEventError);
    expect(() => decodeRecord(stored)).toThrow(/ticket-1, revision/);
  });
});
