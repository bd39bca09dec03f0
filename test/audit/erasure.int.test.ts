/**
 * Issue 14 item 6, erasure, against a real PostgreSQL: reporters' personal data is sealed at intake (no
 * name, phone or e-mail in the event store), opened for the readers who may see it, and erasing the
 * reporter destroys the key — the sealed values no longer open for anyone, the query service reads the
 * reporter as erased — while every hash chain (and the anchors recorded before the erasure) still verifies.
 */
import type { Principal, TokenSubject } from '@tongban/auth';
import { intake } from '@tongban/contracts';
import { runMigrations } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { ReporterKeyStore, TicketExecutor, openSubmittedEvents, unsealPersonalData } from '@tongban/runtime';
import { recordAnchors } from '../../services/query/src/audit/anchors';
import { verifyStream } from '../../services/query/src/audit/evidence';
import { getTicket, getTicketHistory } from '../../services/query/src/read-models/handlers';
import { type QueryTestDb, createQueryTestDb } from '../../services/query/src/testing/test-db';
import { eraseReporter, reporterStream } from '../../services/intake/src/erasure';
import { INTAKE_MIGRATIONS } from '../../services/intake/src/migrations';
import { submitTicket } from '../../services/intake/src/submission';

const ref = loadReferenceData();
const DEVICE: Principal = { kind: 'citizen', id: 'device-erasure-1' };
const OFFICER: Principal = { kind: 'staff', id: 'officer@adm-513437100', role: 'information-officer', unitId: 'adm-513437100', division: '513437100' };
const SUPERVISOR: TokenSubject = { kind: 'staff', id: 'supervisor@adm-513437', role: 'supervisor', unitId: 'adm-513437', division: '513437' };
const AUDITOR: Principal = { kind: 'staff', id: 'auditor@adm-5134', role: 'auditor', unitId: 'adm-5134', division: '5134' };
const SECRETS = ['阿西木呷', '13800000001', 'axi@example.cn', '吉克阿莫', '13900000002', 'acct-77'];

let t: QueryTestDb;
let reporters: ReporterKeyStore;
let executor: TicketExecutor;

beforeAll(async () => {
  t = await createQueryTestDb();
  await runMigrations(t.pool, 'intake', INTAKE_MIGRATIONS);
  reporters = await ReporterKeyStore.open(t.pool, {});
  executor = new TicketExecutor({ store: t.store, ref, clock: t.clock, service: 'intake' });
});
afterAll(async () => t?.dispose());

const submit = async (principal: Principal, ticket: Partial<intake.SubmitTicketRequest['ticket'] & object>) => (await submitTicket(
  { pool: t.pool, executor, reporters, ref, clock: t.clock },
  intake.SubmitTicketRequest.fromPartial({ ticket: { serviceCode: 'dangerous-structure', division: '513437100001', title: '危墙', description: '围墙出现裂缝', attributes: { at_risk: 'yes' }, ...ticket } }),
  principal,
)).ticketId;
const submitted = async (ticketId: string) => (await t.store.readStream(`ticket-${ticketId}`))[0]!;
const reporterOf = async (ticketId: string) => (await submitted(ticketId)).data['reporter'] as { reporterId?: string; sealed?: string; name: string; deviceId: string };
const deps = () => ({ pool: t.pool, store: t.store, ref, reporters, clock: t.clock });
const erase = (reporterId: string, reason: string, subject: TokenSubject = SUPERVISOR, isDirectoryAdmin = false) =>
  eraseReporter({ reporters, store: t.store, clock: t.clock, isDirectoryAdmin: async () => isDirectoryAdmin }, { reporterId, reason }, subject);

