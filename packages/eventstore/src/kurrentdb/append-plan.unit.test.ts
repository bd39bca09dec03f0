import { newTestEvent, newTicketStream } from '../testing/fixtures';
import { GENESIS_HASH, verifyChain } from '../hash';
import { DuplicateEventIdError, WrongExpectedRevisionError, type ExpectedRevision, type NewEvent, type RecordedEvent } from '../port';
import {
  actualRevisionOf,
  isStreamNotFound,
  isWrongExpectedVersion,
  normaliseBatch,
  planAppend,
  toWireStreamState,
  type AppendPlan,
} from './append-plan';
import { decodeRecord } from './envelope';

const AT = '2026-03-01T08:00:00.000Z';
let nextPosition = 1000n;

/** Stores a write plan the way KurrentDB would (revisions after the head, JSON round trip, positions). */
function store(stream: string, existing: readonly RecordedEvent[], plan: AppendPlan): RecordedEvent[] {
  if (plan.kind !== 'write') throw new Error(`expected a write, got ${plan.kind}`);
  const head = existing.length - 1;
  const written = plan.events.map((event, index) => {
    nextPosition += 10n;
    return decodeRecord({
      streamId: stream,
      id: event.id,
      revision: BigInt(head + 1 + index),
      type: event.type,
      isJson: true,
      data: JSON.parse(JSON.stringify(event.data)),
      metadata: JSON.parse(JSON.stringify(event.metadata)),
      position: { commit: nextPosition, prepare: nextPosition },
    });
  });
  return [...existing, ...written];
}

function appendTo(stream: string, existing: readonly RecordedEvent[], events: NewEvent[], expected: ExpectedRevision): RecordedEvent[] {
  return store(stream, existing, planAppend(stream, normaliseBatch(events), expected, existing, AT));
}

const batchOf = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => newTestEvent('TicketReplied', { n: i }));

