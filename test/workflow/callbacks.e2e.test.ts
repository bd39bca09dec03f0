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
 * - A ticket called back in time gets no CallbackOverdue.
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
  await act(late, 'callback', hotline, { reached: false, channel: 'phone' });

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