it('seals personal data at intake: the event store holds the ciphertext, one reporter per device', async () => {
  const first = await submit(DEVICE, { reporterName: '阿西木呷', reporterPhone: '13800000001' });
  const second = await submit(DEVICE, { reporterEmail: 'axi@example.cn', accountId: 'acct-77' });
  const proxy = await submit(OFFICER, { onBehalfOf: { name: '吉克阿莫', contact: '13900000002' }, channel: 'proxy' });
  const plain = await submit(DEVICE, {});
  const { rows } = await t.pool.query<{ text: string }>(`SELECT data::text || metadata::text AS text FROM events WHERE stream LIKE 'ticket-%'`);
  for (const secret of SECRETS) expect(rows.filter((r) => r.text.includes(secret))).toEqual([]);
  const [a, b, p, n] = await Promise.all([first, second, proxy, plain].map(reporterOf));
  expect(a).toMatchObject({ name: '', deviceId: DEVICE.id, sealed: expect.stringMatching(/^v1\./) });
  expect(b!.reporterId).toBe(a!.reporterId);
  expect(p!.reporterId).not.toBe(a!.reporterId);
  expect(n!.sealed).toBeUndefined(); // nothing personal: nothing sealed
  const opened = await openSubmittedEvents(reporters, await Promise.all([first, proxy].map(submitted)));
  expect(opened[0]!.data['reporter']).toMatchObject({ name: '阿西木呷', phone: '13800000001' });
  expect(opened[1]!.data['onBehalfOf']).toEqual({ name: '吉克阿莫', contact: '13900000002' });
  expect(opened[1]!.metadata.onBehalfOf).toBe('吉克阿莫');
});

it('erases a reporter: keys gone, ReporterErased once, reads show erased, every chain still verifies', async () => {
  const first = await submit(DEVICE, { reporterName: '阿西木呷', reporterPhone: '13800000001' });
  const proxy = await submit(OFFICER, { onBehalfOf: { name: '吉克阿莫', contact: '13900000002' }, channel: 'proxy' });
  const { reporterId, sealed } = (await reporterOf(first)) as { reporterId: string; sealed: string };
  const { rows: [keyRow] } = await t.pool.query<{ wrapped_key: string }>('SELECT wrapped_key FROM reporter_keys WHERE reporter_id = $1', [reporterId]);
  // The anchors record the heads before the erasure: they must still match afterwards.
  await recordAnchors({ pool: t.pool, store: t.store, clock: t.clock });
  const before = JSON.parse((await getTicketHistory(deps(), { ticketId: first }, AUDITOR)).eventsJson) as { data: { reporter: Record<string, unknown> } }[];
  expect(before[0]!.data.reporter).toMatchObject({ name: '阿西木呷', phone: '13800000001', reporterId });

  const erased = await erase(reporterId, '本人依《个人信息保护法》第四十七条申请删除 (ref 2026-17)');
  expect(erased).toMatchObject({ reporterId, by: SUPERVISOR.id, alreadyErased: false });
  const again = await erase(reporterId.toUpperCase(), 'a second request', SUPERVISOR);
  expect(again).toEqual({ ...erased, alreadyErased: true });
  const stream = await t.store.readStream(reporterStream(reporterId));
  expect(stream.map((e) => [e.type, e.data])).toEqual([['ReporterErased', { reporterId, by: SUPERVISOR.id, reason: erased.reason, at: erased.erasedAt }]]);

  // The sealed values no longer open: the wrapped key is gone, and the data key is nowhere else.
  const { rows: [gone] } = await t.pool.query('SELECT wrapped_key, device_hash, erased_at FROM reporter_keys WHERE reporter_id = $1', [reporterId]);
  expect(gone).toMatchObject({ wrapped_key: null, device_hash: null, erased_at: expect.any(Date) });
  expect(keyRow!.wrapped_key).toBeTruthy();
  expect(await reporters.open([{ reporterId, sealed, ticketId: first }])).toEqual(['erased']);
  expect(() => unsealPersonalData(Buffer.alloc(32), sealed, first)).toThrow('does not open');
  const history = JSON.parse((await getTicketHistory(deps(), { ticketId: first }, AUDITOR)).eventsJson) as { data: { reporter: Record<string, unknown> } }[];
  expect(history[0]!.data.reporter).toMatchObject({ name: '', phone: '', erased: true });
  expect(JSON.stringify(history)).not.toContain('v1.');
  const view = JSON.parse((await getTicket(deps(), { ticketId: first }, AUDITOR)).viewJson) as { reporter: { id?: string; erased?: boolean } };
  expect(view.reporter).toMatchObject({ id: reporterId, erased: true });
  // Another reporter's data still opens.
  expect((await openSubmittedEvents(reporters, [await submitted(proxy)]))[0]!.data['onBehalfOf']).toEqual({ name: '吉克阿莫', contact: '13900000002' });
  // The device's next report starts a new reporter with a new key.
  const later = await submit(DEVICE, { reporterName: '阿西木呷' });
  expect((await reporterOf(later)).reporterId).not.toBe(reporterId);

  for (const s of [`ticket-${first}`, `ticket-${proxy}`, reporterStream(reporterId)]) {
    const v = await verifyStream(t.pool, t.store, s);
    expect({ stream: s, intact: v.intact, reason: v.reason }).toEqual({ stream: s, intact: true, reason: undefined });
  }
  expect((await verifyStream(t.pool, t.store, `ticket-${first}`)).anchor).toBeDefined();
});