describe('KurrentDB append planning', () => {
  describe('expected-revision mapping', () => {
    it('sends the planned head as the exact stream state: -1 → no_stream, n → n', () => {
      expect(toWireStreamState(-1)).toBe('no_stream');
      expect(toWireStreamState(0)).toBe(0n);
      expect(toWireStreamState(41)).toBe(41n);
    });

    it("reads KurrentDB's actual state back as a revision (-1: no stream)", () => {
      expect(actualRevisionOf('no_stream')).toBe(-1);
      expect(actualRevisionOf(7n)).toBe(7);
      expect(actualRevisionOf(-1n)).toBe(-1);
    });

    it('recognises the client errors by their type tag', () => {
      expect(isWrongExpectedVersion({ type: 'wrong-expected-version', actualState: 3n })).toBe(true);
      expect(isWrongExpectedVersion({ type: 'stream-not-found' })).toBe(false);
      expect(isWrongExpectedVersion(null)).toBe(false);
      expect(isWrongExpectedVersion(new Error('x'))).toBe(false);
      expect(isStreamNotFound({ type: 'stream-not-found' })).toBe(true);
      expect(isStreamNotFound(undefined)).toBe(false);
    });

    it.each<[ExpectedRevision, number, boolean]>([
      ['any', -1, true],
      ['any', 4, true],
      ['no_stream', -1, true],
      ['no_stream', 0, false],
      ['stream_exists', -1, false],
      ['stream_exists', 0, true],
      [2, 2, true],
      [2, 1, false],
      [2, 3, false],
      [0, -1, false],
    ])('expected %p on head %p: writes = %p (else WrongExpectedRevisionError with the actual head)', (expected, head, writes) => {
      const stream = newTicketStream();
      const existing = head < 0 ? [] : appendTo(stream, [], batchOf(head + 1), 'no_stream');
      const plan = (): AppendPlan => planAppend(stream, normaliseBatch(batchOf(1)), expected, existing, AT);
      if (writes) {
        expect(plan()).toMatchObject({ kind: 'write', streamState: toWireStreamState(head), lastRevision: head + 1 });
      } else {
        expect(plan).toThrow(WrongExpectedRevisionError);
        expect(plan).toThrow(expect.objectContaining({ stream, expected, actual: head }));
      }
    });
  });

  describe('hash chain', () => {
    it('chains from the genesis hash and across appends, one recordedAt per batch', () => {
      const stream = newTicketStream();
      let events = appendTo(stream, [], batchOf(2), 'no_stream');
      events = appendTo(stream, events, batchOf(3), 1);
      events = appendTo(stream, events, batchOf(1), 'any');
      expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(events[0]?.prevHash).toBe(GENESIS_HASH);
      expect(events.every((e) => e.recordedAt === AT)).toBe(true);
      expect(verifyChain(events)).toEqual({ intact: true, checkedEvents: 6 });
    });

    it('hashes what a reader gets back: undefined dropped, ids lower-cased', () => {
      const stream = newTicketStream();
      const event = newTestEvent('TicketSubmitted', { title: 't', note: undefined, at: new Date(AT) });
      const events = appendTo(stream, [], [{ ...event, id: event.id.toUpperCase() }], 'no_stream');
      expect(events[0]).toMatchObject({ id: event.id, data: { title: 't', at: AT } });
      expect(events[0]?.data).not.toHaveProperty('note');
      expect(verifyChain(events).intact).toBe(true);
    });

    it('reports the last revision and hash it will write', () => {
      const stream = newTicketStream();
      const existing = appendTo(stream, [], batchOf(2), 'no_stream');
      const plan = planAppend(stream, normaliseBatch(batchOf(3)), 1, existing, AT);
      const stored = store(stream, existing, plan);
      expect(plan).toMatchObject({ lastRevision: 4, lastHash: stored[4]?.hash, streamState: 1n });
    });
  });

  describe('idempotent repeats and duplicate ids', () => {
    const setUp = () => {
      const stream = newTicketStream();
      const first = batchOf(2);
      const second = batchOf(2);
      let events = appendTo(stream, [], first, 'no_stream');
      events = appendTo(stream, events, second, 1);
      events = appendTo(stream, events, batchOf(1), 'any');
      return { stream, first, second, events };
    };

    it.each<[string, ExpectedRevision]>([
      ['the original expectation', 1],
      ['any', 'any'],
      ['stream_exists', 'stream_exists'],
    ])('answers a repeat with %s with the stored result, appended: false', (_, expected) => {
      const { stream, second, events } = setUp();
      expect(planAppend(stream, normaliseBatch(second), expected, events, AT)).toEqual({
        kind: 'repeat',
        result: { nextExpectedRevision: 3, position: events[3]?.position, appended: false },
      });
    });

    it('answers a repeat of the first batch with no_stream', () => {
      const { stream, first, events } = setUp();
      expect(planAppend(stream, normaliseBatch(first), 'no_stream', events, AT)).toMatchObject({
        kind: 'repeat',
        result: { nextExpectedRevision: 1, appended: false },
      });
    });

    it.each<[string, (s: ReturnType<typeof setUp>) => [NewEvent[], ExpectedRevision]]>([
      ['a partial repeat', ({ second }) => [[second[1]!], 'no_stream']],
      ['a reordered repeat', ({ second }) => [[second[1]!, second[0]!], 'any']],
      ['a repeat with an extra event', ({ second }) => [[...second, newTestEvent()], 'any']],
      ['a repeat with an expectation that could not have put it there', ({ second }) => [second, 5]],
      ['stream_exists for the first batch (it started at 0)', ({ first }) => [first, 'stream_exists']],
      ['a new event reusing a stored id', ({ first }) => [[newTestEvent(), { ...newTestEvent(), id: first[0]!.id }], 'any']],
    ])('treats %s as DuplicateEventIdError', (_, make) => {
      const setup = setUp();
      const [events, expected] = make(setup);
      const plan = (): AppendPlan => planAppend(setup.stream, normaliseBatch(events), expected, setup.events, AT);
      expect(plan).toThrow(DuplicateEventIdError);
    });

    it('names the first stored id in batch order, compared case-insensitively', () => {
      const { stream, first, second, events } = setUp();
      const batch = [newTestEvent(), { ...second[1]!, id: second[1]!.id.toUpperCase() }, first[0]!];
      expect(() => planAppend(stream, normaliseBatch(batch), 'any', events, AT)).toThrow(
        expect.objectContaining({ code: 'duplicate_event_id', eventId: second[1]!.id }),
      );
    });

    it('checks ids before the expectation, as the PostgreSQL adapter does', () => {
      const { stream, first, events } = setUp();
      // A repeat of the first batch with its original expectation succeeds although the stream exists.
      expect(planAppend(stream, normaliseBatch(first), 'no_stream', events, AT).kind).toBe('repeat');
      // A stored id with an expectation that could not have put it there is a duplicate, not a wrong revision.
      expect(() => planAppend(stream, normaliseBatch([first[1]!]), 2, events, AT)).toThrow(DuplicateEventIdError);
      // ... while the subset that an append with revision 0 could have written is a repeat.
      expect(planAppend(stream, normaliseBatch([first[1]!]), 0, events, AT).kind).toBe('repeat');
    });
  });
});
