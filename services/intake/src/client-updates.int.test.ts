/**
 * Reporter follow-ups with a client update id (Open311 update_id, the API's Idempotency-Key) against a
 * real PostgreSQL: a repeat — sequential or concurrent, before or after the ticket moved on — writes
 * nothing and answers the first write's revision; another client or another update id writes anew; the
 * same id with another request is refused.
 */
import { Metadata, status } from '@grpc/grpc-js';
import type { Principal } from '@tongban/auth';
import { intake } from '@tongban/contracts';
import type { ActorContext } from '@tongban/domain';
import { loadReferenceData } from '@tongban/reference-data';
import { systemClock } from '@tongban/runtime';
import { clientUpdateEventId, executeReporterCommand } from './client-updates';
import { submitTicket } from './submission';
import { useIntakeDatabase } from './testing/database';

const ref = loadReferenceData();
const TOWNSHIP = 'adm-513437100';
const FMS: Principal = { kind: 'open311', id: 'fixmystreet', deviceId: 'device-1' };
const OTHER: Principal = { kind: 'open311', id: 'other-app' };
const CITIZEN: Principal = { kind: 'citizen', id: 'device-client-updates' };
const OTHER_CITIZEN: Principal = { kind: 'citizen', id: 'device-other' };
/** A client update id used before for another request. */
const REUSED = { grpcCode: status.ALREADY_EXISTS, reason: 'idempotency_key_reused' };
const ROUTING: ActorContext = { kind: 'system', id: 'routing' };
const ADMIN: ActorContext = { kind: 'staff', id: `admin@${TOWNSHIP}`, role: 'admin', unitId: TOWNSHIP, unitKind: 'administration', unitDivision: '513437100', unitLevel: 'township' };
const clock = systemClock;

const db = useIntakeDatabase({ ref, clock, max: 8 });

/** A ticket submitted by the FMS client and routed to the township. */
async function routedTicket(): Promise<string> {
  const res = await submitTicket({ pool: db.pool, executor: db.executor, reporters: db.reporters, ref, clock }, intake.SubmitTicketRequest.fromPartial({
    ticket: { serviceCode: 'dangerous-structure', division: '513437100001', title: '危墙', description: '围墙出现裂缝', attributes: { at_risk: 'yes' } },
  }), FMS);
  await db.executor.execute(res.ticketId, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: 'housing-construction' }, ROUTING, { correlationId: 'test' });
  return res.ticketId;
}

function post(ticketId: string, principal: Principal, clientUpdateId: string, command: intake.ExecuteReporterCommandRequest['command']) {
  return executeReporterCommand({ executor: db.executor, store: db.store, ref }, { ticketId, clientUpdateId, command }, principal, new Metadata());
}
const info = (text: string): intake.ExecuteReporterCommandRequest['command'] => ({ $case: 'addInformation', value: { text } });
const typesOf = async (ticketId: string) => (await db.store.readStream(`ticket-${ticketId}`)).map((e) => e.type);
const count = (types: string[], type: string) => types.filter((t) => t === type).length;

it('derives event ids from caller, ticket, update id and index', () => {
  const id = clientUpdateEventId(FMS, '0190a0a0-0000-7000-8000-000000000001', 'u-1', 0);
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(clientUpdateEventId(FMS, '0190A0A0-0000-7000-8000-000000000001', 'u-1', 0)).toBe(id);
  expect(clientUpdateEventId(OTHER, '0190a0a0-0000-7000-8000-000000000001', 'u-1', 0)).not.toBe(id);
  expect(clientUpdateEventId(FMS, '0190a0a0-0000-7000-8000-000000000001', 'u-2', 0)).not.toBe(id);
  expect(clientUpdateEventId(FMS, '0190a0a0-0000-7000-8000-000000000001', 'u-1', 1)).not.toBe(id);
});

it('writes a repeated update once and answers the first revision', async () => {
  const ticketId = await routedTicket();
  const first = await post(ticketId, FMS, 'fms-1', info('补充：裂缝变宽'));
  const second = await post(ticketId, FMS, 'fms-1', info('补充：裂缝变宽'));
  const third = await post(ticketId, FMS, 'fms-1', info('补充：裂缝变宽'));
  expect(first.outcome.eventTypes).toEqual(['InformationAdded']);
  expect(second.outcome).toEqual(first.outcome);
  expect(third.outcome).toEqual(first.outcome);
  // the repeats say so (the gateway's Idempotent-Replayed), the writes do not
  expect([first.replayed, second.replayed, third.replayed]).toEqual([undefined, true, true]);
  // another update id writes again, and so would another client (refused here: not its request)
  const next = await post(ticketId, FMS, 'fms-2', info('再补充'));
  expect(next.outcome.revision).toBe(first.outcome.revision + 1);
  expect(next.replayed).toBeUndefined();
  // without an update id nothing is deduplicated
  await post(ticketId, FMS, '', info('再补充'));
  await post(ticketId, FMS, '', info('再补充'));
  expect(count(await typesOf(ticketId), 'InformationAdded')).toBe(4);
  // still answered after later events
  expect((await post(ticketId, FMS, 'fms-1', info('补充：裂缝变宽'))).outcome).toEqual(first.outcome);
});

