/**
 * Issue 14 item 4, the callback (回访) as a time limit, end to end: the whole platform as real processes, HTTP
 * through real sockets, the shared test clock moving time across processes.
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
beforeAll(async () => { stack = await startTestStack(); }, STACK_START_TIMEOUT_MS);
afterAll(async () => { await stack?.stop(); });

async function submit(token: string): Promise<string> {
  const res = await stack.api('POST', '/api/v1/tickets', {
    token, body: { service_code: 'sanitation', division: '513437100001', title: '垃圾池满了', description: '村口垃圾池已满，无人清运。' },
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
  const [late, onTime] = [await submit(device.token), await submit(device.token)];
  for (const id of [late, onTime]) {
    await stack.waitForTicket(id, admin, (v) => v.status === 'routed');
    await act(id, 'accept', admin);
    await act(id, 'resolve', admin, { resolution: '已清运垃圾。' });
  }
  const resolved = await stack.waitForTicket(late, admin, (v) => v.status === 'resolved' && !!v.callback);
  // Three working days later: Wednesday 9 December 2026 at the time of the resolution (the test clock runs on).
  const due: string = resolved.callback.dueAt;
  expect(resolved.callback).toEqual({ dueAt: due, attempts: 0, mandatory: false, by: 'first-responder' });
  expect(due.startsWith('2026-12-09T02:0')).toBe(true);
  expect(Date.parse(due) - Date.parse(resolved.resolvedAt)).toBe(5 * 86_400_000);
  expect(resolved.callbackOverdues).toEqual([]);
  // Called back in time (an unreached attempt on Monday does not count as done: still owed).
  await act(onTime, 'callback', admin, { reached: true, channel: 'phone', rating: 'satisfied' });
  await stack.setClock('2026-12-07T02:00:00.000Z');
  await act(late, 'callback', admin, { reached: false, channel: 'phone' });

  // One minute before the due time nothing is overdue; at the due time the deadline service records it.
  await stack.setClock(new Date(Date.parse(due) - 60_000).toISOString());
  await new Promise((r) => setTimeout(r, 1500));
  expect((await history(late, admin)).map((e) => e.type)).not.toContain('CallbackOverdue');
  await stack.setClock(new Date(Date.parse(due) + 30_000).toISOString());
  const overdue = await stack.waitForTicket(late, admin, (v) => !!v.callback?.overdueAt, 20_000);
  expect(overdue.callback).toMatchObject({ dueAt: due, attempts: 1, by: 'first-responder' });
  expect(overdue.callbackOverdues).toEqual([{ dueAt: due, overdueAt: overdue.callback.overdueAt, by: 'first-responder', unitId: TOWNSHIP }]);
  const recorded = (await history(late, admin)).filter((e) => e.type === 'CallbackOverdue');
  expect(recorded.map((e) => e.data)).toEqual([{ dueAt: due, overdueAt: overdue.callback.overdueAt, callbackBy: 'first-responder', unitId: TOWNSHIP, attempts: 1 }]);
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
  expect((await act(late, 'callback', admin, { reached: true, channel: 'phone', rating: 'basically_satisfied' })).events).toEqual(['CallbackRecorded']);
  await stack.setClock('2026-12-10T02:00:00.000Z');
  await stack.waitForTicket(late, admin, (v) => v.callback?.outcome === 'reached');
  expect((await history(late, admin)).filter((e) => e.type === 'CallbackOverdue')).toHaveLength(1);
}, 120_000);
