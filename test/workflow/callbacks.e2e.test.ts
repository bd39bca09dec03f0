/**
 * Issue 14 item 4, the callback (回访) as a time limit and the hotline role, end to end: the whole platform as
 * real processes with TONGBAN_CALLBACK_BY=hotline, HTTP through real sockets, the shared test clock moving time
 * across processes (the default, callbacks by the first responder's unit: workflow.e2e and permissions.e2e).
 * - A resolution owes a callback to the hotline of the area (`callback.by`): 雷波县's hotline records it; the
 *   first responder's unit gets 403 callback_by_hotline, 昭觉县's hotline 403 outside_jurisdiction; the hotline
 *   sees the reporter's phone while the callback is theirs.
 * - A resolution on Friday owes a callback three working days later (Wednesday, the weekend does not count);
 *   when none was recorded by then the deadline service records `CallbackOverdue` once; the ticket view shows
 *   it, the statistics count it, and a late callback is still accepted.
 * - A ticket called back in time gets no CallbackOverdue; an unreached callback by text message asks the reporter
 *   (in the device's inbox) to confirm the result and rate it.
 * - Item 6: a confidential reporter (a proxy report's person and contact, a citizen's phone and device id) is in the
 *   reads of the holder (the first responder's unit) and the county supervisor, and in no read of a county admin or
 *   the auditor (view, list, history, replay, the export even unmasked); Open311 GET, the public feed and summary
 *   and the statistics exports carry no reporter's identity or phone at all.
 */
import { waitFor } from '@tongban/testing';
import { STACK_START_TIMEOUT_MS, type TestStack, startTestStack } from '../support/test-stack';

/** Friday 4 December 2026, 10:00 in Asia/Shanghai. */
const FRIDAY = '2026-12-04T02:00:00.000Z';
const TOWNSHIP = 'adm-513437100';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack({ TONGBAN_CALLBACK_BY: 'hotline' }); }, STACK_START_TIMEOUT_MS);
afterAll(async () => { await stack?.stop(); });

const PHONE = '13800001234';

async function submit(token: string): Promise<string> {
  const res = await stack.api('POST', '/api/v1/tickets', {
    token, body: { service_code: 'sanitation', division: '513437100001', title: '垃圾池满了', description: '村口垃圾池已满，无人清运。', phone: PHONE },
  });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function act(id: string, path: string, token: string, body: unknown = {}): Promise<any> {
  const res = await stack.api('POST', `/api/v1/tickets/${id}/${path}`, { token, body });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function history(id: string, token: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token })).body.events;
}

