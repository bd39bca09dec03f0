/**
 * The anchor role: anchors every stream changed since the last anchor (and nothing twice), never skips a
 * late-committing transaction, bounds each anchor's size, and runs in one replica at a time.
 */
import { newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import { waitFor } from '@tongban/testing';
import { type QueryTestDb, anchorUntilCovered, createQueryTestDb } from '../testing/test-db';
import { type AnchorData, recordAnchors, startAnchorRole } from './anchors';
import { merkleRoot } from './merkle';
import { ANCHOR_STREAM } from './streams';

let t: QueryTestDb;
beforeEach(async () => { t = await createQueryTestDb(); });
afterEach(async () => { await t?.dispose(); });

const deps = () => ({ pool: t.pool, store: t.store, clock: t.clock });
const anchors = async () => (await t.store.readStream(ANCHOR_STREAM)).map((e) => e.data as unknown as AnchorData);

it('records the head of every changed stream once, with a Merkle root, and the lookup rows', async () => {
  const [a, b] = [newTicketStream(), newTicketStream()];
  await t.store.append(a, [newTestEvent(), newTestEvent()], 'no_stream');
  await t.store.append(b, [newTestEvent()], 'no_stream');
  await anchorUntilCovered(t, a);
  await anchorUntilCovered(t, b);
  expect(await recordAnchors(deps())).toEqual({ anchors: 0, heads: 0, events: 0 });
  await t.store.append(a, [newTestEvent()], 1);
  await anchorUntilCovered(t, a);
  const all = await anchors();
  // Every event is covered once; consecutive anchors cover consecutive ranges.
  expect(all.reduce((n, x) => n + x.eventCount, 0)).toBe(4);
  all.slice(1).forEach((x, i) => expect(x.fromPosition).toEqual(all[i]!.toPosition));
  for (const x of all) expect(x.merkleRoot).toBe(merkleRoot(x.heads));
  const heads = all.flatMap((x, i) => x.heads.map((h) => [i, h.stream, h.revision]));
  expect(heads.filter(([, s]) => s === b).map(([, , r]) => r)).toEqual([0]);
  expect(heads.filter(([, s]) => s === a).map(([, , r]) => r).pop()).toBe(2);
  const { rows } = await t.pool.query('SELECT stream, anchor_revision AS "anchor", revision FROM audit_anchor_heads ORDER BY anchor_revision, stream');
  expect(rows).toEqual(heads.map(([anchor, stream, revision]) => ({ stream, anchor, revision })));
});

it('waits for a transaction that is still running rather than skipping it', async () => {
  const early = await t.pool.connect();
  try {
    await early.query('BEGIN');
    await early.query('SELECT pg_current_xact_id()'); // holds an xid older than the appends below
    const s = newTicketStream();
    await t.store.append(s, [newTestEvent()], 'no_stream');
    expect((await recordAnchors(deps())).anchors).toBe(0);
    await early.query('COMMIT');
    await anchorUntilCovered(t, s);
  } finally {
    early.release();
  }
});

it('splits a large range into anchors of at most batchSize events', async () => {
  for (let i = 0; i < 5; i++) await t.store.append(newTicketStream(), [newTestEvent(), newTestEvent()], 'no_stream');
  await waitFor(async () => {
    await recordAnchors(deps(), { batchSize: 4 });
    return (await anchors()).reduce((n, a) => n + a.eventCount, 0) === 10;
  }, { timeoutMs: 20_000, intervalMs: 50 });
  const counts = (await anchors()).map((a) => a.eventCount);
  expect(counts.every((n) => n <= 4)).toBe(true);
  expect(counts.length).toBeGreaterThanOrEqual(3);
});

it('runs in one replica at a time (advisory lock)', async () => {
  await t.store.append(newTicketStream(), [newTestEvent()], 'no_stream');
  const one = startAnchorRole({ ...deps(), intervalMs: 60_000 });
  const two = startAnchorRole({ ...deps(), intervalMs: 60_000 });
  try {
    expect(await one.runNow()).not.toBeNull();
    expect(await two.runNow()).toBeNull();
    await one.stop();
    expect(await two.runNow()).not.toBeNull();
  } finally {
    await one.stop();
    await two.stop();
  }
});
