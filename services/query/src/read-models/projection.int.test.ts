/**
 * The live projection of a consumer's batch (projectTicketEvents): whatever the batch holds — several
 * tickets, a ticket's events out of order, twice, or with a gap, the same batch delivered again — the
 * rows are those the events give one by one (and a rebuild gives), in at most two statements when nothing
 * is missing, one when the rows need not be read. Real PostgreSQL, the real adapter.
 */
import fc from 'fast-check';
import type { RecordedEvent } from '@tongban/eventstore';
import { newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import { LatestStates } from '@tongban/runtime';
import { rebuildReadModels } from '../rebuild';
import { type QueryTestDb, createQueryTestDb } from '../testing/test-db';
import { type StoredView, foldTicket, projectTicketEvents } from './projection';

let t: QueryTestDb;
beforeAll(async () => { t = await createQueryTestDb(); });
afterAll(async () => { await t?.dispose(); });

/** A ticket submitted, routed, accepted and answered (revisions 0–3). */
async function ticket(unit: string): Promise<RecordedEvent[]> {
  const stream = newTicketStream();
  const ticketId = stream.slice('ticket-'.length);
  const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
  const staff = { actor: { kind: 'staff', id: `admin@${unit}`, unitId: unit, role: 'admin' } };
  await t.store.append(stream, [
    newTestEvent('TicketSubmitted', {
      ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, serviceCode: 'road-transport', division: '513401', title: 'pothole', description: 'deep',
      address: 'x', channel: 'app', reporter: { deviceId: `dev-${ticketId}`, name: '', phone: '', email: '' }, attributes: {},
      submittedAt: at(0), policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
    }, { actor: { kind: 'citizen', id: `dev-${ticketId}` }, occurredAt: at(0) }),
    newTestEvent('TicketRouted', { unitId: unit, division: '513401', reason: 'submitted' }, { ...staff, occurredAt: at(1) }),
    newTestEvent('TicketAccepted', { unitId: unit, staffId: `admin@${unit}`, firstResponder: true }, { ...staff, occurredAt: at(2) }),
    newTestEvent('TicketReplied', { message: 'on it', public: true, staffId: `admin@${unit}` }, { ...staff, occurredAt: at(3) }),
  ], 'no_stream');
  return t.store.readStream(stream);
}

const view = async (ticketId: string) =>
  (await t.pool.query<{ revision: number; state: unknown }>('SELECT revision, state FROM ticket_views WHERE ticket_id = $1', [ticketId])).rows[0];
const stats = async (ticketId: string) =>
  (await t.pool.query<{ revision: number }>('SELECT revision FROM ticket_stats WHERE ticket_id = $1', [ticketId])).rows[0]?.revision;
const idOf = (events: RecordedEvent[]) => events[0]!.stream.slice('ticket-'.length);

/**
 * Counts the statements sent through the pool while `fn` runs — not the event store's `pg_notify` after the appends
 * made just before (sent on the same pool a few ms later, and later still on a busy machine: it was counted once).
 */
async function statements(fn: () => Promise<void>): Promise<number> {
  const query = t.pool.query.bind(t.pool);
  let n = 0;
  t.pool.query = ((...args: Parameters<typeof query>) => {
    if (!(typeof args[0] === 'string' && args[0].includes('pg_notify'))) n += 1;
    return query(...args);
  }) as typeof t.pool.query;
  try { await fn(); } finally { t.pool.query = query; }
  return n;
}

it('projects several tickets in one write, and a gap, reordering and duplicates like one by one', async () => {
  const [a, b, c] = [await ticket('adm-513401'), await ticket('adm-513402'), await ticket('adm-513401')];
  // a: in order and one twice; b: its first two; c: revision 1 before 0. Every ticket from its revision 0:
  // nothing to read, one statement.
  expect(await statements(() => projectTicketEvents(t.pool, t.store, [a[0]!, b[0]!, c[1]!, a[1]!, a[1]!, b[1]!, c[0]!, a[2]!]))).toBe(1);
  expect(await view(idOf(a))).toEqual({ revision: 2, state: foldTicket(a.slice(0, 3)).state });
  expect(await view(idOf(b))).toEqual({ revision: 1, state: foldTicket(b.slice(0, 2)).state });
  expect(await view(idOf(c))).toEqual({ revision: 1, state: foldTicket(c.slice(0, 2)).state });
  // b jumps to 3 (revision 2 missing: read from the store); c's revision 0 again changes nothing; a is done.
  await projectTicketEvents(t.pool, t.store, [b[3]!, c[0]!, a[3]!]);
  expect(await view(idOf(b))).toEqual({ revision: 3, state: foldTicket(b).state });
  expect(await view(idOf(c))).toEqual({ revision: 1, state: foldTicket(c.slice(0, 2)).state });
  expect(await view(idOf(a))).toEqual({ revision: 3, state: foldTicket(a).state });
  expect(await stats(idOf(b))).toBe(3);
  // The whole batch delivered again, then the rest: everything at its last revision, stats too.
  const all = [...a, ...b, ...c].reverse();
  await projectTicketEvents(t.pool, t.store, all);
  await projectTicketEvents(t.pool, t.store, all);
  for (const events of [a, b, c]) {
    expect(await view(idOf(events))).toEqual({ revision: 3, state: foldTicket(events).state });
    expect(await stats(idOf(events))).toBe(3);
  }
  // An old event (a redelivery) reads the row and writes nothing; a revision 0 again changes nothing either.
  expect(await statements(() => projectTicketEvents(t.pool, t.store, [b[2]!]))).toBe(1);
  await projectTicketEvents(t.pool, t.store, [a[0]!]);
  expect(await view(idOf(a))).toEqual({ revision: 3, state: foldTicket(a).state });

  // The rows equal those a rebuild writes from the store.
  const rows = async (table: string) => (await t.pool.query(`SELECT * FROM ${table} ORDER BY ticket_id`)).rows.map(({ changed_xid: _x, ...rest }) => rest);
  const live = { views: await rows('ticket_views'), stats: await rows('ticket_stats') };
  await rebuildReadModels(t.pool, t.store);
  expect(await rows('ticket_views')).toEqual(live.views);
  expect(await rows('ticket_stats')).toEqual(live.stats);
});

it('folds the next events of a row written here without reading it back; an entry behind the table changes nothing', async () => {
  const [a, b] = [await ticket('adm-513401'), await ticket('adm-513402')];
  const written = new LatestStates<StoredView>(1);
  expect(await statements(() => projectTicketEvents(t.pool, t.store, [a[0]!], written))).toBe(1);
  expect(await statements(() => projectTicketEvents(t.pool, t.store, [a[1]!], written))).toBe(1); // no read
  expect(await view(idOf(a))).toEqual({ revision: 1, state: foldTicket(a.slice(0, 2)).state });
  // Another replica moves a to revision 3; this one, still remembering revision 1, gets revision 3 again.
  await projectTicketEvents(t.pool, t.store, a.slice(2));
  await projectTicketEvents(t.pool, t.store, [a[3]!], written);
  expect(await view(idOf(a))).toEqual({ revision: 3, state: foldTicket(a).state });
  // One ticket remembered: writing b forgets a, whose next event reads its row again.
  await projectTicketEvents(t.pool, t.store, [b[0]!], written);
  expect(written.get(idOf(a))).toBeUndefined();
  expect(written.get(idOf(b))?.revision).toBe(0);
  expect(await statements(() => projectTicketEvents(t.pool, t.store, [a[2]!], written))).toBe(1); // read, nothing newer
});

it('writes nothing of a batch that fails part-way (a gap the store cannot read), and leaves the states it folds from unchanged', async () => {
  const [a, b] = [await ticket('adm-513401'), await ticket('adm-513402')];
  await projectTicketEvents(t.pool, t.store, [a[0]!, b[0]!]);
  const before = { a: await view(idOf(a)), b: await view(idOf(b)) };
  // a moves without a gap; b has one (revision 1 missing) and its read fails: the whole batch fails, nothing is written.
  const failing = Object.create(t.store) as typeof t.store;
  failing.readStream = () => Promise.reject(Object.assign(new Error('connection terminated'), { code: '57P01' }));
  await expect(projectTicketEvents(t.pool, failing, [a[1]!, a[2]!, b[2]!])).rejects.toThrow('connection terminated');
  expect({ a: await view(idOf(a)), b: await view(idOf(b)) }).toEqual(before);
  // One by one afterwards (as the consumer does): the rows the events give.
  for (const e of [a[1]!, a[2]!, b[2]!]) await projectTicketEvents(t.pool, t.store, [e]);
  expect(await view(idOf(a))).toEqual({ revision: 2, state: foldTicket(a.slice(0, 3)).state });
  expect(await view(idOf(b))).toEqual({ revision: 2, state: foldTicket(b.slice(0, 3)).state });
  // foldTicket from a state (the stored row's, or a caller's) does not change it.
  const from = foldTicket(a.slice(0, 2));
  const copy = structuredClone(from);
  const after = foldTicket(a.slice(2), from);
  expect(from).toEqual(copy);
  expect(after.state).toEqual(foldTicket(a).state);
  expect(foldTicket([], from).state).toEqual(copy.state);
});

it('any deliveries (shuffled, repeated, in batches of any size, with a small memory of rows written) end at the rows the events give', async () => {
  const tickets = [await ticket('adm-513401'), await ticket('adm-513402'), await ticket('adm-513401')];
  const all = tickets.flat();
  // Each event delivered once or twice, in any order, cut into batches of 1 to 5; rows remembered: 0 to 2.
  const deliveries = fc.record({
    order: fc.shuffledSubarray([...all.keys(), ...all.keys()], { minLength: all.length * 2 }),
    extra: fc.array(fc.nat(all.length - 1), { maxLength: 4 }),
    cuts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 30, maxLength: 30 }),
    capacity: fc.integer({ min: 0, max: 2 }),
  });
  for (const { order, extra, cuts, capacity } of fc.sample(deliveries, { numRuns: 12, seed: 1913 })) {
    await t.pool.query('TRUNCATE ticket_views, ticket_stats');
    const written = capacity > 0 ? new LatestStates<StoredView>(capacity) : undefined;
    const sequence = [...order, ...extra].map((i) => all[i]!);
    for (let at = 0, k = 0; at < sequence.length; at += cuts[k++ % cuts.length]!) {
      await projectTicketEvents(t.pool, t.store, sequence.slice(at, at + cuts[k % cuts.length]!), written);
    }
    for (const events of tickets) {
      expect(await view(idOf(events))).toEqual({ revision: 3, state: foldTicket(events).state });
      expect(await stats(idOf(events))).toBe(3);
    }
  }
});
