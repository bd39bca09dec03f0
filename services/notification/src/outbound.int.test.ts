/**
 * SMS and e-mail channels against real servers started here: a real SMTP server (`smtp-server`) and
 * local HTTP servers speaking the Alibaba Cloud and Tencent Cloud SMS APIs that check each request's
 * signature as the providers document it; a real PostgreSQL holds the ledger and the inbox.
 */
import type { ActorContext } from '@tongban/domain';
import { PostgresEventStore, type RecordedEvent, runMigrations } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { LatestStates, ReporterKeyStore, TicketExecutor, systemClock } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase } from '@tongban/testing';
import { type ParsedMail, simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { v7 as uuidv7 } from 'uuid';
import type { NotificationChannel } from './channels';
import { parseUnitContacts } from './contacts';
import { type FakeSmsServer, fakeAliyun, fakeTencent } from './testing/fake-sms-providers';
import { type KnownTicket, deliverEventNotices, deliverNotices } from './delivery';
import { inboxChannel } from './inbox';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import { type AddressHash, DeliveryLedger, hashLedgerAddresses, ledgerAddressHash, setOptOut } from './ledger';
import { noticeOptions, outboundChannels } from './outbound-config';
import { aliyunSignature, canonicalizedQuery } from './sms/aliyun';
import { smsSegments, smsParam } from './sms/provider';

const ref = loadReferenceData();
const TOWNSHIP = 'adm-513437100';
const clock = systemClock;
const ROUTING: ActorContext = { kind: 'system', id: 'routing' };
const ADMIN: ActorContext = { kind: 'staff', id: `admin@${TOWNSHIP}`, role: 'admin', unitId: TOWNSHIP, unitKind: 'administration', unitDivision: '513437100', unitLevel: 'township' };
const REPORTER_PHONE = '13800001111';
const TEMPLATES = JSON.stringify({ accepted: 'SMS_100', 'public-reply': 'SMS_101', resolved: 'SMS_102', 'deadline-breached': 'SMS_200' });
const CONTACTS = JSON.stringify([
  { unit: TOWNSHIP, email: 'jincheng@tongban.example', phone: '13900002222', smsKinds: ['deadline-breached'] },
  { unit: 'adm-513437', email: 'leibo@tongban.example', language: 'ii' },
]);

let db: TestDatabase;
let pool: pg.Pool;
let store: PostgresEventStore;
let executor: TicketExecutor;
let smtp: SMTPServer;
let smtpPort: number;
const mails: ParsedMail[] = [];
let aliyun: FakeSmsServer;
let tencent: FakeSmsServer;
/** The ledger's keyed hash of an address, with this database's reporter key (as the service builds it). */
let addressHash: AddressHash;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  store = await PostgresEventStore.create(pool, clock);
  await runMigrations(pool, 'notification', NOTIFICATION_MIGRATIONS);
  executor = new TicketExecutor({ store, ref, clock, service: 'test' });
  const reporters = await ReporterKeyStore.open(pool, { TONGBAN_REPORTER_KEY: 'outbound-test-reporter-key-0123456789abcdef' });
  addressHash = ledgerAddressHash((scope) => reporters.deviceHash(scope));
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onRcptTo(address, _session, cb) { cb(address.address.startsWith('bounce') ? Object.assign(new Error('550 no such mailbox'), { responseCode: 550 }) : undefined); },
    onData(stream, _session, cb) { simpleParser(stream).then((m) => { mails.push(m); cb(); }, cb); },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  aliyun = await fakeAliyun('LTAI-test', 'aliyun-secret');
  tencent = await fakeTencent('AKID-test', 'tencent-secret');
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  await aliyun?.close();
  await tencent?.close();
  await pool?.end();
  await db?.drop();
});

