/**
 * The adapter's own logic (retry loop, read-back, readAll paging and skipping) on the in-memory fake of
 * testing/kurrentdb-fake-client.ts. The fake models documented KurrentDB behaviour; the real server is exercised by
 * adapter.int.test.ts when KURRENTDB_URL is set.
 */
import { v7 as uuidv7 } from 'uuid';
import { newTestEvent, newTicketStream } from '../testing/fixtures';
import { verifyChain } from '../hash';
import { InvalidAppendError, WrongExpectedRevisionError, type Clock, type NewEvent } from '../port';
import { KurrentDbEventStore } from './adapter';
import { FakeKurrentDb } from '../testing/kurrentdb-fake-client';

const clockAt = (iso: string): Clock => ({ now: () => new Date(iso) });
const batchOf = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => newTestEvent('TicketReplied', { n: i }));

function setUp(options: { maxAppendAttempts?: number; clock?: Clock } = {}) {
  const fake = new FakeKurrentDb();
  const store = new KurrentDbEventStore({
    client: fake.asClient(),
    clock: options.clock ?? clockAt('2026-03-01T08:00:00.000Z'),
    ...(options.maxAppendAttempts === undefined ? {} : { maxAppendAttempts: options.maxAppendAttempts }),
  });
  return { fake, store };
}