it('a callback not recorded within 3 working days is recorded overdue once, shown in the view and counted; a late callback is still taken', async () => {
  await stack.setClock(FRIDAY);
  const device = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  const supervisor = await stack.staffToken('supervisor', '513437');
  const hotline = await stack.staffToken('hotline', '513437');
  const otherHotline = await stack.staffToken('hotline', '513431');
  const [late, onTime] = [await submit(device.token), await submit(device.token)];
  for (const id of [late, onTime]) {
    await stack.waitForTicket(id, admin, (v) => v.status === 'routed');
    await act(id, 'accept', admin);
    await act(id, 'resolve', admin, { resolution: '已清运垃圾。' });
  }
  const resolved = await stack.waitForTicket(late, admin, (v) => v.status === 'resolved' && !!v.callback);
  // Three working days later: Wednesday 9 December 2026 at the time of the resolution (the test clock runs on).
  const due: string = resolved.callback.dueAt;
  expect(resolved.callback).toEqual({ dueAt: due, attempts: 0, mandatory: false, by: 'hotline' });
  expect(due.startsWith('2026-12-09T02:0')).toBe(true);
  expect(Date.parse(due) - Date.parse(resolved.resolvedAt)).toBe(5 * 86_400_000);
  expect(resolved.callbackOverdues).toEqual([]);

  // The callback is the hotline's: the first responder's unit and another county's hotline are refused.
  const body = { reached: true, channel: 'phone', rating: 'satisfied' };
  for (const [token, reason] of [[admin, 'callback_by_hotline'], [otherHotline, 'outside_jurisdiction']] as const) {
    const res = await stack.api('POST', `/api/v1/tickets/${onTime}/callback`, { token, body });
    expect({ status: res.status, reason: res.body.reason, type: res.headers.get('content-type') }).toEqual({ status: 403, reason, type: expect.stringMatching(/problem\+json/) });
  }
  // The hotline reads the ticket and the reporter's phone (to call); a county admin reading by jurisdiction sees it masked.
  const phoneIn = async (token: string) => JSON.stringify((await history(onTime, token)).find((e) => e.type === 'TicketSubmitted')?.data);
  expect(await phoneIn(hotline)).toContain(PHONE);
  expect(await phoneIn(await stack.staffToken('admin', '513437'))).not.toContain(PHONE);
  expect((await stack.api('GET', `/api/v1/tickets/${onTime}`, { token: otherHotline })).status).toBe(403);

  // Called back in time (an unreached attempt on Monday does not count as done: still owed).
  const done = await act(onTime, 'callback', hotline, body);
  expect(done.events).toEqual(['CallbackRecorded']);
  await stack.setClock('2026-12-07T02:00:00.000Z');
  await act(late, 'callback', hotline, { reached: false, channel: 'sms' });
  // A callback by text message asks the reporter to confirm the result and rate it (notice kind callback-requested).
  const request = await waitFor(async () => {
    const res = await stack.api('GET', '/api/v1/inbox', { token: device.token });
    return (res.body.messages as { kind: string; ticketId: string; title: string; body: string }[]).find((m) => m.kind === 'callback-requested');
  }, { timeoutMs: 15_000, intervalMs: 200 });
  expect(request).toMatchObject({ ticketId: late, body: '请确认您反映问题的办理结果，并按 1 至 5 分评价。' });
  expect(request.title).toContain('办理结果回访');

  // One minute before the due time nothing is overdue; at the due time the deadline service records it.
  await stack.setClock(new Date(Date.parse(due) - 60_000).toISOString());
  await new Promise((r) => setTimeout(r, 1500));
  expect((await history(late, admin)).map((e) => e.type)).not.toContain('CallbackOverdue');
  await stack.setClock(new Date(Date.parse(due) + 30_000).toISOString());
  const overdue = await stack.waitForTicket(late, admin, (v) => !!v.callback?.overdueAt, 20_000);
  expect(overdue.callback).toMatchObject({ dueAt: due, attempts: 1, by: 'hotline' });
  expect(overdue.callbackOverdues).toEqual([{ dueAt: due, overdueAt: overdue.callback.overdueAt, by: 'hotline', unitId: TOWNSHIP }]);
  const recorded = (await history(late, admin)).filter((e) => e.type === 'CallbackOverdue');
  expect(recorded.map((e) => e.data)).toEqual([{ dueAt: due, overdueAt: overdue.callback.overdueAt, callbackBy: 'hotline', unitId: TOWNSHIP, attempts: 1 }]);
  expect((await history(onTime, admin)).map((e) => e.type)).not.toContain('CallbackOverdue');

  // Counted in the statistics, with its definition.
  const stats = await waitFor(async () => {
    const r = await stack.api('GET', '/api/v1/stats?division=513437&groupBy=unit', { token: supervisor });
    return r.status === 200 && r.body.practice?.total.callbacksOverdue >= 1 ? r.body : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200 });
  expect(stats.practice.total.callbacksOverdue).toBe(1);
  expect(stats.practice.groups.find((g: { key: string }) => g.key === TOWNSHIP).callbacksOverdue).toBe(1);
  expect(stats.practice.definitions.callbacksOverdue).toMatch(/CallbackOverdue/);

  // A late callback is still recorded; nothing more is overdue after it.
  expect((await act(late, 'callback', hotline, { reached: true, channel: 'phone', rating: 'basically_satisfied' })).events).toEqual(['CallbackRecorded']);
  await stack.setClock('2026-12-10T02:00:00.000Z');
  await stack.waitForTicket(late, admin, (v) => v.callback?.outcome === 'reached');
  expect((await history(late, admin)).filter((e) => e.type === 'CallbackOverdue')).toHaveLength(1);
}, 120_000);

