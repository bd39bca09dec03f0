/**
 * The event store conformance suite: the behaviour every adapter of the port must show. An adapter's
 * integration test calls {@link describeEventStoreConformance} with a factory for a fresh store.
 * The suite shares one store across its tests and only looks at streams it created, so it also runs
 * against a shared server (e.g. KurrentDB).
 */
import { newTestEvent, newTicketStream } from './fixtures';
import { GENESIS_HASH, verifyChain } from '../hash';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
  type Clock,
  type EventStore,
  type ExpectedRevision,
  type GlobalPosition,
  type NewEvent,
  type RecordedEvent,
} from '../port';

/** A store under test and how to dispose of it (drop its database, close connections). */
export interface ConformanceTarget {
  store: EventStore;
  dispose(): Promise<void>;
}

/** A clock the suite moves by hand; the factory must give it to the store. */
export interface ManualClock extends Clock {
  set(instant: Date): void;
}

function manualClock(start: Date): ManualClock {
  let current = start;
  return { now: () => new Date(current.getTime()), set: (instant) => (current = instant) };
}

/**
 * Registers a jest `describe` block named `event store conformance: <name>`.
 * @param factory creates a store (run once, in beforeAll) whose recordedAt comes from `clock`.
 */
export function describeEventStoreConformance(
  name: string,
  factory: (clock: Clock) => Promise<ConformanceTarget>,
): void {
  describe(`event store conformance: ${name}`, () => {
    const clock = manualClock(new Date('2026-03-01T08:00:00.000Z'));
    let target: ConformanceTarget | undefined;
    const store = (): EventStore => {
      if (!target) throw new Error('store not created');
      return target.store;
    };
    const events = (n: number, type = 'TicketReplied'): NewEvent[] =>
      Array.from({ length: n }, (_, i) => newTestEvent(type, { n: i }));
    const appendFresh = async (n: number): Promise<{ stream: string; batch: NewEvent[] }> => {
      const stream = newTicketStream();
      const batch = events(n);
      await store().append(stream, batch, 'no_stream');
      return { stream, batch };
    };
    const expectWrongRevision = async (
      promise: Promise<unknown>,
      stream: string,
      expected: ExpectedRevision,
      actual: number,
    ): Promise<void> => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ name: 'WrongExpectedRevisionError', code: 'wrong_expected_revision', stream, expected, actual });
    };
    /** Pages through readAll until `count` events of `streams` were seen (late visibility is allowed). */
    const readAllOf = async (streams: readonly string[], count: number, pageSize = 1000): Promise<RecordedEvent[]> => {
      const wanted = new Set(streams);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const seen: RecordedEvent[] = [];
        let after: GlobalPosition | null = null;
        for (;;) {
          const page = await store().readAll(after, pageSize);
          seen.push(...page.filter((event) => wanted.has(event.stream)));
          const last = page[page.length - 1];
          if (!last || page.length < pageSize) break;
          after = last.position;
        }
        if (seen.length >= count || Date.now() > deadline) return seen;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    beforeAll(async () => {
      target = await factory(clock);
    });
    afterAll(async () => {
      await target?.dispose();
    });

    describe('append and readStream', () => {
      it('appends to a new stream at revisions 0..n-1 and reads back exactly what was written', async () => {
        const stream = newTicketStream();
        const at = new Date('2026-03-01T09:15:30.123Z');
        clock.set(at);
        const batch = [
          newTestEvent('TicketSubmitted', {
            title: '村道塌方 road collapsed',
            location: { lat: 27.88, lon: 102.26 },
            tags: ['road', 'urgent'],
            photos: 0,
            anonymous: false,
            note: null,
          }),
          newTestEvent('TicketRouted', { unitId: 'u-1' }, { onBehalfOf: '阿依', channel: 'proxy', causationId: 'c-1' }),
        ];
        const result = await store().append(stream, batch, 'no_stream');
        expect(result).toMatchObject({ nextExpectedRevision: 1, appended: true });
        const read = await store().readStream(stream);
        expect(read.map((e) => [e.id, e.type, e.stream, e.revision])).toEqual(
          batch.map((e, i) => [e.id, e.type, stream, i]),
        );
        expect(read.map((e) => e.data)).toEqual(batch.map((e) => e.data));
        expect(read.map((e) => e.metadata)).toEqual(batch.map((e) => e.metadata));
        expect(read.every((e) => e.recordedAt === at.toISOString())).toBe(true);
        expect(read[1]?.position).toEqual(result.position);
      });

      it('continues a stream after the head across appends', async () => {
        const { stream } = await appendFresh(2);
        const result = await store().append(stream, events(3), 1);
        expect(result.nextExpectedRevision).toBe(4);
        expect((await store().readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      });

      it('returns [] for a stream that does not exist', async () => {
        expect(await store().readStream(newTicketStream())).toEqual([]);
      });

      it('reads several streams at once as one by one: each named once, [] for one that does not exist', async () => {
        const [a, b] = [await appendFresh(3), await appendFresh(1)];
        const missing = newTicketStream();
        const read = await store().readStreams([b.stream, missing, a.stream, b.stream]);
        expect([...read.keys()].sort()).toEqual([a.stream, b.stream, missing].sort());
        expect(read.get(a.stream)).toEqual(await store().readStream(a.stream));
        expect(read.get(b.stream)).toEqual(await store().readStream(b.stream));
        expect(read.get(missing)).toEqual([]);
        expect((await store().readStreams([])).size).toBe(0);
        // The head it read is the append's: an exact expectation continues the stream.
        await store().append(a.stream, events(1), 2);
        expect((await store().readStreams([a.stream])).get(a.stream)?.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
      });

      it('reads revision ranges (inclusive, clipped to the stream)', async () => {
        const { stream } = await appendFresh(6);
        const revisions = async (options: { fromRevision?: number; toRevision?: number }): Promise<number[]> =>
          (await store().readStream(stream, options)).map((e) => e.revision);
        expect(await revisions({ fromRevision: 2 })).toEqual([2, 3, 4, 5]);
        expect(await revisions({ toRevision: 2 })).toEqual([0, 1, 2]);
        expect(await revisions({ fromRevision: 1, toRevision: 3 })).toEqual([1, 2, 3]);
        expect(await revisions({ fromRevision: 4, toRevision: 99 })).toEqual([4, 5]);
        expect(await revisions({ fromRevision: 6 })).toEqual([]);
        expect(await revisions({ fromRevision: 3, toRevision: 2 })).toEqual([]);
      });
    });

    describe('expected revision', () => {
      it("'no_stream' succeeds on a new stream and fails once it exists", async () => {
        const { stream } = await appendFresh(2);
        await expectWrongRevision(store().append(stream, events(1), 'no_stream'), stream, 'no_stream', 1);
      });

      it("'stream_exists' fails on a missing stream (actual -1) and succeeds on an existing one", async () => {
        const stream = newTicketStream();
        await expectWrongRevision(store().append(stream, events(1), 'stream_exists'), stream, 'stream_exists', -1);
        expect(await store().readStream(stream)).toEqual([]);
        await store().append(stream, events(1), 'any');
        expect((await store().append(stream, events(1), 'stream_exists')).nextExpectedRevision).toBe(1);
      });

      it("'any' succeeds whether or not the stream exists", async () => {
        const stream = newTicketStream();
        expect((await store().append(stream, events(2), 'any')).nextExpectedRevision).toBe(1);
        expect((await store().append(stream, events(1), 'any')).nextExpectedRevision).toBe(2);
      });

      it('an exact revision succeeds only when it is the last revision', async () => {
        const { stream } = await appendFresh(3);
        await expectWrongRevision(store().append(stream, events(1), 1), stream, 1, 2);
        await expectWrongRevision(store().append(stream, events(1), 3), stream, 3, 2);
        expect((await store().append(stream, events(1), 2)).nextExpectedRevision).toBe(3);
        const missing = newTicketStream();
        await expectWrongRevision(store().append(missing, events(1), 0), missing, 0, -1);
      });

      it('a failed expectation appends nothing', async () => {
        const { stream } = await appendFresh(1);
        await expect(store().append(stream, events(2), 5)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store().readStream(stream)).toHaveLength(1);
      });

      it('of concurrent appends with the same expected revision exactly one wins', async () => {
        const { stream } = await appendFresh(1);
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, () => store().append(stream, events(2), 0)),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(4);
        for (const r of lost) expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
        const read = await store().readStream(stream);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(verifyChain(read).intact).toBe(true);
      });

      it("concurrent appends with 'any' get gapless revisions and an intact chain", async () => {
        const stream = newTicketStream();
        const results = await Promise.all(Array.from({ length: 50 }, () => store().append(stream, events(1), 'any')));
        expect(results.map((r) => r.nextExpectedRevision).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 50 }, (_, i) => i),
        );
        const read = await store().readStream(stream);
        expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 50 }, (_, i) => i));
        expect(verifyChain(read)).toEqual({ intact: true, checkedEvents: 50 });
      });
    });

    describe('idempotency and duplicate ids', () => {
      it('re-appending the same batch with the same expectation is a no-op success with the original result', async () => {
        const stream = newTicketStream();
        const batch = events(3);
        const first = await store().append(stream, batch, 'no_stream');
        const again = await store().append(stream, batch, 'no_stream');
        expect(again).toEqual({ ...first, appended: false });
        expect(await store().readStream(stream)).toHaveLength(3);
      });

      it('recognises a repeat after later appends (exact and any)', async () => {
        const { stream } = await appendFresh(1);
        const batch = events(2);
        const first = await store().append(stream, batch, 0);
        await store().append(stream, events(1), 2);
        expect(await store().append(stream, batch, 0)).toEqual({ ...first, appended: false });
        expect(await store().append(stream, batch, 'any')).toEqual({ ...first, appended: false });
        expect(await store().readStream(stream)).toHaveLength(4);
      });

      it('treats ids stored in another stream as duplicates and appends nothing', async () => {
        const { stream: other, batch: stored } = await appendFresh(1);
        const stream = newTicketStream();
        const duplicate = { ...newTestEvent(), id: stored[0]!.id };
        const error = await store()
          .append(stream, [newTestEvent(), duplicate], 'any')
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ code: 'duplicate_event_id', eventId: stored[0]!.id });
        expect(await store().readStream(stream)).toEqual([]);
        expect(await store().readStream(other)).toHaveLength(1);
      });

      it('treats a partial or reordered repeat as a duplicate', async () => {
        const { stream, batch } = await appendFresh(2);
        await expect(store().append(stream, [batch[1]!], 'no_stream')).rejects.toBeInstanceOf(DuplicateEventIdError);
        await expect(store().append(stream, [batch[1]!, batch[0]!], 'any')).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        await expect(store().append(stream, [...batch, newTestEvent()], 'any')).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        await expect(store().append(stream, batch, 5)).rejects.toBeInstanceOf(DuplicateEventIdError);
        expect(await store().readStream(stream)).toHaveLength(2);
      });

      it('rejects malformed appends with InvalidAppendError', async () => {
        const stream = newTicketStream();
        const event = newTestEvent();
        await expect(store().append(stream, [], 'any')).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(store().append(stream, [{ ...event, id: 'not-a-uuid' }], 'any')).rejects.toBeInstanceOf(
          InvalidAppendError,
        );
        await expect(store().append(stream, [event, event], 'any')).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(store().append(stream, [event], -1)).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(store().append('', [event], 'any')).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await store().readStream(stream)).toEqual([]);
      });

      it('refuses event types that are not one NATS subject token (they could never be published)', async () => {
        const stream = newTicketStream();
        for (const type of ['Bogus.Event', 'Bogus Event', 'Bogus*', 'Bogus>', 'Bogüs', 'x'.repeat(129)]) {
          await expect(store().append(stream, [newTestEvent(type)], 'any')).rejects.toThrow(InvalidAppendError);
        }
        expect(await store().readStream(stream)).toEqual([]);
        await store().append(stream, [newTestEvent('Valid_Event-2')], 'no_stream');
        expect((await store().readStream(stream)).map((e) => e.type)).toEqual(['Valid_Event-2']);
      });
    });

    describe('readAll', () => {
      it('returns appended events in append order, across streams', async () => {
        const a = newTicketStream();
        const b = newTicketStream();
        const appended: string[] = [];
        for (const [stream, n] of [[a, 2], [b, 1], [a, 1], [b, 3]] as const) {
          const batch = events(n);
          await store().append(stream, batch, 'any');
          appended.push(...batch.map((e) => e.id));
        }
        const read = await readAllOf([a, b], appended.length);
        expect(read.map((e) => e.id)).toEqual(appended);
      });

      it('pages from a checkpoint without gaps or repeats', async () => {
        const streams = [newTicketStream(), newTicketStream(), newTicketStream()];
        const ids: string[] = [];
        for (let round = 0; round < 3; round += 1) {
          for (const stream of streams) {
            const batch = events(2);
            await store().append(stream, batch, 'any');
            ids.push(...batch.map((e) => e.id));
          }
        }
        const whole = await readAllOf(streams, ids.length);
        expect(whole.map((e) => e.id)).toEqual(ids);
        const paged = await readAllOf(streams, ids.length, 3);
        expect(paged.map((e) => e.id)).toEqual(ids);
        // From the checkpoint of the k-th event of ours, the next event of ours is the (k+1)-th.
        const from = whole[4]!.position;
        const next = (await store().readAll(from, 1000)).filter((e) => streams.includes(e.stream));
        expect(next.map((e) => e.id)).toEqual(ids.slice(5));
      });

      it('honours the limit and returns none of ours past our last event', async () => {
        const { stream } = await appendFresh(3);
        const ours = await readAllOf([stream], 3);
        expect(ours).toHaveLength(3);
        expect(await store().readAll(null, 2)).toHaveLength(2);
        expect(await store().readAll(ours[0]!.position, 1)).toHaveLength(1);
        const after = (await store().readAll(ours[2]!.position, 1000)).filter((e) => e.stream === stream);
        expect(after).toEqual([]);
      });
    });

    describe('hash chain', () => {
      it('links every event to its predecessor, from the genesis hash, across appends', async () => {
        const { stream } = await appendFresh(2);
        await store().append(stream, events(2), 1);
        await store().append(stream, events(1), 'any');
        const read = await store().readStream(stream);
        expect(read[0]?.prevHash).toBe(GENESIS_HASH);
        for (let i = 1; i < read.length; i += 1) expect(read[i]?.prevHash).toBe(read[i - 1]?.hash);
        expect(read.every((e) => /^[0-9a-f]{64}$/.test(e.hash))).toBe(true);
        expect(verifyChain(read)).toEqual({ intact: true, checkedEvents: 5 });
        expect(verifyChain(await store().readStream(stream, { fromRevision: 3 }), { revision: 2, hash: read[2]!.hash })).toEqual({
          intact: true,
          checkedEvents: 2,
        });
      });

      it('events read through readAll carry the same hashes as through readStream', async () => {
        const { stream } = await appendFresh(3);
        const viaAll = await readAllOf([stream], 3);
        expect(viaAll).toEqual(await store().readStream(stream));
      });
    });
  });
}
