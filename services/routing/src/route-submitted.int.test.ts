/**
 * Routing's consumer of TicketSubmitted as the safety net (issue 13), against a real PostgreSQL: intake
 * routes a ticket in its submission's append, so a batch of submissions costs one read of their streams
 * and no append; a ticket submitted without its routing (an older intake) is routed, with the TicketRouted
 * intake would have written (same id, data, causation, correlation, actor and channel).
 */
import { type ActorContext, type TicketCommand, ticketStream } from '@tongban/domain';
import { type EventStore, PostgresEventStore, type RecordedEvent } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { TicketExecutor, initialRoutingFollowUp, routedEventId, systemClock } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase } from '@tongban/testing';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { routeSubmittedTicket, routeSubmittedTickets } from './route-submitted';

const ref = loadReferenceData();
const CITIZEN: ActorContext = { kind: 'citizen', id: 'device-routing' };

let db: TestDatabase;
let pool: pg.Pool;
let store: PostgresEventStore;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  store = await PostgresEventStore.create(pool, systemClock);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const submitCommand = (ticketId: string): Extract<TicketCommand, { type: 'SubmitTicket' }> => ({
  type: 'SubmitTicket', ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, serviceCode: 'dangerous-structure', division: '513437100001',
  title: '危墙', description: '围墙出现裂缝', address: '', channel: 'app',
  reporter: { deviceId: CITIZEN.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
  attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
});

/** Submits a ticket as intake does (routed in the same append), or as an older intake did (`routed: false`). */
async function submit(executor: TicketExecutor, routed: boolean): Promise<RecordedEvent> {
  const ticketId = uuidv7();
  const command = submitCommand(ticketId);
  const then = routed ? initialRoutingFollowUp(ref, command) : undefined;
  await executor.execute(ticketId, command, CITIZEN, { correlationId: `corr-${ticketId}`, channel: 'app', eventId: () => ticketId, ...(then ? { then } : {}) });
  return (await store.readStream(ticketStream(ticketId)))[0]!;
}

/** The store, counting what routing asks of it. */
function counting(inner: EventStore): { store: EventStore; calls: Record<string, number> } {
  const calls: Record<string, number> = { append: 0, readStream: 0, readStreams: 0 };
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (typeof name === 'string' && name in calls) calls[name]! += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

/** A TicketRouted without what differs by ticket (ids, correlation) or writer (service, instant). */
const comparable = (e: RecordedEvent, cause: RecordedEvent) => ({
  type: e.type, revision: e.revision, data: e.data,
  metadata: { ...e.metadata, service: undefined, occurredAt: undefined, causationId: e.metadata.causationId === cause.id, correlationId: e.metadata.correlationId === cause.metadata.correlationId },
});

it('given a batch of tickets intake routed, when the consumer handles it, then it reads their streams once and appends nothing', async () => {
  const intake = new TicketExecutor({ store, ref, clock: systemClock, service: 'intake' });
  const events = [await submit(intake, true), await submit(intake, true), await submit(intake, true)];
  const spy = counting(store);
  const deps = { executor: new TicketExecutor({ store: spy.store, ref, clock: systemClock, service: 'routing' }), ref, store: spy.store };
  // A redelivered event in the batch changes nothing either.
  await expect(routeSubmittedTickets(deps, [...events, events[0]!])).resolves.toBe(0);
  expect(spy.calls).toEqual({ append: 0, readStream: 0, readStreams: 1 });
  for (const event of events) expect((await store.readStream(event.stream)).map((e) => e.type)).toEqual(['TicketSubmitted', 'TicketRouted']);
});

it('given a ticket submitted without its routing beside routed ones, then only it is routed, as intake would have routed it', async () => {
  const intake = new TicketExecutor({ store, ref, clock: systemClock, service: 'intake' });
  const routedByIntake = await submit(intake, true);
  const older = await submit(intake, false);
  const spy = counting(store);
  const deps = { executor: new TicketExecutor({ store: spy.store, ref, clock: systemClock, service: 'routing' }), ref, store: spy.store };
  await expect(routeSubmittedTickets(deps, [routedByIntake, older])).resolves.toBe(1);
  expect(spy.calls).toMatchObject({ append: 1, readStreams: 1 });
  const [, routedHere, ...rest] = await store.readStream(older.stream);
  expect(rest).toEqual([]);
  expect(routedHere!.metadata).toMatchObject({ service: 'routing', causationId: older.id, correlationId: older.metadata.correlationId });
  // The same event as intake's but for the ticket (its ids, data and metadata bar the writer and the instant).
  const [, routedInIntake] = await store.readStream(routedByIntake.stream);
  expect(routedHere!.id).toBe(routedEventId(older.id, 0));
  expect(routedInIntake!.id).toBe(routedEventId(routedByIntake.id, 0));
  expect(comparable(routedHere!, older)).toEqual(comparable(routedInIntake!, routedByIntake));
  // And a redelivery (batch or single) finds it routed: nothing more.
  await expect(routeSubmittedTickets(deps, [older])).resolves.toBe(0);
  await routeSubmittedTicket(deps, older);
  expect(await store.readStream(older.stream)).toHaveLength(2);
  expect(spy.calls.append).toBe(1);
});

it('given intake\'s routing and the consumer\'s racing for one ticket, then one TicketRouted is stored (the same id: an idempotent repeat)', async () => {
  const plain = new TicketExecutor({ store, ref, clock: systemClock, service: 'intake' });
  const older = await submit(plain, false);
  const deps = { executor: new TicketExecutor({ store, ref, clock: systemClock, service: 'routing' }), ref, store };
  await Promise.all([routeSubmittedTicket(deps, older), routeSubmittedTicket(deps, older), routeSubmittedTickets(deps, [older])]);
  expect((await store.readStream(older.stream)).map((e) => e.type)).toEqual(['TicketSubmitted', 'TicketRouted']);
});

it('given a ticket no unit is responsible for in a batch, then the batch fails and so does the ticket alone (retried, then dead-lettered), while a routed ticket is a no-op whatever the reference data says of its division', async () => {
  const intake = new TicketExecutor({ store, ref, clock: systemClock, service: 'intake' });
  const routed = await submit(intake, true);
  const orphan = await submit(intake, false);
  const noUnit = { ...ref, responsibleUnit: () => undefined };
  const deps = { executor: new TicketExecutor({ store, ref: noUnit, clock: systemClock, service: 'routing' }), ref: noUnit, store };
  // The consumer then hands each event to the single handler: the routed one is a no-op, the orphan fails again.
  await expect(routeSubmittedTickets(deps, [routed, orphan])).rejects.toThrow(`no administration unit for division ${String(orphan.data['division'])}`);
  await expect(routeSubmittedTicket(deps, orphan)).rejects.toThrow('no administration unit');
  await routeSubmittedTicket(deps, routed);
  expect((await store.readStream(orphan.stream)).map((e) => e.type)).toEqual(['TicketSubmitted']);
  expect((await store.readStream(routed.stream)).map((e) => e.type)).toEqual(['TicketSubmitted', 'TicketRouted']);
});