it('reporter privacy (item 6): a confidential reporter is seen only by the holder, the first responder\'s unit and supervisors; Open311 GET, public feeds and exports never carry a reporter', async () => {
  const NAME = '吉克阿依';
  const CONTACT = '13700007777';
  const SECRET_PHONE = '13912345678';
  const device = await stack.device();
  const officer = await stack.staffToken('information-officer', '513437100001');
  const township = await stack.staffToken('admin', '513437100');
  const countySupervisor = await stack.staffToken('supervisor', '513437');
  const countyAdmin = await stack.staffToken('admin', '513437');
  const auditor = await stack.staffToken('auditor', '5134');
  const submitAs = async (token: string, body: Record<string, unknown>) => {
    const res = await stack.api('POST', '/api/v1/tickets', {
      token, body: { service_code: 'dangerous-structure', division: '513437100001', title: '围墙开裂', description: '西街围墙开裂倾斜。', phone: SECRET_PHONE, ...body },
    });
    if (res.status !== 201) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  // An officer's proxy report and a citizen's own report, both confidential; a public one for the feed.
  const proxy = await submitAs(officer, { visibility: 'confidential', onBehalfOf: { name: NAME, contact: CONTACT } });
  const own = await submitAs(device.token, { visibility: 'confidential' });
  const open = await submitAs(device.token, { visibility: 'public', title: '路灯不亮' });
  for (const id of [proxy, own, open]) {
    await stack.waitForTicket(id, township, (v) => v.status === 'routed');
    await act(id, 'accept', township);
  }
  const secrets = [NAME, CONTACT, SECRET_PHONE, device.deviceId];
  const leaks = (body: unknown): string[] => secrets.filter((s) => (typeof body === 'string' ? body : JSON.stringify(body)).includes(s));
  const get = async (path: string, token?: string) => {
    const res = await stack.api('GET', path, token ? { token } : {});
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    return res.body;
  };

  // Inside the circle: the holder (also the first responder's unit) and the county's supervisor see who reported it.
  for (const token of [township, countySupervisor]) {
    expect(leaks(await get(`/api/v1/tickets/${proxy}/history`, token))).toEqual(expect.arrayContaining([NAME, CONTACT, SECRET_PHONE]));
    expect(leaks(await get(`/api/v1/tickets/${own}/history`, token))).toEqual(expect.arrayContaining([SECRET_PHONE, device.deviceId]));
  }
  // Outside it — a county admin reading by jurisdiction, the auditor — no read carries any of it.
  for (const token of [countyAdmin, auditor]) {
    for (const id of [proxy, own]) {
      for (const path of [`/api/v1/tickets/${id}`, `/api/v1/tickets/${id}/history`, `/api/v1/tickets/${id}/history?revision=2`, `/api/v1/tickets/${id}/replay`]) {
        expect({ path, leaks: leaks(await get(path, token)) }).toEqual({ path, leaks: [] });
      }
    }
    const list = await waitFor(async () => {
      const body = await get('/api/v1/tickets?limit=500', token);
      return [proxy, own].every((id) => body.tickets.some((t: { id: string }) => t.id === id)) ? body : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    expect(leaks(list.tickets.filter((t: { id: string }) => t.id === proxy || t.id === own))).toEqual([]);
  }
  // The auditor's export, even unmasked (a recorded disclosure), hides a confidential reporter.
  const exported = await get(`/api/v1/audit/export?division=513437&unmasked=true&reason=${encodeURIComponent('隐私测试')}&limit=2000`, auditor);
  const confidentialRows = exported.events.filter((r: { ticketId: string }) => r.ticketId === proxy || r.ticketId === own);
  expect(confidentialRows.filter((r: { type: string }) => r.type === 'TicketSubmitted')).toHaveLength(2);
  expect(leaks(confidentialRows)).toEqual([]);
  // (The public ticket's reporter is disclosed by the recorded unmasked export, as before.)
  expect(leaks(exported.events.filter((r: { ticketId: string }) => r.ticketId === open))).toEqual(expect.arrayContaining([SECRET_PHONE]));

  // Open311 GET, the public feed and summary, the statistics exports: never any reporter's identity or phone.
  const ids = [proxy, own, open].join(',');
  const open311 = await get(`/open311/v2/requests.json?service_request_id=${ids}`);
  expect(open311.map((r: { service_request_id: string }) => r.service_request_id).sort()).toEqual([proxy, own, open].sort());
  expect(leaks(open311)).toEqual([]);
  expect(leaks(await get(`/open311/v2/requests.xml?service_request_id=${ids}`))).toEqual([]);
  const feed = await waitFor(async () => {
    const body = await get('/public/v1/feed.atom?division=513437');
    return typeof body === 'string' && body.includes('路灯不亮') ? body : undefined;
  }, { timeoutMs: 90_000, intervalMs: 1000 });
  expect(leaks(feed)).toEqual([]);
  expect(leaks(await get('/public/v1/summary?division=513437'))).toEqual([]);
  for (const format of ['csv', 'jsonl']) {
    const body = await get(`/api/v1/stats/export.${format}?division=513437`, countySupervisor);
    expect(String(body)).toContain(proxy);
    expect({ format, leaks: leaks(body) }).toEqual({ format, leaks: [] });
  }
}, 180_000);
