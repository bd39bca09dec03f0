/**
 * Tampering done directly in SQL is detected and located: a changed payload byte, a changed actor, a
 * deleted middle event, a truncated tail (with and without fixing the head row), two events swapped, a
 * whole stream deleted, and a chain rewritten with recomputed hashes. Real PostgreSQL, the real adapter.
 */
import { GENESIS_HASH, computeEventHash } from '@tongban/eventstore';
import { newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import { type QueryTestDb, anchorUntilCovered, createQueryTestDb } from '../testing/test-db';
import { verifyAnchorStream } from './anchors';
import { candidateTicketStreams, verifyStream, verifyStreams } from './evidence';
import { ANCHOR_STREAM } from './streams';

let t: QueryTestDb;
beforeAll(async () => { t = await createQueryTestDb(); });
afterAll(async () => { await t?.dispose(); });

/** A ticket stream with `n` events (revisions 0..n-1), anchored afterwards unless `anchor` is false. */
async function ticket(n = 6, anchor = true): Promise<string> {
  const stream = newTicketStream();
  const events = Array.from({ length: n }, (_, i) => newTestEvent('TicketReplied', { message: `reply ${i}`, public: true, staffId: 'admin@adm-5134' },
    { actor: { kind: 'staff', id: 'admin@adm-5134', unitId: 'adm-5134', role: 'admin' } }));
  await t.store.append(stream, events, 'no_stream');
  if (anchor) await anchorUntilCovered(t, stream);
  return stream;
}

const sql = (text: string, params: unknown[] = []) => t.pool.query(text, params);

it('an untouched stream is intact and anchored', async () => {
  const stream = await ticket();
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: true, checkedEvents: 6, lastRevision: 5, anchor: { revision: 5 } });
});

it('a changed payload byte names its revision', async () => {
  const stream = await ticket();
  await sql(`UPDATE events SET data = jsonb_set(data, '{message}', '"reply 3!"') WHERE stream = $1 AND revision = 3`, [stream]);
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: false, firstBadRevision: 3 });
  expect(v.reason).toMatch(/revision 3: hash does not match/);
});

it('a changed actor names its revision', async () => {
  const stream = await ticket();
  await sql(`UPDATE events SET metadata = jsonb_set(metadata, '{actor,id}', '"admin@adm-513401"') WHERE stream = $1 AND revision = 2`, [stream]);
  expect(await verifyStream(t.pool, t.store, stream)).toMatchObject({ intact: false, firstBadRevision: 2 });
});

it('a deleted middle event names the missing revision', async () => {
  const stream = await ticket();
  await sql('DELETE FROM events WHERE stream = $1 AND revision = 2', [stream]);
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: false, firstBadRevision: 2 });
  expect(v.reason).toMatch(/revision 2 is missing/);
});

it('a truncated tail names the first missing revision (from the head row)', async () => {
  const stream = await ticket();
  await sql('DELETE FROM events WHERE stream = $1 AND revision >= 4', [stream]);
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: false, firstBadRevision: 4 });
  expect(v.reason).toMatch(/tail truncated: the head row records revision 5/);
});

it('a truncated tail with a fixed head row is caught by the anchor', async () => {
  const stream = await ticket();
  await sql('DELETE FROM events WHERE stream = $1 AND revision >= 4', [stream]);
  await sql(`UPDATE streams SET last_revision = 3, last_hash = (SELECT hash FROM events WHERE stream = $1 AND revision = 3) WHERE stream = $1`, [stream]);
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: false, firstBadRevision: 4 });
  expect(v.reason).toMatch(/tail truncated: anchor #\d+ .*recorded revision 5, the stream ends at revision 3/);
});

it('two swapped events name the first swapped revision', async () => {
  const stream = await ticket();
  await sql('UPDATE events SET revision = 1000 WHERE stream = $1 AND revision = 2', [stream]);
  await sql('UPDATE events SET revision = 2 WHERE stream = $1 AND revision = 3', [stream]);
  await sql('UPDATE events SET revision = 3 WHERE stream = $1 AND revision = 1000', [stream]);
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: false, firstBadRevision: 2 });
  expect(v.reason).toMatch(/prevHash/);
});