describe('KurrentDbEventStore on a fake client', () => {
  describe('append', () => {
    it('reports the stored position of the last event, as readStream and readAll show it', async () => {
      const { store } = setUp();
      const stream = newTicketStream();
      const result = await store.append(stream, batchOf(3), 'no_stream');
      const read = await store.readStream(stream);
      expect(result).toEqual({ nextExpectedRevision: 2, position: read[2]?.position, appended: true });
      expect(await store.readAll(null, 10)).toEqual(read);
    });

    it('reads several streams as one by one, each once, [] for one that does not exist', async () => {
      const { store } = setUp();
      const streams = Array.from({ length: 12 }, () => newTicketStream());
      for (const [i, stream] of streams.entries()) await store.append(stream, batchOf(1 + (i % 3)), 'no_stream');
      const missing = newTicketStream();
      const read = await store.readStreams([...streams, missing, streams[0]!]);
      expect([...read.keys()]).toEqual([...streams, missing]);
      for (const stream of streams) expect(read.get(stream)).toEqual(await store.readStream(stream));
      expect(read.get(missing)).toEqual([]);
    });

    it('checks its arguments before any I/O', async () => {
      const { fake, store } = setUp();
      await expect(store.append('', batchOf(1), 'any')).rejects.toBeInstanceOf(InvalidAppendError);
      await expect(store.readAll({ transactionId: 'x', position: '0' }, 1)).rejects.toBeInstanceOf(RangeError);
      await expect(store.readStream('s', { fromRevision: -1 })).rejects.toBeInstanceOf(RangeError);
      expect(fake.appendCalls).toBe(0);
    });

    it("retries lost races for 'any' until every append lands: gapless, intact chain", async () => {
      const { fake, store } = setUp();
      const stream = newTicketStream();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.append(stream, batchOf(1), 'any')));
      expect(results.map((r) => r.nextExpectedRevision).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(verifyChain(await store.readStream(stream))).toEqual({ intact: true, checkedEvents: 20 });
      expect(fake.appendCalls).toBeGreaterThan(20);
    });

    it('turns a race lost with an exact revision into WrongExpectedRevisionError with the new head', async () => {
      const { store } = setUp();
      const stream = newTicketStream();
      await store.append(stream, batchOf(1), 'no_stream');
      const results = await Promise.allSettled([store.append(stream, batchOf(2), 0), store.append(stream, batchOf(3), 0)]);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      const won = results.find((r) => r.status === 'fulfilled');
      expect(won).toBeDefined();
      expect(lost?.reason).toBeInstanceOf(WrongExpectedRevisionError);
      const head = (await store.readStream(stream)).length - 1;
      expect(lost?.reason).toMatchObject({ stream, expected: 0, actual: head });
    });

    it('reports appended: false for the loser of a race between two identical batches', async () => {
      const fake = new FakeKurrentDb();
      const early = new KurrentDbEventStore({ client: fake.asClient(), clock: clockAt('2026-03-01T08:00:00.000Z') });
      const late = new KurrentDbEventStore({ client: fake.asClient(), clock: clockAt('2026-03-01T08:00:00.001Z') });
      const stream = newTicketStream();
      const batch = batchOf(2);
      const [a, b] = await Promise.all([early.append(stream, batch, 'no_stream'), late.append(stream, batch, 'no_stream')]);
      expect([a.appended, b.appended].sort()).toEqual([false, true]);
      expect(a.position).toEqual(b.position);
      expect(await early.readStream(stream)).toHaveLength(2);
    });

    it('gives up after maxAppendAttempts lost races with the head KurrentDB reported', async () => {
      const { fake, store } = setUp({ maxAppendAttempts: 1 });
      const stream = newTicketStream();
      const racing = store.append(stream, batchOf(1), 'any');
      // Another writer gets in between the adapter's read and its write.
      await new Promise((resolve) => setImmediate(resolve));
      fake.write(stream, [{ id: uuidv7(), type: 'X', data: {}, metadata: {} }]);
      const error = await racing.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ expected: 'any', actual: 0, cause: { type: 'wrong-expected-version' } });
    });
  });

  describe('readAll', () => {
    it('skips system events, $ streams and foreign events without counting them against the limit', async () => {
      const { fake, store } = setUp();
      const stream = newTicketStream();
      await store.append(stream, batchOf(1), 'no_stream');
      for (let i = 0; i < 5; i += 1) {
        fake.write('$stats-node', [{ id: uuidv7(), type: '$statsCollected', data: {}, metadata: undefined }]);
        fake.write('$$' + stream, [{ id: uuidv7(), type: 'Settings', data: {}, metadata: {} }]);
        fake.write('other-app', [{ id: uuidv7(), type: 'Foreign', data: {}, metadata: { correlationId: 'x' } }]);
      }
      await store.append(stream, batchOf(2), 0);
      const page = await store.readAll(null, 2);
      expect(page.map((e) => e.revision)).toEqual([0, 1]);
      const next = await store.readAll(page[1]!.position, 2);
      expect(next.map((e) => e.revision)).toEqual([2]);
      expect(await store.readAll(next[0]!.position, 2)).toEqual([]);
    });

    it('is exclusive of its checkpoint within a multi-event commit', async () => {
      const { store } = setUp();
      const stream = newTicketStream();
      await store.append(stream, batchOf(4), 'no_stream');
      const all = await store.readAll(null, 10);
      expect(new Set(all.map((e) => e.position.transactionId)).size).toBe(1);
      for (let k = 0; k < 4; k += 1) {
        expect((await store.readAll(all[k]!.position, 10)).map((e) => e.revision)).toEqual([0, 1, 2, 3].slice(k + 1));
      }
    });
  });

  describe('readStream and close', () => {
    it('reads a clipped inclusive range and [] for a missing stream or an empty range', async () => {
      const { store } = setUp();
      const stream = newTicketStream();
      await store.append(stream, batchOf(5), 'no_stream');
      expect((await store.readStream(stream, { fromRevision: 1, toRevision: 3 })).map((e) => e.revision)).toEqual([1, 2, 3]);
      expect((await store.readStream(stream, { fromRevision: 3, toRevision: 99 })).map((e) => e.revision)).toEqual([3, 4]);
      expect(await store.readStream(stream, { fromRevision: 3, toRevision: 2 })).toEqual([]);
      expect(await store.readStream(newTicketStream())).toEqual([]);
    });

    it('disposes of the client only when it owns it', async () => {
      const borrowed = new FakeKurrentDb();
      await new KurrentDbEventStore({ client: borrowed.asClient(), clock: clockAt('2026-03-01T00:00:00Z') }).close();
      expect(borrowed.disposed).toBe(false);
      const owned = new FakeKurrentDb();
      await new KurrentDbEventStore({ client: owned.asClient(), clock: clockAt('2026-03-01T00:00:00Z'), ownsClient: true }).close();
      expect(owned.disposed).toBe(true);
    });
  });
});
