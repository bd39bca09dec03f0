/**
 * The rebuild (COPY into shadow tables) recreates exactly the rows the live projection wrote, also for
 * text COPY must escape (backslashes, tabs, newlines, `\N`, quotes in array elements) and for tickets
 * whose events span several read pages. Real PostgreSQL, the real adapter; the live rows come from
 * projectTicketEvent, event by event, as the consumer writes them.
 */
import { newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import { copyInto, copyRow } from './copy-in';
import { projectTicketEvent } from './read-models/projection';
import { rebuildReadModels } from './rebuild';
import { type QueryTestDb, createQueryTestDb } from './testing/test-db';

let t: QueryTestDb;
beforeAll(async () => { t = await createQueryTestDb(); });
afterAll(async () => { await t?.dispose(); });

const TRICKY = ['back\\slash \\N', 'tab\there', 'line\nbreak\r\n', 'quote " and \'', '\\N', '通办 ꆈꌠ 😀', ''];

/** A ticket submitted with `text` everywhere a citizen writes, routed, accepted and answered (4 events). */
async function ticket(text: string, unit: string): Promise<string> {
  const stream = newTicketStream();
  const ticketId = stream.slice('ticket-'.length);
  const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
  const citizen = { actor: { kind: 'citizen', id: `dev-${text}` }, occurredAt: at(0) };
  const staff = { actor: { kind: 'staff', id: `admin@${unit}`, unitId: unit, role: 'admin' } };
  await t.store.append(stream, [
    newTestEvent('TicketSubmitted', {
      ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, serviceCode: 'road-transport', division: '513401', title: text, description: `${text}\n${text}`,
      address: text, channel: 'app', reporter: { deviceId: `dev-${text}`, name: text, phone: '', email: '' }, attributes: { [text || 'k']: text },
      submittedAt: at(0), policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
    }, citizen),
    newTestEvent('TicketRouted', { unitId: unit, division: '513401', reason: 'submitted' }, { ...staff, occurredAt: at(1) }),
    newTestEvent('TicketAccepted', { unitId: unit, staffId: `admin@${unit}`, firstResponder: true }, { ...staff, occurredAt: at(2) }),
    newTestEvent('TicketReplied', { message: text, public: true, staffId: `admin@${unit}` }, { ...staff, occurredAt: at(3) }),
  ], 'no_stream');
  for (const e of await t.store.readStream(stream)) await projectTicketEvent(t.pool, t.store, e);
  return ticketId;
}

const rows = async (table: string) => (await t.pool.query(`SELECT * FROM ${table} ORDER BY ticket_id`)).rows.map(({ changed_xid: _x, ...rest }) => rest);

it('rebuilds the rows the projection wrote, text COPY must escape included, tickets spanning pages included', async () => {
  for (const [i, text] of TRICKY.entries()) await ticket(text, i % 2 ? 'adm-513401' : 'unit "a\\b", {x}');
  const live = { views: await rows('ticket_views'), stats: await rows('ticket_stats') };
  expect(live.views).toHaveLength(TRICKY.length);
  expect(live.views.map((v) => (v as { state: { title: string } }).state.title).sort()).toEqual([...TRICKY].sort());

  const compression = async () => (await t.pool.query(`SELECT attcompression AS c FROM pg_attribute WHERE attrelid = 'ticket_views'::regclass AND attname = 'state'`)).rows[0]!.c as string;
  const stateCompression = await compression(); // 'l' (lz4, migration 003) on a server built with lz4

  // Pages of 3 events: every ticket (4 events) is cut across pages; COPY batches of 2 tickets.
  const progress = { events: 0, tickets: 0 };
  const result = await rebuildReadModels(t.pool, t.store, {
    pageSize: 3, writeBatch: 2, onProgress: (p) => Object.assign(progress, p),
  });
  expect(result).toMatchObject({ tickets: TRICKY.length, events: TRICKY.length * 4 });
  // The progress adds up to the result (the last ticket, finished after the last page, included).
  expect(progress).toEqual({ events: result.events, tickets: result.tickets });
  expect(await rows('ticket_views')).toEqual(live.views);
  expect(await rows('ticket_stats')).toEqual(live.stats);
  // The rebuilt table keeps the column's compression method.
  expect(await compression()).toBe(stateCompression);
});

it('a rebuild that fails part-way changes nothing and is retried cleanly', async () => {
  for (let i = 0; i < 12; i++) await ticket(TRICKY[i % TRICKY.length]!, i % 3 ? 'adm-513401' : 'adm-513402');
  const live = { views: await rows('ticket_views'), stats: await rows('ticket_stats') };
  expect(live.views.length).toBeGreaterThanOrEqual(12);
  const events = live.views.length * 4;

  // Failing after the first page (shadow tables left half full, a COPY batch written): the live tables are as they were.
  await expect(rebuildReadModels(t.pool, t.store, {
    pageSize: 8, writeBatch: 1, onProgress: () => { throw new Error('killed mid-way'); },
  })).rejects.toThrow('killed mid-way');
  expect(await rows('ticket_views')).toEqual(live.views);
  expect(await rows('ticket_stats')).toEqual(live.stats);

  // The retry starts from fresh shadow tables.
  const retried = await rebuildReadModels(t.pool, t.store, { pageSize: 5 });
  expect(retried).toMatchObject({ tickets: live.views.length, events });
  expect(await rows('ticket_views')).toEqual(live.views);
  expect(await rows('ticket_stats')).toEqual(live.stats);

  // No connection goes back to the pool with the scan's planner settings.
  const clients = await Promise.all(Array.from({ length: 8 }, () => t.pool.connect()));
  try {
    for (const c of clients) expect((await c.query('SHOW enable_seqscan')).rows[0]).toEqual({ enable_seqscan: 'on' });
  } finally {
    for (const c of clients) c.release();
  }
}, 120_000);

it('catches up, in batches, the events committed after the position it starts from', async () => {
  const ids = [await ticket('catch-up a', 'adm-513401'), await ticket('catch-up b', 'adm-513401')];
  // An open transaction holding an xid keeps the snapshot horizon, hence the rebuild's start, before the replies.
  const holder = await t.pool.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_current_xact_id()');
    const staff = { actor: { kind: 'staff', id: 'admin@adm-513401', unitId: 'adm-513401', role: 'admin' }, occurredAt: '2026-01-01T01:00:00.000Z' };
    for (const id of ids) {
      await t.store.append(`ticket-${id}`, [newTestEvent('TicketReplied', { message: 'later', public: true, staffId: 'admin@adm-513401' }, staff)], 3);
      await projectTicketEvent(t.pool, t.store, (await t.store.readStream(`ticket-${id}`, { fromRevision: 4 }))[0]!);
    }
    const live = { views: await rows('ticket_views'), stats: await rows('ticket_stats') };
    let released: Promise<unknown> | undefined;
    const result = await rebuildReadModels(t.pool, t.store, { onProgress: () => { released ??= holder.query('COMMIT'); } });
    await released;
    expect(result.caughtUp).toBeGreaterThanOrEqual(ids.length);
    expect(await rows('ticket_views')).toEqual(live.views);
    expect(await rows('ticket_stats')).toEqual(live.stats);
  } finally {
    holder.release();
  }
});