function channels(provider: 'aliyun' | 'tencent', extra: NodeJS.ProcessEnv = {}): { list: NotificationChannel[]; close(): void } {
  const server = provider === 'aliyun' ? aliyun : tencent;
  const out = outboundChannels({
    TONGBAN_SMS_PROVIDER: provider, TONGBAN_SMS_ENDPOINT: server.url, TONGBAN_SMS_TEMPLATES: TEMPLATES, TONGBAN_SMS_SIGN_NAME: '凉山通办',
    TONGBAN_SMS_ACCESS_KEY_ID: provider === 'aliyun' ? 'LTAI-test' : 'AKID-test', TONGBAN_SMS_ACCESS_KEY_SECRET: `${provider}-secret`, TONGBAN_SMS_SDK_APP_ID: '1400000000',
    TONGBAN_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, ...extra,
  }, pool, parseUnitContacts(CONTACTS), addressHash, () => undefined);
  return { list: [inboxChannel(pool), ...out.channels], close: out.close };
}

/** A ticket reported by phone, routed to 锦城镇 and accepted; returns its events so far. */
async function ticket(phone = REPORTER_PHONE, email = '', language?: string): Promise<{ id: string; events: () => Promise<RecordedEvent[]> }> {
  const id = uuidv7();
  await executor.execute(id, {
    type: 'SubmitTicket', ticketId: id, reference: `LS-2026-${id.slice(-6)}`, serviceCode: 'sanitation', division: '513437100001', title: '垃圾', description: '路边堆满垃圾',
    address: '', channel: 'open311', reporter: { deviceId: 'dev-1', staffId: '', unitId: '', accountId: '', name: '', phone, email, ...(language ? { language } : {}) }, attributes: {}, mediaUrl: '',
    policy: ref.catalogue.slaPolicy,
  }, { kind: 'open311', id: 'fms' }, { correlationId: id });
  await executor.execute(id, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: '' }, ROUTING, { correlationId: id });
  await executor.execute(id, { type: 'AcceptTicket' }, ADMIN, { correlationId: id });
  return { id, events: () => store.readStream(`ticket-${id}`) };
}
const last = async (t: { events: () => Promise<RecordedEvent[]> }, type: string) => (await t.events()).filter((e) => e.type === type).at(-1)!;
const handle = (list: NotificationChannel[], event: RecordedEvent) =>
  deliverNotices(list, store, event, new Date(), noticeOptions(parseUnitContacts(CONTACTS), (id) => ref.unitsById.get(id)?.name));
const ledger = async (ticketId: string) => (await pool.query('SELECT channel, address, state, attempts, kind FROM notification_ledger WHERE ticket_id = $1 ORDER BY channel, kind', [ticketId])).rows;

