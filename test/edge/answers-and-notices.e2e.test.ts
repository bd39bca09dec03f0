/**
 * On the whole platform (real processes, PostgreSQL, NATS), with every notification channel pointed at
 * servers started here — a webhook receiver, an SMTP server and an SMS provider speaking Alibaba
 * Cloud's API — (issue 16 items 16 and 19):
 * - the reporter's answers to the category's required questions are on the ticket view and the list
 *   the handling unit reads, with the question's name in the reader's language, and in Open311 GET
 *   (`extensions=true` → extended_attributes);
 * - the holding unit hears when the reporter answers a question (inbox, webhook, e-mail, SMS), and the
 *   reporter hears of an announced deadline (inbox, webhook, e-mail, SMS);
 * - reporter privacy (issue 14 item 6): Open311 GET (one and the list, JSON and XML), the public feed and summary
 *   and the statistics exports carry no reporter identity, and no content of a confidential report; an erased
 *   reporter gets no SMS or e-mail (nor is their contact left in the delivery ledger) while another still does;
 *   the erase route refuses bad input with a 4xx problem+json and changes nothing, records concurrent erasures
 *   once, and an erasure survives a new report from the same device and `npm run query:rebuild`.
 */
import { execFile } from 'node:child_process';
import { type IncomingMessage, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@tongban/testing';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { type FakeSmsServer, fakeAliyun } from '../../services/notification/src/testing/fake-sms-providers';
import { call } from '../open311/support/client';
import { type Open311Stack, startOpen311Stack } from '../open311/support/stack';
import { STACK_START_TIMEOUT_MS, type TestStack } from '../support/test-stack';

const run = promisify(execFile);
const TOWNSHIP = 'adm-513437100';
const UNIT_PHONE = '13800001111';
const REPORTER_PHONE = '13900002222';

let platform: Open311Stack;
let stack: TestStack;
let apiKey: string;
let sms: FakeSmsServer;
let smtp: SMTPServer;
let hooks: Server;
const mails: ParsedMail[] = [];
const posts: { kind: string; ticketId: string; recipient: { kind: string; id?: string }; title: string }[] = [];

const readBody = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let text = '';
  req.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve(text));
});

beforeAll(async () => {
  sms = await fakeAliyun('LTAI-edge', 'edge-secret');
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, cb) { simpleParser(stream).then((m) => { mails.push(m); cb(); }, cb); },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  hooks = createServer((req, res) => { void readBody(req).then((b) => { posts.push(JSON.parse(b)); res.end('ok'); }); });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  platform = await startOpen311Stack('edge-notices', {
    TONGBAN_WEBHOOKS: JSON.stringify([{ id: 'all', url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]),
    TONGBAN_SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    TONGBAN_SMS_PROVIDER: 'aliyun', TONGBAN_SMS_ENDPOINT: sms.url, TONGBAN_SMS_ACCESS_KEY_ID: 'LTAI-edge', TONGBAN_SMS_ACCESS_KEY_SECRET: 'edge-secret',
    TONGBAN_SMS_TEMPLATES: JSON.stringify({
      'deadline-announced': 'SMS_DEADLINE', 'information-added': 'SMS_INFO', 'accepted': 'SMS_ACCEPTED', 'public-reply': 'SMS_REPLY',
    }),
    TONGBAN_NOTIFY_CONTACTS: JSON.stringify([{ unit: TOWNSHIP, email: 'jincheng@example.org', phone: UNIT_PHONE, language: 'en', smsKinds: ['information-added'] }]),
  });
  ({ stack, apiKey } = platform);
}, STACK_START_TIMEOUT_MS);

afterAll(async () => {
  await platform?.stop();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  await new Promise<void>((resolve) => hooks?.close(() => resolve()));
  await sms?.close();
});

/** Submits through Open311 (a dangerous structure: at_risk is required) and waits until the township holds it. */
async function submitOpen311(form: Record<string, string>): Promise<string> {
  const res = await call(stack.url, 'POST', 'requests.json', {
    form: { api_key: apiKey, service_code: 'dangerous-structure', address_id: '513437100001', 'attribute[at_risk]': 'yes', description: '西街30号围墙开裂，下面有人摆摊', ...form },
  });
  expect(res.status).toBe(200);
  const id = res.json[0].service_request_id as string;
  await stack.waitForTicket(id, await stack.staffToken('auditor', '5134'), (v) => v.holder?.id === TOWNSHIP);
  return id;
}

