/**
 * Issue 4 end to end: the whole platform as real processes (startTestStack), moving the shared test clock
 * across processes. One timeline (the clock only moves forward) with four tickets:
 * - A is never answered: warning at 18 h, first-response breach at 24 h with the first escalation
 *   (township → county), the second escalation (→ prefecture) 24 h later; then the deadline process is
 *   killed with SIGKILL, the resolution due time (72 h) passes while it is down, and on restart that
 *   breach is recorded exactly once;
 * - B waits on the reporter from 1 h to 80 h: no resolution breach while paused; the answer moves the due
 *   time by the pause, and it is breached at the moved time;
 * - C is resolved, then reopened long after its old due time: not overdue, breached only 72 h after the reopen;
 * - D: bad input (a deadline in the past, an extension without a reason) → 400 problem+json, nothing written;
 * - E and F (issue 16 item 9): accepted 09:10, then at 09:20 E's unit asks the reporter a question and F's
 *   announces a resolution deadline — each meets the first response: no warning at 18 h, no breach or
 *   escalation at 24 h (while A, submitted after them, is warned and breached), and the statistics count
 *   them as first replies on time.
 */
import { waitFor } from '@tongban/testing';
import { STACK_START_TIMEOUT_MS, type TestStack, startTestStack } from '../support/test-stack';

const HOUR = 3_600_000;
/** Tuesday 1 December 2026, 09:00 in Asia/Shanghai. */
const T0 = Date.parse('2026-12-01T01:00:00.000Z');
const at = (hours: number): string => new Date(T0 + hours * HOUR).toISOString();
const TOWNSHIP = 'adm-513437100';
const COUNTY = 'adm-513437';
const PREFECTURE = 'adm-5134';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack({ TONGBAN_REESCALATE_HOURS: '24' }); }, STACK_START_TIMEOUT_MS);
afterAll(async () => { await stack?.stop(); });