describe('Alibaba Cloud SMS', () => {
  it('signs as documented (the documented canonical string for a known request)', () => {
    const params = { AccessKeyId: 'testid', Action: 'SendSms', Format: 'JSON', PhoneNumbers: '13800001111', SignName: '阿里云', SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466', SignatureVersion: '1.0', TemplateCode: 'SMS_1', Timestamp: '2017-07-12T02:42:19Z', Version: '2017-05-25' };
    expect(canonicalizedQuery(params)).toContain('SignName=%E9%98%BF%E9%87%8C%E4%BA%91');
    expect(aliyunSignature('GET', params, 'testsecret')).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it('tells the reporter of the acceptance once, with the template code and parameters, however often the event is handled', async () => {
    const t = await ticket();
    const { list, close } = channels('aliyun');
    const accepted = await last(t, 'TicketAccepted');
    await handle(list, accepted);
    await handle(list, accepted);
    close();
    const mine = aliyun.sent.filter((s) => s.phone === REPORTER_PHONE && s.templateCode === 'SMS_100');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ signName: '凉山通办', params: { reference: expect.stringMatching(/^LS-2026-/), unit: '锦城镇', dueAt: expect.stringMatching(/^2\d{3}年/) } });
    expect(aliyun.badSignatures).toBe(0);
    // The ledger keeps a keyed hash of the number, never the number (issue 14 item 6: nothing left once the reporter is erased).
    expect(await ledger(t.id)).toEqual([{ channel: 'sms', address: addressHash('sms', REPORTER_PHONE), state: 'sent', attempts: 1, kind: 'accepted' }]);
    expect(addressHash('sms', REPORTER_PHONE)).toMatch(/^hmac:[0-9a-f]{64}$/);
  });

  it('hashes the addresses of rows written before hashing, which still stop a redelivery from sending again', async () => {
    const t = await ticket('13800006666');
    const accepted = await last(t, 'TicketAccepted');
    const messageId = uuidv7();
    const row = { eventId: accepted.id, ticketId: t.id, kind: 'accepted' };
    await pool.query(
      `INSERT INTO notification_ledger (message_id, channel, address, event_id, ticket_id, kind, state, attempts, created_at, updated_at)
       VALUES ($1, 'sms', '13800006666', $2, $3, 'accepted', 'sent', 1, now(), now())`, [messageId, accepted.id, t.id],
    );
    expect(await hashLedgerAddresses(pool, addressHash)).toBeGreaterThanOrEqual(1);
    expect(await hashLedgerAddresses(pool, addressHash)).toBe(0);
    expect(await ledger(t.id)).toEqual([expect.objectContaining({ address: addressHash('sms', '13800006666'), state: 'sent' })]);
    const claim = await new DeliveryLedger(pool, addressHash).claim({ messageId, channel: 'sms', address: '13800006666' }, row);
    expect(claim).toEqual({ action: 'done', state: 'sent' });
  });

  it('a batch whose SMS fails midway, then handled one by one (the consumer\'s fallback): each reporter texted once, none skipped', async () => {
    const phones = ['13800007001', '13800007002', '13800007003'];
    const tickets = await Promise.all(phones.map((phone) => ticket(phone)));
    const { list, close } = channels('aliyun');
    const options = { ...noticeOptions(parseUnitContacts(CONTACTS), (id) => ref.unitsById.get(id)?.name), states: new LatestStates<KnownTicket>() };
    const accepted = await Promise.all(tickets.map((t) => last(t, 'TicketAccepted')));
    const texts = () => phones.map((phone) => aliyun.sent.filter((s) => s.phone === phone && s.templateCode === 'SMS_100').length);
    const before = texts();
    aliyun.failNext('isv.BUSINESS_LIMIT_CONTROL');
    // The acceptances only (the routings' mails to the unit would count in the e-mail tests below).
    const failed = await deliverEventNotices(list, store, accepted, options).then(() => undefined, (err: Error) => err.message);
    expect(failed).toMatch(/sms delivery of [0-9a-f-]{36} failed/);
    for (const event of accepted) await deliverEventNotices(list, store, [event], options);
    // And once more, as a redelivery of the whole batch would.
    await deliverEventNotices(list, store, accepted, options);
    close();
    // The throttled attempt is answered with the error and not recorded as sent.
    expect(texts().map((n, i) => n - before[i]!)).toEqual([1, 1, 1]);
    for (const t of tickets) expect((await ledger(t.id)).filter((r) => r.kind === 'accepted').map((r) => r.state)).toEqual(['sent']);
    const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM inbox_messages WHERE ticket_id = ANY($1::uuid[]) AND kind = 'accepted'", [tickets.map((t) => t.id)]);
    expect(rows[0]!.n).toBe(3);
  });

  it('retries a throttled send (transient) on redelivery and records a refused number (permanent) as 短信发送失败 for the holding unit', async () => {
    const t = await ticket('13800003333');
    const { list, close } = channels('aliyun');
    await executor.execute(t.id, { type: 'ReplyToTicket', message: '已安排清运', public: true }, ADMIN, { correlationId: t.id });
    const reply = await last(t, 'TicketReplied');
    aliyun.failNext('isv.BUSINESS_LIMIT_CONTROL');
    // The error (logged, dead-lettered) names the address by its place, not the number.
    const error = await handle(list, reply).then(() => 'delivered', (err: Error) => err.message);
    expect(error).toMatch(/sms delivery of [0-9a-f-]{36} failed: device address 1: .*isv.BUSINESS_LIMIT_CONTROL/);
    expect(error).not.toContain('13800003333');
    expect((await ledger(t.id)).find((r) => r.kind === 'public-reply')).toMatchObject({ state: 'pending', attempts: 1 });
    await handle(list, reply);
    expect((await ledger(t.id)).find((r) => r.kind === 'public-reply')).toMatchObject({ state: 'sent', attempts: 2 });

    await executor.execute(t.id, { type: 'ResolveTicket', resolution: '垃圾已清运' }, ADMIN, { correlationId: t.id });
    aliyun.failNext('isv.MOBILE_NUMBER_ILLEGAL');
    await handle(list, await last(t, 'TicketResolved'));
    close();
    expect((await ledger(t.id)).find((r) => r.kind === 'resolved')).toMatchObject({ state: 'failed' });
    const { rows } = await pool.query("SELECT title FROM inbox_messages WHERE ticket_id = $1 AND kind = 'delivery-failed'", [t.id]);
    expect(rows).toEqual([{ title: expect.stringMatching(/^短信发送失败：LS-2026-/) }]);
  });

  it('honours an opt-out', async () => {
    const t = await ticket('13800004444');
    await setOptOut(pool, 'sms', '13800004444', true);
    const { list, close } = channels('aliyun');
    await handle(list, await last(t, 'TicketAccepted'));
    close();
    expect(aliyun.sent.filter((s) => s.phone === '13800004444')).toEqual([]);
    expect(await ledger(t.id)).toEqual([expect.objectContaining({ state: 'opted_out' })]);
  });

  it('after a crash between send and record, asks the provider (OutId) and does not send again', async () => {
    const t = await ticket('13800005555');
    const { list, close } = channels('aliyun', { TONGBAN_NOTIFY_CLAIM_LEASE_MS: '200' });
    const accepted = await last(t, 'TicketAccepted');
    aliyun.hold(true);
    const first = handle(list, accepted).catch(() => undefined);
    await aliyun.nextSend();
    // The "crash": the ledger keeps the claim, the answer never arrives; the next delivery after the lease.
    await pool.query("UPDATE notification_ledger SET lease_until = now() - interval '1 second' WHERE ticket_id = $1", [t.id]);
    await handle(list, accepted);
    aliyun.hold(false);
    await first;
    close();
    expect(aliyun.sent.filter((s) => s.phone === '13800005555')).toHaveLength(1);
    expect((await ledger(t.id))[0]).toMatchObject({ state: 'sent' });
  });
});

describe('Tencent Cloud SMS', () => {
  it('sends with TC3-HMAC-SHA256 and positional parameters, once', async () => {
    const t = await ticket('13800006666');
    const { list, close } = channels('tencent');
    const accepted = await last(t, 'TicketAccepted');
    await handle(list, accepted);
    await handle(list, accepted);
    close();
    const mine = tencent.sent.filter((s) => s.phone === '13800006666');
    expect(mine).toEqual([expect.objectContaining({ templateCode: 'SMS_100', signName: '凉山通办', params: [expect.stringMatching(/^LS-2026-/), '锦城镇', expect.any(String)] })]);
    expect(tencent.badSignatures).toBe(0);
  });

  it('refuses a wrongly signed request the way the provider does (AuthFailure, permanent)', async () => {
    const t = await ticket('13800007777');
    const { list, close } = channels('tencent', { TONGBAN_SMS_ACCESS_KEY_SECRET: 'wrong' });
    await handle(list, await last(t, 'TicketAccepted'));
    close();
    expect(tencent.badSignatures).toBeGreaterThan(0);
    expect(await ledger(t.id)).toEqual([expect.objectContaining({ state: 'failed' })]);
  });

  it('without a way to ask the provider, resends a crashed attempt once and never a second time (≤ 1 duplicate)', async () => {
    const t = await ticket('13800008888');
    const { list, close } = channels('tencent');
    const accepted = await last(t, 'TicketAccepted');
    const crash = async () => {
      // A claim that was never recorded: the process died mid-send.
      await pool.query("UPDATE notification_ledger SET state = 'sending', lease_until = now() - interval '1 second' WHERE ticket_id = $1", [t.id]);
    };
    await handle(list, accepted);
    await crash();
    await handle(list, accepted);
    await crash();
    await handle(list, accepted);
    close();
    expect(tencent.sent.filter((s) => s.phone === '13800008888')).toHaveLength(2);
    expect((await ledger(t.id))[0]).toMatchObject({ state: 'in_doubt' });
  });
});

describe('e-mail over SMTP', () => {
  it('tells the unit of an arrival in a multipart UTF-8 mail, in Chinese, and the county in Yi, once', async () => {
    const t = await ticket();
    const { list, close } = channels('aliyun');
    const routed = await last(t, 'TicketRouted');
    await handle(list, routed);
    await handle(list, routed);
    await executor.execute(t.id, { type: 'EscalateTicket', toUnitId: 'adm-513437', reason: '超时未办', automatic: false }, { kind: 'system', id: 'deadline' }, { correlationId: t.id }).catch(() => undefined);
    close();
    const arrival = mails.filter((m) => m.to && JSON.stringify(m.to).includes('jincheng@') && m.subject?.startsWith('新工单'));
    expect(arrival).toHaveLength(1);
    expect(arrival[0]!.subject).toMatch(/^新工单：LS-2026-\w+ 垃圾$/);
    expect(arrival[0]!.text).toContain('路边堆满垃圾');
    expect(arrival[0]!.html).toContain('路边堆满垃圾');
    expect(arrival[0]!.messageId).toMatch(/@tongban>$/);
  });

  it('writes a Yi subject that survives the trip', async () => {
    const t = await ticket();
    const { list, close } = channels('aliyun');
    await executor.execute(t.id, { type: 'EscalateTicket', toUnitId: 'adm-513437', reason: '超时未办', automatic: false }, { kind: 'staff', id: 'supervisor@adm-513437', role: 'supervisor', unitId: 'adm-513437', unitKind: 'administration', unitDivision: '513437', unitLevel: 'county' }, { correlationId: t.id });
    await handle(list, await last(t, 'TicketEscalated'));
    close();
    const yi = mails.filter((m) => JSON.stringify(m.to).includes('leibo@'));
    expect(yi).toHaveLength(1);
    expect(yi[0]!.subject).toMatch(/^\p{Script=Yi}+：LS-2026-\w+ 垃圾$/u);
  });
});

describe('the reporter\'s language', () => {
  it('writes to the reporter in the language they submitted in (e-mail in English here)', async () => {
    const t = await ticket('', 'reporter@example.org', 'en');
    const { list, close } = channels('aliyun');
    await handle(list, await last(t, 'TicketAccepted'));
    close();
    const mail = mails.filter((m) => JSON.stringify(m.to).includes('reporter@example.org'));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toMatch(/^Your report LS-2026-\w+ has been accepted$/);
    expect(mail[0]!.text).toContain('锦城镇 has accepted your report');
  });
});

describe('SMS length', () => {
  it('counts segments by the Chinese SMS rules and cuts long parameters', () => {
    expect([70, 71, 134, 135].map(smsSegments)).toEqual([1, 2, 2, 3]);
    expect(smsParam('危'.repeat(40))).toBe(`${'危'.repeat(34)}…`);
    expect(smsParam('已安排清运')).toBe('已安排清运');
  });
});