it('COPY refuses a malformed row with the server error and leaves the connection usable', async () => {
  const client = await t.pool.connect();
  try {
    await client.query('CREATE TEMP TABLE copy_probe (id integer NOT NULL, tags text[], doc jsonb, ok boolean)');
    const good = copyRow([1, ['a"b', 'c\\d', null, 'e\tf'], { s: 'x\ny\\z' }, true]) + copyRow([2, null, null, null]);
    expect(await copyInto(client, 'copy_probe', ['id', 'tags', 'doc', 'ok'], good)).toBe(2);
    const { rows: back } = await client.query('SELECT id, tags, doc, ok FROM copy_probe ORDER BY id');
    expect(back).toEqual([{ id: 1, tags: ['a"b', 'c\\d', null, 'e\tf'], doc: { s: 'x\ny\\z' }, ok: true }, { id: 2, tags: null, doc: null, ok: null }]);
    await expect(copyInto(client, 'copy_probe', ['id', 'tags', 'doc', 'ok'], copyRow(['not a number', null, null, null]))).rejects.toThrow(/invalid input syntax for type integer/);
    expect(() => copyRow([Number.NaN])).toThrow(/not a finite number/);
    expect((await client.query('SELECT count(*)::int AS n FROM copy_probe')).rows[0]).toEqual({ n: 2 });
  } finally {
    client.release();
  }
});