it('a whole stream deleted (events and head row) is caught by the anchor and still visited by a full scan', async () => {
  const stream = await ticket();
  await sql('DELETE FROM events WHERE stream = $1', [stream]);
  await sql('DELETE FROM streams WHERE stream = $1', [stream]);
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: false, firstBadRevision: 0, stream });
  expect(v.reason).toContain(`stream ${stream} has no events, but anchor #`);
  // A verification of everything visits it although nothing but the anchor remembers it.
  const seen: string[] = [];
  for (let after: string | undefined; ;) {
    const page = await candidateTicketStreams(t.pool, { limit: 3, ...(after ? { after } : {}) });
    seen.push(...page.streams);
    if (!page.next) break;
    after = page.next;
  }
  expect(seen).toContain(stream);
  expect(seen).toEqual([...new Set(seen)].sort());
  const [again] = await verifyStreams(t.pool, [stream]);
  expect(again).toMatchObject({ intact: false, firstBadRevision: 0 });
});

it('a chain rewritten with recomputed hashes (and a fixed head row) is caught by the anchors, after the last matching anchor', async () => {
  const stream = newTicketStream();
  const event = (i: number) => newTestEvent('TicketReplied', { message: `reply ${i}`, public: true });
  await t.store.append(stream, [event(0), event(1)], 'no_stream');
  await anchorUntilCovered(t, stream);
  await t.store.append(stream, [event(2), event(3), event(4), event(5)], 1);
  await anchorUntilCovered(t, stream);
  // Rewrite revision 3 and re-chain 3..5 so that every hash and the head row are consistent again.
  const rows = await t.store.readStream(stream);
  let prev = rows[2]!.hash;
  for (const e of rows.slice(3)) {
    const data = e.revision === 3 ? { ...e.data, message: 'nothing happened' } : e.data;
    const hash = computeEventHash(prev, { ...e, data });
    await sql('UPDATE events SET data = $3, prev_hash = $4, hash = $5 WHERE stream = $1 AND revision = $2', [stream, e.revision, data, prev, hash]);
    prev = hash;
  }
  await sql('UPDATE streams SET last_hash = $2 WHERE stream = $1', [stream, prev]);
  expect(prev).not.toBe(GENESIS_HASH);
  const v = await verifyStream(t.pool, t.store, stream);
  expect(v).toMatchObject({ intact: false, firstBadRevision: 2 });
  expect(v.reason).toMatch(/chain rewritten: revision 5 differs from anchor #\d+.*the last revision matching an anchor is 1/);
});

it('the anchors verify, and an altered anchor or lookup row is reported', async () => {
  await ticket(3);
  const before = await verifyAnchorStream(t.pool, t.store);
  expect(before).toMatchObject({ intact: true, problems: [] });
  expect(before.checkedAnchors).toBeGreaterThan(0);
  // Deleting a lookup row (to hide a deletion from single-ticket verification) is noticed.
  const { rows } = await sql('DELETE FROM audit_anchor_heads WHERE anchor_revision = 0 AND stream = (SELECT min(stream) FROM audit_anchor_heads WHERE anchor_revision = 0) RETURNING stream');
  expect(rows).toHaveLength(1);
  const afterLookup = await verifyAnchorStream(t.pool, t.store);
  expect(afterLookup).toMatchObject({ intact: false, firstBadRevision: 0 });
  expect(afterLookup.problems[0]).toMatch(/audit_anchor_heads disagrees with anchor #0/);
  // Altering an anchor's recorded head breaks its hash.
  await sql(`UPDATE events SET data = jsonb_set(data, '{heads,0,revision}', '99') WHERE stream = $1 AND revision = 1`, [ANCHOR_STREAM]);
  const afterAnchor = await verifyAnchorStream(t.pool, t.store);
  expect(afterAnchor.problems.some((p) => /audit-anchors: revision 1: hash does not match/.test(p))).toBe(true);
});