it('shows the answers to the required questions in the view and the unit\'s list, in the reader\'s language, and in Open311 GET', async () => {
  const id = await submitOpen311({ device_id: 'edge-answers' });
  const admin = await stack.staffToken('admin', '513437100');
  const zh = await stack.api('GET', `/api/v1/tickets/${id}`, { token: admin });
  expect(zh.body.answers).toEqual([{ code: 'at_risk', value: 'yes', question: '现在是否有人身处危险（例如在危墙、危房下或附近）？', answer: '是' }]);
  const en = await stack.api('GET', `/api/v1/tickets/${id}`, { token: admin, headers: { 'accept-language': 'en' } });
  expect(en.body.answers).toEqual([{ code: 'at_risk', value: 'yes', question: 'Is anyone at risk right now (under or near the structure)?', answer: 'Yes' }]);
  const row = await waitFor(async () => {
    const list = await stack.api('GET', `/api/v1/tickets?unit=${TOWNSHIP}`, { token: admin, headers: { 'accept-language': 'ii' } });
    return (list.body.tickets as { id: string; answers: unknown[] }[]).find((t) => t.id === id);
  }, { timeoutMs: 15_000, intervalMs: 100 });
  expect(row.answers).toEqual([{ code: 'at_risk', value: 'yes', question: expect.stringMatching(/\p{Script=Yi}/u), answer: 'ꉬ' }]);

  for (const f of ['json', 'xml'] as const) {
    const one = await call(stack.url, 'GET', `requests/${id}.${f}?extensions=true`, { headers: { 'accept-language': 'en' } });
    const request = f === 'json' ? one.json[0] : (one.xml!.body as { request: any[] }).request[0];
    const attributes = f === 'json' ? request.extended_attributes.attributes : request.extended_attributes.attributes.attribute;
    expect(attributes).toEqual([{ code: 'at_risk', description: 'Is anyone at risk right now (under or near the structure)?', value: 'yes', value_name: 'Yes' }]);
    // Without extensions=true the GeoReport v2 fields only.
    const plain = await call(stack.url, 'GET', `requests/${id}.${f}`);
    expect(f === 'json' ? plain.json[0].extended_attributes : (plain.xml!.body as { request: any[] }).request[0].extended_attributes).toBeUndefined();
  }
});