it('warns, breaches, escalates twice, pauses, reopens and survives kill -9 of the deadline service', async () => {
  const api = stack.api.bind(stack);
  await stack.setClock(at(0));
  const device = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  const submit = async (title: string): Promise<string> => {
    const res = await api('POST', '/api/v1/tickets', {
      token: device.token, body: { service_code: 'dangerous-structure', division: '513437100001', title, description: '围墙出现裂缝，向外倾斜。' },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const act = async (id: string, path: string, body: unknown, token = admin): Promise<void> => {
    const res = await api('POST', `/api/v1/tickets/${id}/${path}`, { token, body });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const view = (id: string, predicate: (v: any) => boolean) => stack.waitForTicket(id, admin, predicate, 20_000);
  const history = async (id: string): Promise<any[]> => {
    const body = (await api('GET', `/api/v1/tickets/${id}/history`, { token: admin })).body;
    return Array.isArray(body) ? body : body.events; // { id, events } (or a bare list)
  };
  const inbox = async (token: string, match: (m: any) => boolean): Promise<any> => {
    const until = Date.now() + 15_000;
    for (;;) {
      const body = (await api('GET', '/api/v1/inbox', { token })).body;
      const messages: any[] = Array.isArray(body) ? body : Array.isArray(body?.messages) ? body.messages : [];
      const found = messages.find(match);
      if (found) return found;
      if (Date.now() > until) throw new Error(`inbox never had the message; last: ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const countOf = (events: any[], type: string, leg?: string) => events.filter((e) => e.type === type && (!leg || e.data?.leg === leg)).length;
  const timers = stack.pool(1);
  /**
   * The deadline service has handled every timer due by `clock` (fired it, or found it stale: its row is
   * gone with its transaction committed), and `ticketId`'s resolution breach is scheduled at `dueAt`: the
   * positive signal that a wrong breach would have been written by now (instead of a fixed wait).
   */
  const timersSettled = (clock: string, ticketId: string, dueAt: string) => waitFor(async () => {
    const { rows } = await timers.query<{ overdue: number; scheduled: number }>(
      `SELECT count(*) FILTER (WHERE due_at <= $1::timestamptz)::int AS overdue,
         count(*) FILTER (WHERE ticket_id = $2 AND leg = 'resolution' AND kind = 'breach' AND due_at = $3::timestamptz)::int AS scheduled
       FROM sla_timers`, [clock, ticketId, dueAt]);
    return rows[0]!.overdue === 0 && rows[0]!.scheduled === 1;
  }, { timeoutMs: 20_000, intervalMs: 50, description: `every timer due by ${clock} handled, ${ticketId}'s breach at ${dueAt}` });

  // E and F first: their (stale) timers would be due before A's, so A's breach comes after any wrong one of theirs.
  const [e, f] = [await submit('E 先向群众提问'), await submit('F 先告知办结期限')];
  const [a, b, c, d] = [await submit('A 无人答复'), await submit('B 待补充信息'), await submit('C 重新打开'), await submit('D 错误输入')];
  // The test clock keeps running from the instant it was set: due times count from each submission instant.
  const submittedAt = new Map<string, number>();
  for (const id of [a, b, c, d, e, f]) {
    const v = await view(id, (x) => x.status === 'routed');
    submittedAt.set(id, Date.parse(v.submittedAt));
    expect([Date.parse(v.firstResponseDueAt), Date.parse(v.resolutionDueAt)]).toEqual([Date.parse(v.submittedAt) + 24 * HOUR, Date.parse(v.submittedAt) + 72 * HOUR]);
  }
  const due = (id: string, hours: number): string => new Date((submittedAt.get(id) ?? 0) + hours * HOUR).toISOString();
  const near = (iso: string, expected: string, toleranceMs = 30_000): void => expect(Math.abs(Date.parse(iso) - Date.parse(expected))).toBeLessThan(toleranceMs);
  // A is signed for (签收, issue 14 item 2) at once and then left unanswered; B, C, D are accepted too.
  for (const id of [a, b, c, d]) await act(id, 'accept', {});
  for (const id of [b, c]) await act(id, 'reply', { message: '已收到，正在处理。', public: true });

  // E, F — accepted 09:10; at 09:20 a question to the reporter (E), an announced deadline (F): each is the first reply.
  await stack.setClock(at(1 / 6));
  for (const id of [e, f]) await act(id, 'accept', {});
  await stack.setClock(at(1 / 3));
  await act(e, 'request-information', { question: '围墙靠近哪条路？' });
  await act(f, 'deadline', { dueAt: at(400), reason: '需要施工，三天内无法完成' });
  for (const id of [e, f]) near((await view(id, (v) => !!v.firstRespondedAt)).firstRespondedAt, at(1 / 3));
  expect((await view(e, () => true)).status).toBe('awaiting_information');

  // D — bad input: 400 problem+json and nothing written.
  const before = (await history(d)).length;
  for (const [body, reason] of [
    [{ dueAt: at(-1), reason: '需要施工' }, 'deadline_in_past'],
    [{ dueAt: at(100), reason: '   ' }, 'missing_reason'],
    [{ dueAt: at(100) }, undefined],
    [{ dueAt: 'next week', reason: '需要施工' }, undefined],
  ] as const) {
    const res = await api('POST', `/api/v1/tickets/${d}/deadline`, { token: admin, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    if (reason) expect(res.body.reason).toBe(reason);
  }
  expect((await history(d)).length).toBe(before);

  await stack.setClock(at(1));
  await act(b, 'request-information', { question: '围墙在哪一侧？' });
  await act(c, 'resolve', { resolution: '已拆除危墙。' });
  await view(b, (v) => v.status === 'awaiting_information' && v.resolutionPaused === true);

  // A — warning at 0.75 × 24 h, to the holding unit.
  await stack.setClock(at(18.02));
  const warned = await view(a, (v) => v.warnings.length === 1);
  expect(warned.warnings).toEqual([{ leg: 'first_response', dueAt: due(a, 24) }]);
  expect(warned.breaches).toEqual([]);
  for (const id of [e, f]) expect((await view(id, () => true)).warnings).toEqual([]);

  // A — breach of the first response and the first escalation, one level up (township → county).
  await stack.setClock(at(24.02));
  const breached = await view(a, (v) => v.escalations.length === 1);
  expect(breached.breaches).toEqual([{ leg: 'first_response', dueAt: due(a, 24), breachedAt: expect.any(String) }]);
  expect(breached.escalations[0]).toMatchObject({ fromUnitId: TOWNSHIP, toUnitId: COUNTY, level: 1, automatic: true });
  expect(breached.supervisingUnit?.id).toBe(COUNTY);
  expect(breached.holder?.id).toBe(TOWNSHIP);
  // The escalation notifies the supervising unit (its supervisor's inbox).
  const supervisor = await stack.staffToken('supervisor', '513437');
  await inbox(supervisor, (m) => m.ticketId === a && m.kind === 'escalated');
  // B (first response met, resolution paused) and C (resolved) have nothing due.
  expect((await view(b, () => true)).breaches).toEqual([]);
  // E, F — their first response was met by the question / the announced deadline: no breach, no escalation.
  for (const id of [e, f]) expect(await view(id, () => true)).toMatchObject({ warnings: [], breaches: [], escalations: [], supervisingUnit: null });
  // Statistics follow: first replies on time are B, C (public replies), E (question) and F (deadline), of six due.
  const figures = await waitFor(async () => {
    const res = await api('GET', '/api/v1/stats?division=513437', { token: supervisor });
    return res.status === 200 && res.body.total.firstRepliesOnTime.of === 6 ? res.body.total : undefined;
  }, { timeoutMs: 15_000, intervalMs: 100 });
  expect(figures.firstRepliesOnTime).toMatchObject({ count: 4, of: 6 });

  // A — still unanswered 24 h after the breach: the second escalation, to the prefecture.
  await stack.setClock(at(48.05));
  const second = await view(a, (v) => v.escalations.length === 2);
  expect(second.escalations[1]).toMatchObject({ toUnitId: PREFECTURE, level: 2, automatic: true });
  expect(second.supervisingUnit?.id).toBe(PREFECTURE);

  // kill -9: A's resolution is due at 72 h while the deadline service is down; on restart it fires once.
  await stack.kill('deadline', 'SIGKILL');
  await stack.setClock(at(80));
  // B — paused all along: its old due time (72 h) passed without a breach. The reporter answers now.
  await act(b, 'information', { text: '在西侧，靠近学校。' }, device.token);
  // C — reopened 79 h after its resolution, long after its old 72 h due time.
  await act(c, 'reopen', { reason: '围墙又出现新的裂缝。' }, device.token);
  await stack.restart('deadline');
  await view(a, (v) => v.breaches.length === 2);
  const resumed = await view(b, (v) => v.resolutionPaused === false);
  near(resumed.resolutionDueAt, due(b, 72 + 79)); // moved later by the 79 h pause
  expect(resumed.breaches).toEqual([]);
  const reopened = await view(c, (v) => v.status === 'in_progress');
  near(reopened.resolutionDueAt, at(80 + 72)); // a new 72 h leg from the reopen
  await timersSettled(at(80), c, reopened.resolutionDueAt); // a wrong breach of C's old due time would be written by now
  expect(countOf(await history(c), 'DeadlineBreached')).toBe(0);
  expect((await view(c, () => true)).breaches).toEqual([]);
  expect(reopened.breaches).toEqual([]);
  const aHistory = await history(a);
  expect(countOf(aHistory, 'DeadlineBreached', 'resolution')).toBe(1);
  expect(countOf(aHistory, 'TicketEscalated')).toBe(2);

  // B — breached at its moved due time (72 h + the 79 h pause), not before.
  const bDue = Date.parse(resumed.resolutionDueAt);
  await stack.setClock(new Date(bDue - HOUR / 2).toISOString());
  await timersSettled(new Date(bDue - HOUR / 2).toISOString(), b, resumed.resolutionDueAt);
  expect(countOf(await history(b), 'DeadlineBreached', 'resolution')).toBe(0);
  expect((await view(b, () => true)).breaches).toEqual([]);
  await stack.setClock(new Date(bDue + 60_000).toISOString());
  const bBreached = await view(b, (v) => v.breaches.length === 1 && v.escalations.length === 1);
  expect(bBreached.breaches[0]).toMatchObject({ leg: 'resolution', dueAt: resumed.resolutionDueAt });
  expect(bBreached.escalations).toMatchObject([{ toUnitId: COUNTY, level: 1, automatic: true }]);
  expect((await view(c, () => true)).breaches).toEqual([]);

  // C — breached 72 h after the reopen.
  await stack.setClock(new Date(Date.parse(reopened.resolutionDueAt) + 60_000).toISOString());
  const cBreached = await view(c, (v) => v.breaches.length === 1);
  expect(cBreached.breaches[0]).toMatchObject({ leg: 'resolution', dueAt: reopened.resolutionDueAt });

  // Every timer fired once: no duplicates anywhere.
  for (const id of [a, b, c, d, e, f]) {
    const events = await history(id);
    const keys = events.filter((e) => e.type.startsWith('Deadline')).map((e) => `${e.type}/${e.data?.leg}/${e.data?.dueAt}`);
    expect(new Set(keys).size).toBe(keys.length);
  }
}, 85_000);
