/**
 * On the whole platform (real processes, PostgreSQL, NATS), with every notification channel pointed at
 * servers started here — a webhook receiver, an SMTP server and an SMS provider speaking Alibaba
 * Cloud's API — (issue 16 items 16 and 19):
 * - the reporter's answers to the category's required questions are on the ticket view and the list
 *   the handling unit reads, with the question's name in the reader's language, and in Open311 GET
 *   (`extensions=true` → extended_attributes);
 * - the holding unit hears when the reporter answers a question (inbox, webhook, e-mail, SMS), and the
 *   reporter hears of an announced deadline (inbox, webhook, e-mail, SMS).
 */
import { type IncomingMessage, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@tongban/testing';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { type FakeSmsServer, fakeAliyun } from '../../services/notification/src/testing/fake-sms-providers';
import { call } from '../open311/support/client';
import { type Open311Stack, startOpen311Stack } from '../open311/support/stack';
import { STACK_START_TIMEOUT_MS, type TestStack } from '../support/test-stack';

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
const posts: { kind: string; ticketId: string; recipient: { kind: string; id: string }; title: string }[] = [];

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
    TONGBAN_SMS_TEMPLATES: JSON.stringify({ 'deadline-announced': 'SMS_DEADLINE', 'information-added': 'SMS_INFO' }),
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

  // The reporter: an announced deadline, on every channel (webhook, e-mail, SMS).
  const dueAt = new Date(Date.now() + 48 * 3_600_000).toISOString();
  expect((await stack.api('POST', `/api/v1/tickets/${id}/deadline`, { token: admin, body: { dueAt, reason: '需要协调住建部门鉴定' } })).status).toBe(200);
  await waitFor(async () => (posts.some((p) => p.kind === 'deadline-announced' && p.ticketId === id && p.recipient.id === 'edge-notices') ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
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
