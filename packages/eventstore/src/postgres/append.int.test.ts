/**
 * The one-statement append (append.ts) where its guess of the stream head is missing or wrong: another
 * writer moved the head, a head row left at -1, values that JSON changes on the way to jsonb.
 */
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import { GENESIS_HASH, verifyChain } from '../hash';
import { WrongExpectedRevisionError } from '../port';
import { newTestEvent, newTicketStream } from '../testing/fixtures';
import { systemClock } from '../clock';
import { PostgresEventStore } from './adapter';

describe('PostgreSQL append with a missing or stale head guess', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let first: PostgresEventStore;
  let second: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    // Two stores on one database: each keeps its own guesses of the heads, as two replicas do.
    first = await PostgresEventStore.create(pool, systemClock);
    second = new PostgresEventStore({ pool, clock: systemClock });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const head = async (stream: string) =>
    (await pool.query<{ r: string; h: string }>('SELECT last_revision::text AS r, last_hash AS h FROM streams WHERE stream = $1', [stream])).rows[0];

  it('continues a stream another writer moved, with every expectation, and keeps the chain and the head row', async () => {
    const stream = newTicketStream();
    await first.append(stream, [newTestEvent(), newTestEvent()], 'no_stream');
    // second has never seen the stream (no guess), first's guess goes stale at each step.
    expect((await second.append(stream, [newTestEvent()], 1)).nextExpectedRevision).toBe(2);
    expect((await first.append(stream, [newTestEvent()], 2)).nextExpectedRevision).toBe(3);
    expect((await second.append(stream, [newTestEvent()], 'stream_exists')).nextExpectedRevision).toBe(4);
    expect((await first.append(stream, [newTestEvent(), newTestEvent()], 'any')).nextExpectedRevision).toBe(6);
    await expect(second.append(stream, [newTestEvent()], 5)).rejects.toMatchObject({ name: 'WrongExpectedRevisionError', actual: 6 });
    await expect(second.append(stream, [newTestEvent()], 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    const read = await first.readStream(stream);
    expect(read.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(verifyChain(read)).toEqual({ intact: true, checkedEvents: 7 });
    expect(await head(stream)).toEqual({ r: '6', h: read[6]!.hash });
  });

  it('recognises a repeat from a writer whose guess is stale', async () => {
    const stream = newTicketStream();
    const batch = [newTestEvent(), newTestEvent()];
    const original = await first.append(stream, batch, 'no_stream');
    await first.append(stream, [newTestEvent()], 1);
    expect(await second.append(stream, batch, 'no_stream')).toEqual({ ...original, appended: false });
    expect(await second.append(stream, batch, 'any')).toEqual({ ...original, appended: false });
    expect(await first.readStream(stream)).toHaveLength(3);
  });

  it('fills in a head row left at -1 (created, never appended to)', async () => {
    const stream = newTicketStream();
    await pool.query('INSERT INTO streams (stream, last_revision, last_hash) VALUES ($1, -1, $2)', [stream, GENESIS_HASH]);
    await expect(first.append(stream, [newTestEvent()], 'stream_exists')).rejects.toMatchObject({ actual: -1 });
    expect((await first.append(stream, [newTestEvent()], 'no_stream')).nextExpectedRevision).toBe(0);
    const read = await first.readStream(stream);
    expect(verifyChain(read).intact).toBe(true);
    expect(await head(stream)).toEqual({ r: '0', h: read[0]!.hash });
  });

  it('stores and hashes what JSON keeps of the data (toJSON applied, undefined dropped, NaN as null)', async () => {
    const stream = newTicketStream();
    const data = { when: new Date('2026-03-01T08:00:00.000Z'), gone: undefined, list: [1, undefined, Number.NaN], text: '锦城镇 "quoted" \\ é' };
    await first.append(stream, [newTestEvent('TicketReplied', data)], 'no_stream');
    const read = await second.readStream(stream);
    expect(read[0]!.data).toEqual({ when: '2026-03-01T08:00:00.000Z', list: [1, null, null], text: '锦城镇 "quoted" \\ é' });
    expect(verifyChain(read).intact).toBe(true);
  });

  it('concurrent creators of one new stream: one wins with no_stream, the others fail; the same batch at once is one append and repeats', async () => {
    const stores = Array.from({ length: 6 }, () => new PostgresEventStore({ pool, clock: systemClock }));
    const contested = newTicketStream();
    const outcomes = await Promise.allSettled(stores.map((store) => store.append(contested, [newTestEvent(), newTestEvent()], 'no_stream')));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ name: 'WrongExpectedRevisionError', actual: 1 });
    expect(verifyChain(await first.readStream(contested))).toEqual({ intact: true, checkedEvents: 2 });
    for (const expected of ['no_stream', 'any'] as const) {
      const stream = newTicketStream();
      const batch = [newTestEvent(), newTestEvent(), newTestEvent()];
      const results = await Promise.all(stores.map((store) => store.append(stream, batch, expected)));
      expect(results.filter((r) => r.appended)).toHaveLength(1);
      const original = results.find((r) => r.appended)!;
      for (const r of results) expect(r).toEqual({ ...original, appended: r.appended });
      const read = await first.readStream(stream);
      expect(read.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      expect(verifyChain(read).intact).toBe(true);
      expect(await head(stream)).toEqual({ r: '2', h: read[2]!.hash });
    }
  });

  it("many writers without guesses appending with 'any' to one stream: gapless, chained, head row at the end", async () => {
    const stream = newTicketStream();
    const stores = Array.from({ length: 4 }, () => new PostgresEventStore({ pool, clock: systemClock }));
    await Promise.all(stores.flatMap((store) => Array.from({ length: 10 }, () => store.append(stream, [newTestEvent()], 'any'))));
    const read = await first.readStream(stream);
    expect(read.map((e) => e.revision)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(verifyChain(read)).toEqual({ intact: true, checkedEvents: 40 });
    expect(await head(stream)).toEqual({ r: '39', h: read[39]!.hash });
  });
});
