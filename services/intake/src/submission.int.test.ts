/**
 * Submissions with an Idempotency-Key against a real PostgreSQL (the claim is one statement: look up,
 * allocate the reference only for a new key, insert): a retry with the same body is the same ticket
 * and reference, another body is refused, concurrent retries make one ticket, and a replay allocates
 * no reference number. The ticket is routed in the submission's own append (issue 13).
 */
import type { Principal } from '@tongban/auth';
import { intake } from '@tongban/contracts';
import type { Clock } from '@tongban/domain';
import { type ReferenceData, loadReferenceData } from '@tongban/reference-data';
import { SealError, type TicketExecutor, routedEventId } from '@tongban/runtime';
import { submitTicket } from './submission';
import { useIntakeDatabase } from './testing/database';

const ref = loadReferenceData();
const clock: Clock = { now: () => new Date() };
const CITIZEN: Principal = { kind: 'citizen', id: 'device-idem' };

const db = useIntakeDatabase({ ref, clock, max: 8 });

const request = (idempotencyKey: string, title = '危墙') => intake.SubmitTicketRequest.fromPartial({
  idempotencyKey, ticket: { serviceCode: 'dangerous-structure', division: '513437100001', title, description: '围墙出现裂缝', attributes: { at_risk: 'yes' } },
});
const deps = () => ({ pool: db.pool, executor: db.executor, reporters: db.reporters, ref, clock });
const submit = (key: string, title?: string) => submitTicket(deps(), request(key, title), CITIZEN);

it('answers a retry with the same key and body with the same ticket and reference, and refuses another body', async () => {
  const first = await submit('key-1');
  expect(first.replayed).toBe(false);
  expect(first.reference).toMatch(/^LS-\d{4}-\d{6}$/);
  const again = await submit('key-1');
  expect(again).toMatchObject({ ticketId: first.ticketId, reference: first.reference, replayed: true, status: 'routed' });
  await expect(submit('key-1', '另一个标题')).rejects.toMatchObject({ reason: 'idempotency_key_reused' });
  // The retry wrote nothing, and answers the ticket's revision (its submission and routing: 1).
  expect(again.revision).toBe(first.revision);
  expect(await db.store.readStream(`ticket-${first.ticketId}`)).toHaveLength(2);
});

it('appends the submission and its routing in one append: TicketRouted as routing writes it, caused by TicketSubmitted', async () => {
  const answer = await submitTicket(deps(), request('key-routed'), CITIZEN);
  // The answer says the status at its revision (was: the gateway's hard-coded submitted).
  expect(answer).toMatchObject({ revision: 1, status: 'routed', replayed: false });
  const [submitted, routed, ...more] = await db.store.readStream(`ticket-${answer.ticketId}`);
  expect(more).toEqual([]);
  expect(submitted).toMatchObject({ id: answer.ticketId, type: 'TicketSubmitted', revision: 0, metadata: { actor: { kind: 'citizen', id: CITIZEN.id }, channel: 'app' } });
  expect(routed).toMatchObject({
    // The id routing's consumer derives from the submitted event's: its retry is an idempotent repeat.
    id: routedEventId(submitted!.id, 0),
    type: 'TicketRouted',
    revision: 1,
    data: { unitId: 'adm-513437100', division: '513437100', suggestedDepartment: 'housing-construction', reason: 'submitted' },
    metadata: { actor: { kind: 'system', id: 'routing' }, channel: 'system', causationId: submitted!.id, correlationId: submitted!.metadata.correlationId, service: 'test' },
  });
  // One transaction (the same xid), one instant.
  expect(routed!.position.transactionId).toBe(submitted!.position.transactionId);
  expect(routed!.metadata.occurredAt).toBe(submitted!.metadata.occurredAt);
  expect(routed!.prevHash).toBe(submitted!.hash);
});