it('tells the holding unit when the reporter answers a question, and the reporter of an announced deadline, in the inbox and on every channel', async () => {
  const id = await submitOpen311({ device_id: 'edge-notices', phone: REPORTER_PHONE, email: 'reporter@example.org' });
  const admin = await stack.staffToken('admin', '513437100');
  expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
  expect((await stack.api('POST', `/api/v1/tickets/${id}/request-information`, { token: admin, body: { question: '围墙有多高？' } })).status).toBe(200);
  await stack.waitForTicket(id, admin, (v) => v.status === 'awaiting_information');
  const answer = await call(stack.url, 'POST', 'servicerequestupdates.json', { form: { api_key: apiKey, service_request_id: id, description: '大约三米高', device_id: 'edge-notices' } });
  expect(answer.status).toBe(200);

  // The holding unit: inbox, webhook, e-mail (its contact's language: en), SMS (information-added is in its smsKinds).
  const inbox = await waitFor(async () => {
    const res = await stack.api('GET', '/api/v1/inbox', { token: admin });
    return (res.body.messages as { kind: string; ticketId: string; body: string }[]).find((m) => m.kind === 'information-added' && m.ticketId === id);
  }, { timeoutMs: 15_000, intervalMs: 100 });
  expect(inbox.body).toBe('大约三米高');
  await waitFor(async () => (posts.some((p) => p.kind === 'information-added' && p.ticketId === id && p.recipient.id === TOWNSHIP) ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
  const unitMail = await waitFor(async () => mails.find((m) => m.subject?.startsWith('The reporter added information') && m.text?.includes('大约三米高')), { timeoutMs: 15_000, intervalMs: 100 });
  expect(unitMail.to && 'text' in unitMail.to ? unitMail.to.text : '').toContain('jincheng@example.org');
  await waitFor(async () => (sms.sent.some((s) => s.phone === UNIT_PHONE && s.templateCode === 'SMS_INFO') ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });

  // The reporter: an announced deadline, on every channel (webhook — naming no device id, issue 14 item 6 —, e-mail, SMS).
  const dueAt = new Date(Date.now() + 48 * 3_600_000).toISOString();
  expect((await stack.api('POST', `/api/v1/tickets/${id}/deadline`, { token: admin, body: { dueAt, reason: '需要协调住建部门鉴定' } })).status).toBe(200);
  await waitFor(async () => (posts.some((p) => p.kind === 'deadline-announced' && p.ticketId === id && p.recipient.kind === 'device' && p.recipient.id === undefined) ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
  await waitFor(async () => mails.find((m) => m.text?.includes('需要协调住建部门鉴定') && m.to && 'text' in m.to && m.to.text.includes('reporter@example.org')), { timeoutMs: 15_000, intervalMs: 100 });
  await waitFor(async () => (sms.sent.some((s) => s.phone === REPORTER_PHONE && s.templateCode === 'SMS_DEADLINE') ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
});

it('puts an announced deadline in the reporter\'s in-app inbox', async () => {
  const device = await stack.device();
  const created = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, body: { service_code: 'sanitation', division: '513437100001', title: '垃圾未清运', description: '西街垃圾堆积三天' },
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const admin = await stack.staffToken('admin', '513437100');
  await stack.waitForTicket(id, admin, (v) => v.holder?.id === TOWNSHIP);
  expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
  const dueAt = new Date(Date.now() + 48 * 3_600_000).toISOString();
  expect((await stack.api('POST', `/api/v1/tickets/${id}/deadline`, { token: admin, body: { dueAt, reason: '清运车辆检修' } })).status).toBe(200);
  const notice = await waitFor(async () => {
    const res = await stack.api('GET', '/api/v1/inbox', { token: device.token });
    return (res.body.messages as { kind: string; ticketId: string; body: string }[]).find((m) => m.kind === 'deadline-announced' && m.ticketId === id);
  }, { timeoutMs: 15_000, intervalMs: 100 });
  expect(notice.body).toContain('清运车辆检修');
});

describe('reporter privacy (issue 14 item 6)', () => {
  const COUNTY = '513437';
  const supervisor = () => stack.staffToken('supervisor', COUNTY);
  /** Submits through POST /api/v1/tickets (sanitation in 锦城镇) and waits until the township holds it. */
  async function submitApi(token: string, body: Record<string, unknown>): Promise<string> {
    const res = await stack.api('POST', '/api/v1/tickets', { token, body: { service_code: 'sanitation', division: '513437100001', ...body } });
    expect({ status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({ status: 201, body: undefined });
    await stack.waitForTicket(res.body.id, await supervisor(), (v) => v.holder?.id === TOWNSHIP);
    return res.body.id as string;
  }
  /** The reporter id of a ticket (`reporter.id` of the county supervisor's view). */
  async function reporterOf(id: string): Promise<string> {
    const view = await stack.api('GET', `/api/v1/tickets/${id}`, { token: await supervisor() });
    expect(view.body.reporter.id).toMatch(/^[0-9a-f-]{36}$/);
    return view.body.reporter.id as string;
  }
  const erase = async (reporterId: string, body: unknown = { reason: '本人依《个人信息保护法》申请删除' }, token?: string) =>
    stack.api('POST', `/api/v1/reporters/${reporterId}/erase`, { token: token ?? await supervisor(), body });
  /** What of `secrets` a body carries. */
  const leaksOf = (secrets: readonly string[], body: unknown): string[] => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return secrets.filter((s) => text.includes(s));
  };

  it('Open311 GET shows a confidential report without its content, the public one with it, and no reporter anywhere; nor do the feed and the exports', async () => {
    const o311 = { first_name: '阿呷', last_name: '沙马', email: 'shama.aga@example.org', phone: '13988887777', device_id: 'privacy-open311-device' };
    const viaOpen311 = await submitOpen311(o311);
    const citizen = await stack.device();
    const hidden = {
      description: '邻居吉克家在2单元楼道里堆放了六个煤气罐', address: '西街12号2单元', lat: 28.2634, long: 103.5713, phone: '13966665555',
    };
    const confidential = await submitApi(citizen.token, { title: '楼道堆放杂物', ...hidden, visibility: 'confidential' });
    const proxyPerson = { name: '吉克伍呷', contact: '13955554444' };
    const proxy = await submitApi(await stack.staffToken('information-officer', '513437100001'), {
      title: '夜间噪音', description: '隔壁歌厅每晚唱到凌晨两点', visibility: 'confidential', onBehalfOf: proxyPerson,
    });
    const publicReporter = await stack.device();
    const shown = '北街路灯不亮已经一周了';
    const open = await submitApi(publicReporter.token, { title: '路灯不亮', description: shown, phone: '13944443333', visibility: 'public' });

    const identities = [...Object.values(o311), citizen.deviceId, hidden.phone, proxyPerson.name, proxyPerson.contact, publicReporter.deviceId, '13944443333'];
    const content = [hidden.description, hidden.address, String(hidden.lat), String(hidden.long), '隔壁歌厅每晚唱到凌晨两点'];
    const ids = [viaOpen311, confidential, proxy, open];
    for (const format of ['json', 'xml'] as const) {
      for (const id of ids) {
        const one = await call(stack.url, 'GET', `requests/${id}.${format}?extensions=true`);
        expect({ id, status: one.status, leaks: leaksOf([...identities, ...content], one.text) }).toEqual({ id, status: 200, leaks: [] });
      }
      const list = await call(stack.url, 'GET', `requests.${format}?service_request_id=${ids.join(',')}&extensions=true`);
      expect({ status: list.status, leaks: leaksOf([...identities, ...content], list.text) }).toEqual({ status: 200, leaks: [] });
      for (const id of ids) expect(list.text).toContain(id);
      expect(list.text).toContain(shown);
    }
    const [one] = (await call(stack.url, 'GET', `requests/${confidential}.json?extensions=true`)).json as Record<string, unknown>[];
    expect(one).toMatchObject({ service_request_id: confidential, service_code: 'sanitation', description: '保密反映：内容与地址不公开' });
    expect([one!['address'], one!['lat'], one!['long'], one!['media_url']].map((v) => v ?? null)).toEqual([null, null, null, null]);
    const [pub] = (await call(stack.url, 'GET', `requests/${open}.json`)).json as Record<string, unknown>[];
    expect(pub!['description']).toBe(shown);

    // A neighbour looking for similar reports (at the confidential report's spot) is never shown a confidential
    // one — nor its distance — and cannot follow it (a follower reads the ticket).
    const neighbour = await stack.device();
    const similar = await stack.api('GET', `/api/v1/tickets/similar?service_code=sanitation&division=513437100001&lat=${hidden.lat}&long=${hidden.long}`, { token: neighbour.token });
    expect(similar.status).toBe(200);
    const found = (similar.body.tickets as { id: string }[]).map((t) => t.id);
    expect(found).toContain(open);
    expect(found.filter((id) => id === confidential || id === proxy)).toEqual([]);
    for (const id of [confidential, proxy]) {
      const follow = await stack.api('POST', `/api/v1/tickets/${id}/follow`, { token: neighbour.token, body: {} });
      expect({ status: follow.status, reason: follow.body.reason }).toEqual({ status: 403, reason: 'confidential_ticket' });
      expect((await stack.api('GET', `/api/v1/tickets/${id}`, { token: neighbour.token })).status).toBe(403);
    }
    // Nor is another report merged into it (the merged report's reporter would follow it).
    const merge = await stack.api('POST', `/api/v1/tickets/${open}/merge`, { token: await stack.staffToken('admin', '513437100'), body: { into: confidential } });
    expect({ status: merge.status, reason: merge.body.reason }).toEqual({ status: 409, reason: 'merge_into_confidential' });

    // The public feed lists the public report (no reporter); the summary and the statistics exports name nobody.
    const feed = await waitFor(async () => {
      const res = await fetch(`${stack.url}/public/v1/feed.atom?division=${COUNTY}`);
      const body = await res.text();
      return res.status === 200 && body.includes(open) ? body : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    expect(leaksOf([...identities, ...content, shown], feed)).toEqual([]);
    for (const id of [confidential, proxy, viaOpen311]) expect(feed).not.toContain(id);
    const summary = await fetch(`${stack.url}/public/v1/summary?division=${COUNTY}`);
    expect({ status: summary.status, leaks: leaksOf(identities, await summary.text()) }).toEqual({ status: 200, leaks: [] });
    for (const format of ['csv', 'jsonl']) {
      const body = await waitFor(async () => {
        const res = await fetch(`${stack.url}/api/v1/stats/export.${format}?division=${COUNTY}`, { headers: { authorization: `Bearer ${await supervisor()}` } });
        const text = await res.text();
        return res.status === 200 && ids.every((id) => text.includes(id)) ? text : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      expect({ format, leaks: leaksOf([...identities, ...content], body) }).toEqual({ format, leaks: [] });
    }
  }, 240_000);

  it('sends an erased reporter no SMS or e-mail (a reply, a merge), while a reporter not erased still gets them', async () => {
    const erased = { phone: '13911110001', email: 'erased@example.org', device_id: 'privacy-erased' };
    const kept = { phone: '13911110002', email: 'kept@example.org', device_id: 'privacy-kept' };
    const gone = await submitOpen311({ ...erased, description: '南街危墙一：墙体外鼓' });
    const stays = await submitOpen311({ ...kept, description: '南街危墙二：墙体外鼓' });
    const admin = await stack.staffToken('admin', '513437100');
    for (const id of [gone, stays]) expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
    // Before the erasure both hear of the acceptance by SMS and e-mail.
    const smsTo = (phone: string, template: string) => sms.sent.some((s) => s.phone === phone && s.templateCode === template);
    const mailTo = (address: string, text: string) => mails.some((m) => m.to && 'text' in m.to && m.to.text.includes(address) && m.text?.includes(text));
    for (const r of [erased, kept]) {
      await waitFor(async () => (smsTo(r.phone, 'SMS_ACCEPTED') && mailTo(r.email, '已受理') ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    }
    const reporterId = await reporterOf(gone);
    const res = await erase(reporterId);
    expect({ status: res.status, alreadyErased: res.body.alreadyErased }).toEqual({ status: 200, alreadyErased: false });
    const smsBefore = sms.sent.length;
    const mailsBefore = mails.length;

    // A public reply on both: only the reporter who was not erased hears of it outside the platform.
    const reply = (n: number) => `第${n}次答复：已安排住建所现场查看`;
    for (const [n, id] of [[1, gone], [2, stays]] as const) {
      expect((await stack.api('POST', `/api/v1/tickets/${id}/reply`, { token: admin, body: { message: reply(n), public: true } })).status).toBe(200);
    }
    await waitFor(async () => (smsTo(kept.phone, 'SMS_REPLY') && mailTo(kept.email, reply(2)) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    // The erased reporter's notice was delivered (the webhook has it, without any device id): no SMS or e-mail came with it.
    await waitFor(async () => (posts.some((p) => p.kind === 'public-reply' && p.ticketId === gone) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });

    // A merge tells the merged ticket's reporter (by e-mail): not the erased one.
    expect((await stack.api('POST', `/api/v1/tickets/${gone}/merge`, { token: admin, body: { into: stays } })).status).toBe(200);
    await waitFor(async () => (posts.some((p) => p.kind === 'merged' && p.ticketId === gone) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    const merged = await stack.waitForTicket(gone, admin, (v) => v.status === 'duplicate');
    expect(merged.reporter.erased).toBe(true);
    // The lead's resolution reaches its own reporter; the erased one follows the lead without any contact.
    expect((await stack.api('POST', `/api/v1/tickets/${stays}/reply`, { token: admin, body: { message: reply(3), public: true } })).status).toBe(200);
    await waitFor(async () => (mailTo(kept.email, reply(3)) ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });

    expect(sms.sent.slice(smsBefore).filter((s) => s.phone === erased.phone)).toEqual([]);
    expect(mails.slice(mailsBefore).filter((m) => m.to && 'text' in m.to && m.to.text.includes(erased.email)).map((m) => m.subject)).toEqual([]);
    // Nothing in the delivery ledger names the erased reporter's phone or e-mail after the erasure.
    const pool = stack.pool();
    const { rows } = await pool.query<{ address: string; kind: string }>('SELECT address, kind FROM notification_ledger WHERE ticket_id = $1', [gone]);
    expect(leaksOf([erased.phone, erased.email], rows)).toEqual([]);
  }, 180_000);

  it('erase: every bad input is a 4xx problem+json that changes nothing; concurrent erasures record one event; a retried proxy submission after the erasure is a replay', async () => {
    const citizen = await stack.device();
    const first = await submitApi(citizen.token, { title: '垃圾未清运', description: '东街垃圾堆积三天', phone: '13922220001' });
    const reporterId = await reporterOf(first);
    const pool = stack.pool();
    const keyOf = async (id: string) => (await pool.query<{ has_key: boolean; erased: boolean }>(
      'SELECT wrapped_key IS NOT NULL AS has_key, erased_at IS NOT NULL AS erased FROM reporter_keys WHERE reporter_id = $1', [id])).rows[0];
    const erasures = async (id: string) => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE stream = $1', [`reporter-${id}`])).rows[0]!.n);
    const raw = async (id: string, body: string, contentType?: string) => {
      const res = await fetch(`${stack.url}/api/v1/reporters/${id}/erase`, {
        method: 'POST', body, headers: { authorization: `Bearer ${await supervisor()}`, ...(contentType ? { 'content-type': contentType } : {}) },
      });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
    };
    const staffId = JSON.parse(Buffer.from((await supervisor()).split('.')[1]!, 'base64url').toString()).sub as string;
    const json = (v: unknown) => [JSON.stringify(v), 'application/json'] as const;
    const cases: [string, string, readonly [string, string | undefined], number][] = [
      ['a ticket id', first, json({ reason: '申请删除' }), 404],
      // (A seeded staff id is not shaped like a reporter id: 400 then.)
      ['a staff id', staffId, json({ reason: '申请删除' }), /^[A-Za-z0-9_-]+$/.test(staffId) ? 404 : 400],
      ['a device id', citizen.deviceId, json({ reason: '申请删除' }), 404],
      ['an empty reason', reporterId, json({ reason: '' }), 400],
      ['a reason of white space', reporterId, json({ reason: ' \t\n\u3000 ' }), 400],
      ['a NUL in the reason', reporterId, json({ reason: '申请\u0000删除' }), 400],
      ['a control character for a reason', reporterId, json({ reason: '\u0007' }), 400],
      ['a lone surrogate in the reason', reporterId, ['{"reason":"申请\\ud800删除"}', 'application/json'], 400],
      ['a reason of 2,001 characters', reporterId, json({ reason: '删'.repeat(2001) }), 400],
      ['a body of 2 MB', reporterId, json({ reason: 'x'.repeat(2_000_000) }), 413],
      ['a reason that is a list', reporterId, json({ reason: ['申请删除'] }), 400],
      ['a body that is null', reporterId, ['null', 'application/json'], 400],
      ['a body that is not JSON', reporterId, ['{"reason":', 'application/json'], 400],
      ['no body', reporterId, ['', 'application/json'], 400],
      ['a form body', reporterId, ['reason=%E7%94%B3%E8%AF%B7', 'application/x-www-form-urlencoded'], 415],
      ['a text body', reporterId, ['申请删除', 'text/plain; charset=utf-8'], 415],
      ['no content type', reporterId, [JSON.stringify({ reason: '申请删除' }), undefined], 415],
      ['a JSON body in GB18030', reporterId, [JSON.stringify({ reason: 'x' }), 'application/json; charset=gb18030'], 415],
      ['an id with a dot', 'a.b', json({ reason: '申请删除' }), 400],
      ['an id of 65 characters', 'a'.repeat(65), json({ reason: '申请删除' }), 400],
    ];
    const answers = [];
    for (const [name, id, [body, type]] of cases) {
      const res = await raw(encodeURIComponent(id), body, type);
      answers.push({ name, status: res.status, problem: res.type.startsWith('application/problem+json') });
      expect(res.status).toBeLessThan(500);
    }
    expect(answers).toEqual(cases.map(([name, , , status]) => ({ name, status, problem: true })));
    // Every role but supervisors (and directory-admins: test/e2e/permissions.e2e.test.ts) is refused.
    const refused = [citizen.token, await stack.staffToken('admin', '513437100'), await stack.staffToken('admin', COUNTY), await stack.staffToken('auditor', '5134'),
      await stack.staffToken('information-officer', '513437100001'), await stack.staffToken('hotline', COUNTY), await stack.staffToken('department', COUNTY, 'housing-construction')];
    for (const token of refused) {
      const res = await erase(reporterId, undefined, token);
      expect([res.status, res.body.reason]).toEqual([403, 'not_allowed_to_erase']);
    }
    expect(await keyOf(reporterId)).toEqual({ has_key: true, erased: false });
    expect(await erasures(reporterId)).toBe(0);

    // Six erasures at once (two supervisors): one erasure, one event, every answer the same record.
    const prefecture = await stack.staffToken('supervisor', '5134');
    const all = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => erase(reporterId, { reason: `申请删除 ${i}` }, i % 2 ? prefecture : await supervisor())));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(all.filter((r) => !r.body.alreadyErased)).toHaveLength(1);
    const record = all.find((r) => !r.body.alreadyErased)!.body;
    for (const r of all) expect({ ...r.body, alreadyErased: false }).toEqual(record);
    expect(await erasures(reporterId)).toBe(1);
    expect(await keyOf(reporterId)).toEqual({ has_key: false, erased: true });

    // The same device reports again: a new reporter, whose phone the holder reads; the first stays erased.
    const second = await submitApi(citizen.token, { title: '垃圾又堆起来了', description: '东街垃圾又堆积', phone: '13922220002' });
    const secondReporter = await reporterOf(second);
    expect(secondReporter).not.toBe(reporterId);
    const admin = await stack.staffToken('admin', '513437100');
    const historyOf = async (id: string) => JSON.stringify((await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: admin })).body);
    expect(await historyOf(second)).toContain('13922220002');
    expect(await historyOf(first)).not.toContain('13922220001');
    // Another device follows the erased reporter's report; the erased reporter's device follows another's.
    const neighbour = await stack.device();
    expect((await stack.api('POST', `/api/v1/tickets/${first}/follow`, { token: neighbour.token })).status).toBe(200);
    const third = await submitApi(neighbour.token, { title: '西街垃圾', description: '西街垃圾桶满了', phone: '13922220003' });
    expect((await stack.api('POST', `/api/v1/tickets/${third}/follow`, { token: citizen.token })).status).toBe(200);

    // A proxy submission retried with its Idempotency-Key after its reporter was erased: the same ticket, replayed.
    const officer = await stack.staffToken('information-officer', '513437100001');
    const proxyBody = { service_code: 'sanitation', division: '513437100001', title: '代报：垃圾', description: '代老人反映垃圾问题', onBehalfOf: { name: '阿苏阿嫫', contact: '13922220004' } };
    const proxied = await stack.api('POST', '/api/v1/tickets', { token: officer, body: proxyBody, headers: { 'idempotency-key': 'privacy-proxy-1' } });
    expect(proxied.status).toBe(201);
    await stack.waitForTicket(proxied.body.id, await supervisor(), (v) => v.holder?.id === TOWNSHIP);
    expect((await erase(await reporterOf(proxied.body.id))).status).toBe(200);
    const retried = await stack.api('POST', '/api/v1/tickets', { token: officer, body: proxyBody, headers: { 'idempotency-key': 'privacy-proxy-1' } });
    expect({ status: retried.status, id: retried.body.id, replayed: retried.headers.get('idempotent-replayed') }).toEqual({ status: 201, id: proxied.body.id, replayed: 'true' });

    // query:rebuild recreates the read models: the erased reporters stay erased, the new one readable, every chain intact.
    const rebuilt = await run('npm', ['run', '-s', 'query:rebuild'], { cwd: join(__dirname, '..', '..'), env: { ...process.env, ...stack.env }, timeout: 120_000 });
    expect(rebuilt.stdout).toMatch(/^rebuilt \d+ tickets/);
    const views = await Promise.all([first, second, proxied.body.id].map(async (id) => (await stack.api('GET', `/api/v1/tickets/${id}`, { token: admin })).body));
    expect(views.map((v) => Boolean(v.reporter.erased))).toEqual([true, false, true]);
    expect(await historyOf(second)).toContain('13922220002');
    expect(await historyOf(proxied.body.id)).not.toContain('阿苏阿嫫');
    const auditor = await stack.staffToken('auditor', '5134');
    for (const id of [first, second, proxied.body.id]) {
      const verified = await stack.api('GET', `/api/v1/tickets/${id}/verify`, { token: auditor });
      expect({ id, status: verified.status, intact: verified.body.intact }).toEqual({ id, status: 200, intact: true });
    }
  }, 300_000);
});
