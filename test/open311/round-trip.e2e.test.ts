/**
 * Open311 round trip on the whole platform: a report submitted by an Open311 client is routed to the
 * township, accepted, answered, given a deadline and resolved by its admin through the staff API; the
 * Open311 views (requests/{id}, requests, servicerequestupdates) show each change in both formats. The
 * reporter then reopens it through POST servicerequestupdates, the township resolves it again and the
 * reporter confirms with CLOSED. A transfer and a hand-back show as internal referrals.
 */
import { waitFor } from '@tongban/testing';
import type { TestStack } from '../support/test-stack';
import { call, getBoth } from './support/client';
import { updateProblems, requestProblems } from './support/georeport';
import { type Open311Stack, startOpen311Stack } from './support/stack';

let platform: Open311Stack;
let stack: TestStack;
let apiKey: string;

beforeAll(async () => {
  platform = await startOpen311Stack('fixmystreet-lsz');
  ({ stack, apiKey } = platform);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

const TOWNSHIP = { unit: 'adm-513437100', name: '锦城镇', division: '513437100' };

/** Waits until the Open311 view of a request (both formats, checked equal) satisfies `predicate`. */
async function waitForRequest(id: string, predicate: (r: any) => boolean): Promise<any> {
  let last: unknown;
  try {
    return await waitFor(async () => {
      const { json } = await getBoth(stack.url, `requests/${id}`);
      last = json.json?.[0];
      return json.status === 200 && predicate(json.json[0]) ? json.json[0] : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
  } catch (err) {
    throw new Error(`request ${id} never matched; last: ${JSON.stringify(last)}`, { cause: err });
  }
}

/** Waits until servicerequestupdates of a request (both formats) has `count` updates; returns them. */
async function waitForUpdates(id: string, count: number): Promise<any[]> {
  let last: unknown;
  try {
    return await waitFor(async () => {
      const { json } = await getBoth(stack.url, `servicerequestupdates?service_request_id=${id}`);
      last = json.json;
      return (json.json as any[]).length >= count ? json.json as any[] : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
  } catch (err) {
    throw new Error(`updates of ${id} never reached ${count}; last: ${JSON.stringify(last)}`, { cause: err });
  }
}

it('shows every change of an Open311 report handled through the staff API, and takes the reporter\'s reopen and confirmation', async () => {
  const admin = await stack.staffToken('admin', TOWNSHIP.division);
  const staff = (action: string, id: string, body?: unknown) => stack.api('POST', `/api/v1/tickets/${id}/${action}`, { token: admin, body: body ?? {} });

  const submitted = await call(stack.url, 'POST', 'requests.xml', { form: {
    api_key: apiKey, service_code: 'dangerous-structure', address_id: '513437100001', 'attribute[at_risk]': 'yes',
    lat: '28.2627', long: '103.5711', description: '西街30号围墙成危墙，有人在下面摆摊', device_id: 'fms-device-1', email: 'reporter@example.org',
  } });
  expect(submitted.status).toBe(200);
  const id: string = (submitted.xml!.body as any).request[0].service_request_id;

  // Routed to the township: open, the township responsible, resolution due 72 h after the request.
  const routed = await waitForRequest(id, (r) => r.agency_responsible === TOWNSHIP.name);
  expect(requestProblems(routed)).toEqual([]);
  expect(routed).toMatchObject({ status: 'open', status_notes: null, service_code: 'dangerous-structure', lat: 28.2627, long: 103.5711, address_id: '513437100001' });
  expect(Date.parse(routed.expected_datetime) - Date.parse(routed.requested_datetime)).toBe(72 * 3_600_000);
  expect((await waitForUpdates(id, 1))[0]).toMatchObject({ service_request_id: id, status: 'OPEN', description: `已分派至${TOWNSHIP.name}。` });

  // Accepted and answered publicly: status_notes is the reply; an internal note never shows.
  expect((await staff('accept', id)).status).toBe(200);
  expect((await staff('notes', id, { text: '内部：联系村干部' })).status).toBe(200);
  expect((await staff('reply', id, { message: '内部答复：先核实', public: false })).status).toBe(200);
  expect((await staff('reply', id, { message: '已派人现场查看，请勿靠近。', public: true })).status).toBe(200);
  const replied = await waitForRequest(id, (r) => r.status_notes === '已派人现场查看，请勿靠近。');
  expect(replied.status).toBe('open');
  let updates = await waitForUpdates(id, 3);
  expect(updates.map((u) => [u.status, u.description])).toEqual([
    ['OPEN', `已分派至${TOWNSHIP.name}。`],
    ['IN_PROGRESS', `${TOWNSHIP.name}已受理。`],
    ['IN_PROGRESS', '已派人现场查看，请勿靠近。'],
  ]);
  expect(JSON.stringify(updates)).not.toContain('内部');

  // A transfer to the county's housing department and its hand-back are internal referrals; the
  // department holds the request in between.
  expect((await staff('transfer', id, { department: 'housing-construction', reason: '需要鉴定' })).status).toBe(200);
  const transferred = await waitForRequest(id, (r) => r.agency_responsible !== TOWNSHIP.name);
  expect(transferred.agency_responsible).toMatch(/住房和城乡建设局/);
  const department = await stack.staffToken('department', '513437', 'housing-construction');
  expect((await stack.api('POST', `/api/v1/tickets/${id}/handback`, { token: department, body: { findings: '墙体需拆除' } })).status).toBe(200);
  await waitForRequest(id, (r) => r.agency_responsible === TOWNSHIP.name);

  // An announced deadline moves expected_datetime and is ACTION_SCHEDULED.
  const due = new Date(Date.now() + 10 * 86_400_000);
  expect((await staff('deadline', id, { dueAt: due.toISOString(), reason: '需要调拨拆除机械' })).status).toBe(200);
  const scheduled = await waitForRequest(id, (r) => Date.parse(r.expected_datetime) === Math.floor(due.getTime() / 1000) * 1000);
  expect(scheduled.expected_datetime).toMatch(/\+08:00$/);

  // Resolved: closed for Open311, FIXED among the updates with the resolution.
  expect((await staff('resolve', id, { resolution: '危墙已拆除。' })).status).toBe(200);
  await waitForRequest(id, (r) => r.status === 'closed');
  updates = await waitForUpdates(id, 7);
  expect(updates.map((u) => u.status)).toEqual(['OPEN', 'IN_PROGRESS', 'IN_PROGRESS', 'INTERNAL_REFERRAL', 'INTERNAL_REFERRAL', 'ACTION_SCHEDULED', 'FIXED']);
  expect(updates[6].description).toBe('危墙已拆除。');
  for (const u of updates) expect(updateProblems(u)).toEqual([]);
  // Staff-to-staff texts (transfer reason, hand-back findings) stay internal.
  expect(JSON.stringify(updates)).not.toMatch(/需要鉴定|墙体需拆除|内部/);
  const listedClosed = await waitFor(async () => {
    const res = await call(stack.url, 'GET', `requests.json?status=closed&service_code=dangerous-structure`);
    return (res.json as any[]).some((r) => r.service_request_id === id) ? res : undefined;
  }, { timeoutMs: 10_000, intervalMs: 100 });
  expect(listedClosed.status).toBe(200);

  // The reporter (through the client that submitted it) is not satisfied: REOPEN → open again.
  const reopen = await call(stack.url, 'POST', 'servicerequestupdates.json', { form: {
    api_key: apiKey, service_request_id: id, status: 'OPEN', description: '墙还没拆完', updated_datetime: new Date().toISOString(), update_id: 'fms-77',
  } });
  expect(reopen.status).toBe(200);
  expect(reopen.json).toEqual([{ update_id: expect.any(String) }]);
  await waitForRequest(id, (r) => r.status === 'open');
  expect((await waitForUpdates(id, 8))[7]).toMatchObject({ status: 'REOPEN' });

  // Resolved again; the reporter confirms with CLOSED.
  expect((await staff('resolve', id, { resolution: '已全部拆除并清理。' })).status).toBe(200);
  await waitForRequest(id, (r) => r.status === 'closed');
  const confirm = await call(stack.url, 'POST', 'servicerequestupdates.xml', { form: {
    api_key: apiKey, service_request_id: id, status: 'CLOSED', description: '确认已处理，谢谢', updated_datetime: new Date().toISOString(), update_id: 'fms-78',
  } });
  expect(confirm.status).toBe(200);
  // The client retries the confirmation (same update_id): nothing is written, the same update_id answers.
  const retried = await call(stack.url, 'POST', 'servicerequestupdates.xml', { form: {
    api_key: apiKey, service_request_id: id, status: 'CLOSED', description: '确认已处理，谢谢', updated_datetime: new Date().toISOString(), update_id: 'fms-78',
  } });
  expect(retried.status).toBe(200);
  expect(retried.text).toBe(confirm.text);
  updates = await waitForUpdates(id, 10);
  expect(updates.slice(7).map((u) => u.status)).toEqual(['REOPEN', 'FIXED', 'CLOSED']);
  const history = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: admin });
  const closed = history.body.events.find((e: any) => e.type === 'TicketClosed');
  expect(history.body.events.filter((e: any) => e.type === 'TicketClosed')).toHaveLength(1);
  expect(closed).toMatchObject({ channel: 'open311', actor: { kind: 'open311', id: 'fixmystreet-lsz' }, data: { closedBy: 'reporter' } });
  expect(history.body.events.find((e: any) => e.type === 'TicketSubmitted')).toMatchObject({ channel: 'open311', actor: { kind: 'open311', id: 'fixmystreet-lsz' } });

  // A closed request takes no more updates (400), and English descriptions are available.
  const late = await call(stack.url, 'POST', 'servicerequestupdates.json', { form: { api_key: apiKey, service_request_id: id, description: '还有问题' } });
  expect(late.status).toBe(400);
  const { json: en } = await getBoth(stack.url, `servicerequestupdates?service_request_id=${id}`, { 'accept-language': 'en' });
  expect(en.json[1].description).toBe(`Accepted by ${TOWNSHIP.name}.`);

  // Updates in a time range: start_date/end_date with an offset, oldest first.
  const start = `${new Date(Date.parse(updates[0].updated_datetime) + 8 * 3_600_000 - 1000).toISOString().slice(0, 19)}+08:00`;
  const ranged = await call(stack.url, 'GET', `servicerequestupdates.json?start_date=${encodeURIComponent(start)}`);
  const mine = (ranged.json as any[]).filter((u) => u.service_request_id === id);
  expect(mine.map((u) => u.update_id)).toEqual(updates.map((u) => u.update_id));
  const times = (ranged.json as any[]).map((u) => Date.parse(u.updated_datetime));
  expect(times).toEqual([...times].sort((a, b) => a - b));
}, 60_000);
