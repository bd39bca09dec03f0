/**
 * The verification's bulk reader (COPY in binary, events hashed from their bytes) sees exactly what the
 * PostgreSQL adapter's readStream returns: same links, and a recomputed hash equal to computeEventHash
 * of the adapter's event — also for rows changed in SQL to unusual values. Real PostgreSQL.
 */
import { computeEventHash } from '@tongban/eventstore';
import { newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import { type QueryTestDb, createQueryTestDb } from '../testing/test-db';
import { readStreams } from './streams';

let t: QueryTestDb;
beforeAll(async () => { t = await createQueryTestDb(); });
afterAll(async () => { await t?.dispose(); });

const sql = (text: string, params: unknown[] = []) => t.pool.query(text, params);

/** Compares the reader's links of `streams` with the adapter's events, hash by hash. */
async function expectSameAsAdapter(streams: string[]): Promise<void> {
  const read = await readStreams(t.pool, streams);
  for (const stream of streams) {
    const events = await t.store.readStream(stream);
    const links = read.get(stream) ?? [];
    expect(links.map((l) => [l.stream, l.revision, l.id, l.prevHash, l.hash])).toEqual(events.map((e) => [e.stream, e.revision, e.id, e.prevHash, e.hash]));
    events.forEach((e, i) => {
      let expected: string | Error;
      try {
        expected = computeEventHash(e.prevHash, e);
      } catch (error) {
        expected = error as Error;
      }
      expect({ revision: e.revision, recomputed: links[i]!.recomputed }).toEqual({ revision: e.revision, recomputed: expected });
    });
  }
}

it('reads several streams, each in revision order, with the hashes the adapter’s events give', async () => {
  const streams = [newTicketStream(), newTicketStream(), newTicketStream()];
  for (const [k, stream] of streams.entries()) {
    await t.store.append(stream, Array.from({ length: 3 + k }, (_, i) => newTestEvent('TicketReplied', { message: `回复 ${i} "q" \\ é`, n: i / 3, list: [1, { b: 2, a: null }] })), 'no_stream');
  }
  const read = await readStreams(t.pool, [...streams, 'ticket-none']);
  expect([...read.keys()].sort()).toEqual([...streams].sort());
  for (const [k, stream] of streams.entries()) {
    expect(read.get(stream)).toHaveLength(3 + k);
    expect(read.get(stream)!.every((l) => l.recomputed === l.hash)).toBe(true);
  }
  await expectSameAsAdapter(streams);
  expect(await readStreams(t.pool, [])).toEqual(new Map());
});

it('reads only the streams asked for, not the others between them (the range of the names is read, the list filters)', async () => {
  const all = Array.from({ length: 6 }, () => newTicketStream());
  for (const stream of all) await t.store.append(stream, [newTestEvent('TicketReplied', { message: stream })], 'no_stream');
  const sorted = [...all].sort();
  const asked = [sorted[4]!, sorted[0]!, sorted[2]!, 'ticket-zzz', 'ticket-'];
  const read = await readStreams(t.pool, asked);
  expect([...read.keys()].sort()).toEqual([sorted[0], sorted[2], sorted[4]]);
  await expectSameAsAdapter(asked);
});

it('maps recorded_at, revisions, text and jsonb of rows changed in SQL as the adapter does', async () => {
  const stream = newTicketStream();
  await t.store.append(stream, Array.from({ length: 9 }, (_, i) => newTestEvent('TicketReplied', { message: `reply ${i}` })), 'no_stream');
  const times = ['1999-12-31 23:59:59.9995+00', '0099-06-01 12:00:00.0015+00', '1500-01-01 00:00:00+00', '3000-01-01 00:00:00.999999+00',
    '0044-03-15 12:00:00.5 BC', '2026-03-01 08:00:00.1234+08', '1970-01-01 00:00:00+00', '2285-06-01 00:00:00.001+00', '9999-12-31 23:59:59.999999+00'];
  for (const [revision, at] of times.entries()) await sql('UPDATE events SET recorded_at = $3 WHERE stream = $1 AND revision = $2', [stream, revision, at]);
  await sql(`UPDATE events SET data = '{"s": "a\\"b\\\\c\\n\\u0001 /", "k\\"ey": 1, "": [], "é": {"z": 1e-7, "a": 123456789012345678, "m": 0.750, "b": -0}, "\\ud83d\\ude00": true, "\\uffff": false}'::jsonb WHERE stream = $1 AND revision = 1`, [stream]);
  await sql('UPDATE events SET revision = 9007199254740993 WHERE stream = $1 AND revision = 8', [stream]); // beyond 2^53
  await sql(`UPDATE events SET type = 'Typ"é\\', metadata = metadata || '{"big": 1e300, "deep": [[[[{"x": [null]}]]]]}'::jsonb WHERE stream = $1 AND revision = 2`, [stream]);
  await expectSameAsAdapter([stream]);
});

it('gives the adapter’s reason for content that cannot be hashed, and fails where the adapter’s read fails', async () => {
  const stream = newTicketStream();
  await t.store.append(stream, [newTestEvent('TicketReplied', { message: 'a' }), newTestEvent('TicketReplied', { message: 'b' })], 'no_stream');
  await sql(`UPDATE events SET data = '{"n": 1e400}'::jsonb WHERE stream = $1 AND revision = 1`, [stream]);
  await expectSameAsAdapter([stream]);
  expect((await readStreams(t.pool, [stream])).get(stream)![1]!.recomputed).toEqual(new Error('Infinity is not allowed'));
  await sql(`UPDATE events SET recorded_at = 'infinity' WHERE stream = $1 AND revision = 0`, [stream]);
  await expect(t.store.readStream(stream)).rejects.toThrow(TypeError);
  await expect(readStreams(t.pool, [stream])).rejects.toThrow(TypeError);
});

it('reads exactly the streams asked for among names of any prefix, case, script and quoting (the range of the names in the database\'s collation)', async () => {
  const tag = newTicketStream().slice(-12);
  const names = ['A', 'Z', 'a', 'ticket-', 'ticket-~', 'reporter-', '通办-', '😀-', '\uff01-', 'NULL', 'x"y', 'x\\y', 'x,y', '{x}', ' x', 'x ', "it's", 'é', 'e\u0301', 'ß', 'ss']
    .map((n) => `${n}${tag}`);
  for (const stream of names) await t.store.append(stream, [newTestEvent('TicketReplied', { message: stream })], 'no_stream');
  for (let k = 0; k < 40; k++) {
    const asked = names.filter((_, i) => (i * 7 + k * 13) % 5 < 2 + (k % 3));
    const read = await readStreams(t.pool, [...asked, `ticket-none${tag}`]);
    expect([...read.keys()].sort()).toEqual([...asked].sort());
    for (const stream of asked) expect(read.get(stream)!.map((l) => [l.stream, l.revision, l.recomputed === l.hash])).toEqual([[stream, 0, true]]);
  }
  await expectSameAsAdapter(names);
});