it('lets only supervisors and directory-admins erase, with a reason, a reporter that exists', async () => {
  const ticket = await submit(OFFICER, { onBehalfOf: { name: '吉克阿莫', contact: '13900000002' }, channel: 'proxy' });
  const { reporterId } = (await reporterOf(ticket)) as { reporterId: string };
  const admin: TokenSubject = { kind: 'staff', id: 'admin@adm-513437100', role: 'admin', unitId: 'adm-513437100', division: '513437100' };
  await expect(erase(reporterId, 'why', admin)).rejects.toMatchObject({ reason: 'not_allowed_to_erase' });
  await expect(erase(reporterId, 'why', { kind: 'person', id: 'someone' })).rejects.toMatchObject({ reason: 'not_allowed_to_erase' });
  await expect(erase(reporterId, '   ')).rejects.toMatchObject({ reason: 'missing_reason' });
  await expect(erase(reporterId, 'x'.repeat(2001))).rejects.toMatchObject({ reason: 'reason_too_long' });
  await expect(erase('0190f3c4-0000-7000-8000-0000000000ff', 'why')).rejects.toMatchObject({ reason: 'reporter_not_found' });
  await expect(erase('not-a-uuid', 'why')).rejects.toMatchObject({ reason: 'reporter_not_found' });
  expect(await t.store.readStream(reporterStream(reporterId))).toEqual([]);
  // A directory-admin with a person token (no ticket role) may.
  await expect(erase(reporterId, 'the reporter asked', { kind: 'person', id: 'dir-admin' }, true)).resolves.toMatchObject({ by: 'dir-admin', alreadyErased: false });
  expect((await t.store.readStream(reporterStream(reporterId)))[0]!.metadata.actor).toEqual({ kind: 'staff', id: 'dir-admin', role: 'directory-admin' });
});

it('names the first caller in the event data and metadata alike when two erase at once, and after a crash before the append', async () => {
  const other: TokenSubject = { kind: 'staff', id: 'supervisor@adm-5134', role: 'supervisor', unitId: 'adm-5134', division: '5134' };
  for (let round = 0; round < 4; round += 1) {
    const ticket = await submit(OFFICER, { onBehalfOf: { name: `代报 ${round}`, contact: '13900000003' }, channel: 'proxy' });
    const { reporterId } = (await reporterOf(ticket)) as { reporterId: string };
    const answers = await Promise.all([erase(reporterId, 'first request', SUPERVISOR), erase(reporterId, 'second request', other)]);
    expect(answers.filter((a) => !a.alreadyErased)).toHaveLength(1);
    const [event, ...more] = await t.store.readStream(reporterStream(reporterId));
    expect(more).toEqual([]);
    const by = event!.data['by'] as string;
    expect(event!.metadata.actor).toMatchObject({ kind: 'staff', id: by, role: 'supervisor' });
    expect(event!.data['reason']).toBe(by === SUPERVISOR.id ? 'first request' : 'second request');
  }
  // The key was destroyed but the process died before the append: the retry by someone else appends the first's event.
  const ticket = await submit(OFFICER, { onBehalfOf: { name: '代报 crash', contact: '13900000004' }, channel: 'proxy' });
  const { reporterId } = (await reporterOf(ticket)) as { reporterId: string };
  await reporters.erase(reporterId, {
    actor: { kind: 'staff', id: SUPERVISOR.id, unitId: 'adm-513437', role: 'supervisor' }, reason: 'before the crash', correlationId: 'corr-crash', at: t.clock.now(),
  });
  await expect(erase(reporterId, 'the retry', other)).resolves.toMatchObject({ by: SUPERVISOR.id, reason: 'before the crash', alreadyErased: true });
  const [event] = await t.store.readStream(reporterStream(reporterId));
  expect(event!.metadata).toMatchObject({ actor: { kind: 'staff', id: SUPERVISOR.id, unitId: 'adm-513437', role: 'supervisor' }, correlationId: 'corr-crash' });
});
