/**
 * Issue 16 item 11, on real processes: events this code cannot read are never skipped silently.
 * - The store refuses a type that is not one NATS subject token.
 * - An event of an unregistered type in a ticket's stream is parked (dead letter + error log) by every
 *   consumer that receives it; reads and commands of that ticket answer 409 `undecodable_event` naming
 *   the revision (not 500).
 * - A stream opened by an unregistered type is parked too, with a log line.
 * - An already stored event whose type cannot be a subject (an older writer) is parked by the relay,
 *   which carries on: tickets submitted afterwards are routed.
 */
import { InvalidAppendError, PostgresEventStore, systemClock } from '@tongban/eventstore';
import { appendUnchecked, newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import type pg from 'pg';
import { waitForDeadLettersCli } from '../support/deadletters-cli';
import { submission } from '../support/load';
import { type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
let pool: pg.Pool;
let store: PostgresEventStore;
let citizen: string;
let admin: string;
beforeAll(async () => {
  stack = await startTestStack();
  pool = stack.pool(2);
  store = await PostgresEventStore.create(pool, systemClock);
  citizen = (await stack.device()).token;
  admin = await stack.staffToken('admin', '513437100');
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

const submit = async (n: number): Promise<string> => {
  const res = await stack.api('POST', '/api/v1/tickets', { token: citizen, headers: { 'idempotency-key': `unknown-events-${n}-${Date.now()}` }, body: submission(n) });
  expect(res.status).toBe(201);
  return res.body.id as string;
};

it('refuses to store a type that is not a subject token', async () => {
  await expect(store.append(newTicketStream(), [newTestEvent('Bogus.Event')], 'no_stream')).rejects.toThrow(InvalidAppendError);
});

it('parks an unknown event type with an alert; reads and commands of its ticket answer 409 naming the revision', async () => {
  const id = await submit(1);
  await stack.waitForTicket(id, citizen, (v) => v.status === 'routed', 30_000);
  await store.append(`ticket-${id}`, [newTestEvent('BogusEvent', { surprise: true })], 1); // after Submitted (0) and Routed (1)

  const parked = await waitForDeadLettersCli(stack.env, (all) => {
    const letters = all.filter((d) => d.event?.type === 'BogusEvent');
    return letters.length >= 3 ? letters : undefined;
  }, { description: 'the unknown event parked by query, deadline and notification' });
  const ns = stack.env['TONGBAN_NAMESPACE'];
  expect(parked.map((d) => d.consumer).sort()).toEqual([`${ns}-deadline-timers`, `${ns}-notification-inbox`, `${ns}-query-ticket-views`]);
  for (const d of parked) expect(d).toMatchObject({ reason: 'unknown_event_type', event: { stream: `ticket-${id}`, revision: 2 } });
  expect(stack.logs().some((line) => line.includes('event dead-lettered') && line.includes('BogusEvent') && line.includes('"level":50'))).toBe(true);

  const read = await stack.api('GET', `/api/v1/tickets/${id}`, { token: citizen });
  expect(read.status).toBe(409);
  expect(read.body.reason).toBe('undecodable_event');
  expect(read.body.detail).toContain('revision 2');
  expect(read.body.detail).toContain('BogusEvent');
  const command = await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin });
  expect(command.status).toBe(409);
  expect(command.body.reason).toBe('undecodable_event');
  expect(stack.unexpectedExits()).toEqual([]);
}, 120_000);

it('parks a stream opened by an unregistered type, and the relay parks a type that can never be published without holding back the rest', async () => {
  const mystery = newTicketStream();
  await store.append(mystery, [newTestEvent('MysteryOpened', {})], 'no_stream');
  const legacy = newTicketStream();
  await appendUnchecked(pool, legacy, newTestEvent('Legacy.Opened', {}));
  const after = await submit(2);
  // Submitted after the unpublishable event: routed all the same.
  await stack.waitForTicket(after, citizen, (v) => v.status === 'routed', 30_000);

  const letters = await waitForDeadLettersCli(stack.env, (all) => {
    const relay = all.filter((d) => d.event?.stream === legacy);
    const query = all.filter((d) => d.event?.stream === mystery && d.consumer.endsWith('-query-ticket-views'));
    return relay.length === 1 && query.length === 1 ? { relay: relay[0]!, query: query[0]! } : undefined;
  }, { description: 'both parked' });
  expect(letters.relay).toMatchObject({ consumer: `${stack.env['TONGBAN_NAMESPACE']}-relay`, reason: 'unpublishable_event', event: { type: 'Legacy.Opened' } });
  expect(letters.query).toMatchObject({ reason: 'unknown_event_type', event: { type: 'MysteryOpened', revision: 0 } });
  expect(stack.logs().some((line) => line.includes('event parked') && line.includes('Legacy.Opened'))).toBe(true);
  expect(stack.unexpectedExits()).toEqual([]);
}, 120_000);