it('writes concurrent repeats once', async () => {
  const ticketId = await routedTicket();
  const results = await Promise.all(Array.from({ length: 5 }, () => post(ticketId, FMS, 'fms-c', info('同时发送'))));
  expect(count(await typesOf(ticketId), 'InformationAdded')).toBe(1);
  for (const r of results) expect(r.outcome).toEqual(results[0]!.outcome);
});

it('answers concurrent repeats of a confirmation once closed, though the losers are decided on the closed ticket', async () => {
  for (let round = 0; round < 4; round++) {
    const ticketId = await routedTicket();
    await db.executor.execute(ticketId, { type: 'AcceptTicket' }, ADMIN, { correlationId: 'test' });
    await db.executor.execute(ticketId, { type: 'ResolveTicket', resolution: '已拆除' }, ADMIN, { correlationId: 'test' });
    const results = await Promise.all(Array.from({ length: 4 }, () => post(ticketId, FMS, 'fms-close-c', { $case: 'close', value: { reason: '确认' } })));
    expect(count(await typesOf(ticketId), 'TicketClosed')).toBe(1);
    for (const r of results) expect(r.outcome).toEqual(results[0]!.outcome);
  }
});

it('answers a repeated confirmation after the ticket closed, instead of refusing it', async () => {
  const ticketId = await routedTicket();
  await db.executor.execute(ticketId, { type: 'AcceptTicket' }, ADMIN, { correlationId: 'test' });
  await db.executor.execute(ticketId, { type: 'ResolveTicket', resolution: '已拆除' }, ADMIN, { correlationId: 'test' });
  const close = await post(ticketId, FMS, 'fms-close', { $case: 'close', value: { reason: '确认' } });
  expect(close.outcome.eventTypes).toEqual(['TicketClosed']);
  const again = await post(ticketId, FMS, 'fms-close', { $case: 'close', value: { reason: '确认' } });
  expect(again.outcome).toEqual(close.outcome);
  expect(count(await typesOf(ticketId), 'TicketClosed')).toBe(1);
});

it('refuses a citizen\'s key used before for another command or text of the ticket (not the first write\'s outcome), writing nothing', async () => {
  const { ticketId } = await submitTicket({ pool: db.pool, executor: db.executor, reporters: db.reporters, ref, clock }, intake.SubmitTicketRequest.fromPartial({
    ticket: { serviceCode: 'dangerous-structure', division: '513437100001', title: '危墙', description: '围墙出现裂缝', attributes: { at_risk: 'yes' } },
  }), CITIZEN);
  const first = await post(ticketId, CITIZEN, 'key-1', info('补充：裂缝变宽'));
  await expect(post(ticketId, CITIZEN, 'key-1', { $case: 'withdraw', value: { reason: '' } })).rejects.toMatchObject(REUSED);
  await expect(post(ticketId, CITIZEN, 'key-1', info('另一段补充'))).rejects.toMatchObject(REUSED);
  expect(await typesOf(ticketId)).toEqual(['TicketSubmitted', 'TicketRouted', 'InformationAdded']);
  // the same request is still a repeat; another caller's key is its own (here refused: not its ticket)
  expect((await post(ticketId, CITIZEN, 'key-1', info('补充：裂缝变宽'))).outcome).toEqual(first.outcome);
  await expect(post(ticketId, OTHER_CITIZEN, 'key-1', { $case: 'withdraw', value: { reason: '' } })).rejects.not.toMatchObject(REUSED);
  const withdrawn = await post(ticketId, CITIZEN, 'key-2', { $case: 'withdraw', value: { reason: '' } });
  expect(withdrawn.outcome.eventTypes).toEqual(['TicketWithdrawn']);
});

it('answers concurrent posts of one key with different commands truthfully: at most one is done, none claims what was not written', async () => {
  for (let round = 0; round < 6; round++) {
    const ticketId = await routedTicket();
    const results = await Promise.allSettled([
      post(ticketId, FMS, 'fms-race', info('同时补充')),
      post(ticketId, FMS, 'fms-race', { $case: 'withdraw', value: { reason: '同时撤回' } }),
    ]);
    const stored = await db.store.readStream(`ticket-${ticketId}`);
    expect(stored.length).toBe(3);
    for (const r of results) {
      if (r.status === 'fulfilled') expect(r.value.outcome.eventTypes).toEqual([stored[r.value.outcome.revision]!.type]);
      else expect(r.reason).toMatchObject(REUSED);
    }
  }
});

it('takes an Open311 client\'s repeat by its text: a confirmation repeated once closed (sent as information) is the same update, another text is not', async () => {
  const ticketId = await routedTicket();
  await db.executor.execute(ticketId, { type: 'AcceptTicket' }, ADMIN, { correlationId: 'test' });
  await db.executor.execute(ticketId, { type: 'ResolveTicket', resolution: '已拆除' }, ADMIN, { correlationId: 'test' });
  const close = await post(ticketId, FMS, 'fms-close', { $case: 'close', value: { reason: '确认' } });
  expect((await post(ticketId, FMS, 'fms-close', info('确认'))).outcome).toEqual(close.outcome);
  await expect(post(ticketId, FMS, 'fms-close', info('还有问题'))).rejects.toMatchObject(REUSED);
  expect(count(await typesOf(ticketId), 'InformationAdded')).toBe(0);
});

it('refuses an overlong update id', async () => {
  const ticketId = await routedTicket();
  await expect(post(ticketId, FMS, 'x'.repeat(257), info('x'))).rejects.toMatchObject({ reason: 'invalid_client_update_id' });
});