it('submits a ticket unrouted when no unit is responsible for its division (routing\'s consumer reports it)', async () => {
  const noUnit: ReferenceData = { ...ref, responsibleUnit: () => undefined };
  const answer = await submitTicket({ ...deps(), ref: noUnit }, request('key-no-unit'), CITIZEN);
  expect(answer).toMatchObject({ revision: 0, status: 'submitted' });
  expect((await db.store.readStream(`ticket-${answer.ticketId}`)).map((e) => e.type)).toEqual(['TicketSubmitted']);
});

it('makes one ticket of concurrent retries, and a replay allocates no reference number', async () => {
  const answers = await Promise.all(Array.from({ length: 8 }, () => submit('key-concurrent')));
  expect(new Set(answers.map((a) => a.ticketId)).size).toBe(1);
  expect(new Set(answers.map((a) => a.reference)).size).toBe(1);
  expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
  const number = (r: string) => Number(r.slice(r.lastIndexOf('-') + 1));
  const before = number(answers[0]!.reference);
  await submit('key-concurrent');
  const next = await submit('key-after');
  // Concurrent losers may have burnt numbers in the race (as before); a plain replay burns none.
  expect(number(next.reference)).toBeGreaterThan(before);
  const again = await submit('key-after');
  const last = await submit('key-last');
  expect(number(last.reference)).toBe(number(again.reference) + 1);
});

it('appends a new claim without reading its stream first; were the stream there, it is left as it is', async () => {
  const calls: Parameters<TicketExecutor['execute']>[] = [];
  const spy = { execute: (...args: Parameters<TicketExecutor['execute']>) => { calls.push(args); return db.executor.execute(...args); } } as unknown as TicketExecutor;
  const first = await submitTicket({ pool: db.pool, executor: spy, reporters: db.reporters, ref, clock }, request('key-new-stream'), CITIZEN);
  await submitTicket({ pool: db.pool, executor: spy, reporters: db.reporters, ref, clock }, request('key-new-stream'), CITIZEN);
  expect(calls.map(([, , , options]) => options.newStream)).toEqual([true, false]);
  // Were the stream not new after all: the event ids are the ticket id and the one derived from it, so the
  // append is recognised as a repeat of the stored events (revision 1, nothing written), never a second TicketSubmitted.
  const [id, command, actor, options] = calls[0]!;
  await expect(db.executor.execute(id, command, actor, options)).resolves.toMatchObject({ revision: 1 });
  expect(await db.store.readStream(`ticket-${first.ticketId}`)).toHaveLength(2);
});

it('answers a retry whose reporter was erased since (nothing can be sealed for them) at the ticket\'s revision, writing nothing', async () => {
  const named = (key: string) => intake.SubmitTicketRequest.fromPartial({
    idempotencyKey: key, ticket: { serviceCode: 'dangerous-structure', division: '513437100001', title: '危墙', description: '围墙出现裂缝', reporterName: '张三', reporterPhone: '13800000000' },
  });
  const first = await submitTicket(deps(), named('key-erased'), CITIZEN);
  expect(first.revision).toBe(1);
  // The reporter's key is gone: sealing for them fails (as after eraseReporter).
  const erased = new Proxy(db.reporters, {
    get(target, name, receiver) {
      if (name === 'keyForSubmission') return () => Promise.reject(new SealError('reporter erased'));
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
  const again = await submitTicket({ ...deps(), reporters: erased }, named('key-erased'), CITIZEN);
  expect(again).toEqual({ ticketId: first.ticketId, reference: first.reference, revision: first.revision, replayed: true, status: 'routed' });
  expect(await db.store.readStream(`ticket-${first.ticketId}`)).toHaveLength(2);
});

it('answers every one of concurrent retries with the ticket\'s revision (submission and routing: 1)', async () => {
  const answers = await Promise.all(Array.from({ length: 6 }, () => submit('key-concurrent-revision')));
  expect(answers.map((a) => a.revision)).toEqual(Array.from({ length: 6 }, () => 1));
});
