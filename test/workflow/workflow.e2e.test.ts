/**
 * Issue 14 (12345 practice) end to end: the whole platform as real processes, HTTP through real sockets,
 * the shared test clock moving time across processes.
 * - Items 1–2: a report's urgency class and request type are snapshotted; the receiving unit's sign-for
 *   (签收) deadline is missed → SignForBreached and the first automatic escalation; a late accept signs for
 *   it; a transfer starts the department's sign-for, met by the department's accept.
 */
import { waitFor } from '@tongban/testing';
import { STACK_START_TIMEOUT_MS, type TestStack, startTestStack } from '../support/test-stack';

const MINUTE = 60_000;
/** Tuesday 1 December 2026, 10:00 in Asia/Shanghai. */
const T0 = Date.parse('2026-12-01T02:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * MINUTE).toISOString();
const TOWNSHIP = 'adm-513437100';
const COUNTY = 'adm-513437';
const DEPARTMENT = 'dep-513437-housing-construction';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(); }, STACK_START_TIMEOUT_MS);
afterAll(async () => { await stack?.stop(); });

async function submit(token: string, body: Record<string, unknown>): Promise<string> {
  const res = await stack.api('POST', '/api/v1/tickets', { token, body: { division: '513437100001', title: '西街围墙开裂', description: '围墙出现裂缝，向外倾斜。', ...body } });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function act(id: string, path: string, token: string, body: unknown = {}): Promise<any> {
  const res = await stack.api('POST', `/api/v1/tickets/${id}/${path}`, { token, body });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

it('sign-for (签收): missed → SignForBreached and escalation; a late accept signs; a transfer is signed for by the department (items 1, 2)', async () => {
  await stack.setClock(at(0));
  const device = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  const department = await stack.staffToken('department', '513437', 'housing-construction');
  const id = await submit(device.token, { service_code: 'dangerous-structure', request_type: 'complaint' });
  const routed = await stack.waitForTicket(id, admin, (v) => v.status === 'routed' && !!v.signFor);
  expect(routed).toMatchObject({ urgencyClass: 'emergency', policySet: 'default', requestType: 'complaint', signFor: { unit: { id: TOWNSHIP }, signedAt: null } });
  expect(Date.parse(routed.signFor.dueAt) - Date.parse(routed.signFor.startedAt)).toBe(15 * MINUTE);
  // The citizen's clocks run from receipt: 24 h / 72 h from the submission (the default set).
  expect(Date.parse(routed.firstResponseDueAt) - Date.parse(routed.submittedAt)).toBe(24 * 60 * MINUTE);

  // 16 minutes later nobody has signed for it: recorded and escalated to the county (督办).
  await stack.setClock(at(16));
  const breached = await stack.waitForTicket(id, admin, (v) => v.signForBreaches.length === 1 && v.escalations.length === 1, 20_000);
  expect(breached.signForBreaches).toEqual([{ unitId: TOWNSHIP, dueAt: routed.signFor.dueAt, breachedAt: expect.any(String) }]);
  expect(breached.escalations[0]).toMatchObject({ fromUnitId: TOWNSHIP, toUnitId: COUNTY, level: 1, automatic: true });
  expect(breached.breaches).toEqual([]);
  expect(breached.holder.id).toBe(TOWNSHIP);

  // A late accept is still the sign-for.
  await act(id, 'accept', admin);
  const signed = await stack.waitForTicket(id, admin, (v) => !!v.signFor?.signedAt);
  expect(signed.firstResponder).toMatchObject({ unitId: TOWNSHIP });

  // Transferred to the county's housing department: its own sign-for, met by its staff's accept.
  await act(id, 'transfer', admin, { department: 'housing-construction', reason: '需规建部门鉴定' });
  const moved = await stack.waitForTicket(id, admin, (v) => v.signFor?.unit?.id === DEPARTMENT);
  expect(moved.signFor.signedAt).toBeNull();
  const accepted = await act(id, 'accept', department);
  expect(accepted.events).toEqual(['TicketAccepted']);
  const done = await stack.waitForTicket(id, admin, (v) => v.signFor?.unit?.id === DEPARTMENT && !!v.signFor.signedAt);
  expect(done.firstResponder).toMatchObject({ unitId: TOWNSHIP });
  expect(done.signForBreaches).toHaveLength(1);

  const history = (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: admin })).body.events as { type: string }[];
  expect(history.filter((e) => e.type === 'SignForBreached')).toHaveLength(1);
}, 90_000);

it('request_type is checked: an unknown kind of request is a 400 problem and writes nothing (item 1)', async () => {
  const device = await stack.device();
  const res = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, body: { service_code: 'sanitation', division: '513437100001', title: '垃圾', description: '没有垃圾池', request_type: 'praise' },
  });
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect((await stack.api('GET', '/api/v1/tickets', { token: device.token })).body.tickets).toEqual([]);
  // Issue 14 item 6 (the field only): the reporter's visibility choice is checked and recorded.
  const badVisibility = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, body: { service_code: 'sanitation', division: '513437100001', title: '垃圾', description: '没有垃圾池', visibility: 'everyone' },
  });
  expect(badVisibility.status).toBe(400);
  const id = await submit(device.token, { service_code: 'sanitation', visibility: 'public' });
  expect((await stack.waitForTicket(id, device.token, () => true)).visibility).toBe('public');
  const plain = await submit(device.token, { service_code: 'sanitation' });
  expect((await stack.waitForTicket(plain, device.token, () => true)).visibility).toBe('agency');
});

it('returns with review (退单): approved → rerouted and signed for by the new unit; refused → back to sign for; late → 409 (item 3)', async () => {
  await stack.setClock(at(30));
  const device = await stack.device();
  const township = await stack.staffToken('admin', '513437100');
  const xining = await stack.staffToken('admin', '513437101');
  const supervisor = await stack.staffToken('supervisor', '513437');
  const otherSupervisor = await stack.staffToken('supervisor', '513431');
  const approved = await submit(device.token, { service_code: 'sanitation' });
  const refused = await submit(device.token, { service_code: 'sanitation' });
  for (const id of [approved, refused]) await stack.waitForTicket(id, township, (v) => v.status === 'routed');

  // Bad input and nothing pending: 400 / 409 problem+json.
  const bad = await stack.api('POST', `/api/v1/tickets/${approved}/return`, { token: township, body: { reasonCode: 'not_mine' } });
  expect([bad.status, bad.headers.get('content-type')]).toEqual([400, expect.stringMatching(/problem\+json/)]);
  const other = await stack.api('POST', `/api/v1/tickets/${approved}/return`, { token: township, body: { reasonCode: 'other' } });
  expect([other.status, other.body.reason]).toEqual([400, 'missing_reason']);
  const nothing = await stack.api('POST', `/api/v1/tickets/${approved}/return-review`, { token: supervisor, body: { approve: false, reason: '不予退回' } });
  expect([nothing.status, nothing.body.reason]).toEqual([409, 'no_pending_return']);

  for (const id of [approved, refused]) {
    expect((await act(id, 'return', township, { reasonCode: 'wrong_place', reason: '该地址属西宁镇', legalBasis: '雷波县乡镇行政区划' })).events).toEqual(['TicketReturned']);
  }
  const pending = await stack.waitForTicket(approved, supervisor, (v) => !!v.pendingReturn);
  expect(pending.pendingReturn).toMatchObject({ fromUnitId: TOWNSHIP, reasonCode: 'wrong_place', legalBasis: '雷波县乡镇行政区划', reviewUnitId: '' });
  const twice = await stack.api('POST', `/api/v1/tickets/${approved}/return`, { token: township, body: { reasonCode: 'wrong_place' } });
  expect([twice.status, twice.body.reason]).toEqual([409, 'return_pending']);
  const outside = await stack.api('POST', `/api/v1/tickets/${approved}/return-review`, { token: otherSupervisor, body: { approve: true, unit: 'adm-513437101' } });
  expect([outside.status, outside.body.reason]).toEqual([403, 'outside_jurisdiction']);

  // Approved: 西宁镇 holds it and must sign for it; the citizen's clocks are unchanged.
  await act(approved, 'return-review', supervisor, { approve: true, unit: 'adm-513437101' });
  const rerouted = await stack.waitForTicket(approved, supervisor, (v) => v.holder?.id === 'adm-513437101');
  expect(rerouted).toMatchObject({ pendingReturn: null, signFor: { unit: { id: 'adm-513437101' }, signedAt: null }, returns: [{ fromUnitId: TOWNSHIP, outcome: 'approved', toUnitId: 'adm-513437101' }] });
  expect(rerouted.firstResponseDueAt).toBe(pending.firstResponseDueAt);
  await act(approved, 'accept', xining);
  expect((await stack.waitForTicket(approved, supervisor, (v) => !!v.firstResponder)).firstResponder).toMatchObject({ unitId: 'adm-513437101' });

  // Refused: back to 锦城镇, which must sign for it.
  await act(refused, 'return-review', supervisor, { approve: false, reason: '该地址属锦城镇辖区' });
  const back = await stack.waitForTicket(refused, supervisor, (v) => v.returns[0]?.outcome === 'refused');
  expect(back).toMatchObject({ holder: { id: TOWNSHIP }, signFor: { unit: { id: TOWNSHIP }, signedAt: null } });
  await act(refused, 'accept', township);

  // After 2 working days of receipt a return is refused.
  const late = await submit(device.token, { service_code: 'sanitation' });
  await stack.waitForTicket(late, township, (v) => v.status === 'routed');
  await stack.setClock(new Date(T0 + 5 * 24 * 60 * MINUTE).toISOString());
  const tooLate = await stack.api('POST', `/api/v1/tickets/${late}/return`, { token: township, body: { reasonCode: 'unclear_ownership' } });
  expect([tooLate.status, tooLate.body.reason]).toEqual([409, 'return_window_passed']);
}, 90_000);

it('callbacks (回访) with the five-level rating: dissatisfied → rectification and a mandatory second callback; unreached 3 times → closed as not reached (item 4)', async () => {
  const device = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  const otherAdmin = await stack.staffToken('admin', '513434114');
  const [a, b, c] = [await submit(device.token, { service_code: 'sanitation' }), await submit(device.token, { service_code: 'sanitation' }), await submit(device.token, { service_code: 'sanitation' })];
  for (const id of [a, b, c]) {
    await stack.waitForTicket(id, admin, (v) => v.status === 'routed');
    await act(id, 'accept', admin);
    await act(id, 'resolve', admin, { resolution: '已清运垃圾。' });
  }
  const resolved = await stack.waitForTicket(a, admin, (v) => v.status === 'resolved' && !!v.callback);
  expect(resolved.callback).toMatchObject({ attempts: 0, mandatory: false });

  // Bad input and the wrong unit: 400 / 403 problem+json.
  const bad = await stack.api('POST', `/api/v1/tickets/${a}/callback`, { token: admin, body: { reached: true, channel: 'pigeon', rating: 'satisfied' } });
  expect(bad.status).toBe(400);
  const noRating = await stack.api('POST', `/api/v1/tickets/${a}/callback`, { token: admin, body: { reached: true, channel: 'phone' } });
  expect([noRating.status, noRating.body.reason]).toEqual([400, 'invalid_rating']);
  const wrongUnit = await stack.api('POST', `/api/v1/tickets/${a}/callback`, { token: otherAdmin, body: { reached: true, channel: 'phone', rating: 'satisfied' } });
  expect(wrongUnit.status).toBe(403);

  // A — the callback finds the reporter dissatisfied: rectification (发回重办), then a mandatory second callback.
  expect((await act(a, 'callback', admin, { reached: true, channel: 'phone', rating: 'dissatisfied', comment: '垃圾池还是满的' })).events).toEqual(['CallbackRecorded', 'TicketReopened']);
  const rectified = await stack.waitForTicket(a, admin, (v) => v.rectifications === 1);
  expect(rectified).toMatchObject({ status: 'in_progress', holder: { id: TOWNSHIP }, firstResponder: { unitId: TOWNSHIP } });
  await act(a, 'resolve', admin, { resolution: '已增设垃圾池并清运。' });
  await stack.waitForTicket(a, admin, (v) => v.status === 'resolved' && v.callback?.mandatory === true);
  const early = await stack.api('POST', `/api/v1/tickets/${a}/close`, { token: admin, body: {} });
  expect([early.status, early.body.reason]).toEqual([409, 'callback_pending']);
  expect((await act(a, 'callback', admin, { reached: true, channel: 'visit', rating: 'satisfied' })).events).toEqual(['CallbackRecorded', 'TicketClosed']);
  expect(await stack.waitForTicket(a, admin, (v) => v.status === 'closed')).toMatchObject({ closedBy: 'callback', callbacks: [{ rating: 'dissatisfied' }, { rating: 'satisfied' }] });

  // B — the citizen's own rating in the app: today's numeric score 1 is very dissatisfied and sends it back.
  expect((await act(b, 'rating', device.token, { score: 1, comment: '没有处理' })).events).toEqual(['TicketRated', 'TicketReopened']);
  expect(await stack.waitForTicket(b, admin, (v) => v.rectifications === 1)).toMatchObject({ rating: { score: 1, level: 'very_dissatisfied' }, status: 'in_progress' });

  // C — three unreached attempts: closed as not reached.
  await act(c, 'callback', admin, { reached: false, channel: 'phone' });
  await act(c, 'callback', admin, { reached: false, channel: 'sms' });
  expect((await act(c, 'callback', admin, { reached: false, channel: 'visit' })).events).toEqual(['CallbackRecorded', 'TicketClosed']);
  expect(await stack.waitForTicket(c, admin, (v) => v.status === 'closed')).toMatchObject({ closedBy: 'not_reached', callback: { attempts: 3 } });
}, 90_000);

it('similar open tickets without identities, and following one instead of submitting ("me too") (item 5)', async () => {
  const reporter = await stack.device();
  const neighbour = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  // Two reports of full rubbish bins in 锦城镇, about 3 km apart, and one of another category.
  const near = await submit(reporter.token, { service_code: 'sanitation', title: '垃圾池满了', lat: 28.2630, long: 103.5710 });
  const far = await submit(reporter.token, { service_code: 'sanitation', title: '河边垃圾', lat: 28.2900, long: 103.5710 });
  const otherCategory = await submit(reporter.token, { service_code: 'road-transport', title: '班车乱收费' });
  for (const id of [near, far, otherCategory]) await stack.waitForTicket(id, admin, (v) => v.status === 'routed');

  const similar = async (query: string) => stack.api('GET', `/api/v1/tickets/similar?${query}`, { token: neighbour.token });
  const all = await similar('service_code=sanitation&division=513437100001');
  expect(all.status).toBe(200);
  const ids = all.body.tickets.map((t: { id: string }) => t.id);
  expect(ids).toEqual(expect.arrayContaining([near, far]));
  expect(ids).not.toContain(otherCategory);
  for (const t of all.body.tickets) {
    expect(Object.keys(t).sort()).toEqual(expect.arrayContaining(['id', 'reference', 'title', 'status', 'followers']));
    expect(t).not.toHaveProperty('reporter');
    expect(t).not.toHaveProperty('description');
  }
  const close = await similar('service_code=sanitation&division=513437100&lat=28.2635&long=103.5712');
  expect(close.body.tickets.map((t: { id: string }) => t.id)).toContain(near);
  expect(close.body.tickets.map((t: { id: string }) => t.id)).not.toContain(far);
  expect(close.body.tickets.find((t: { id: string }) => t.id === near).distanceMeters).toBeLessThan(100);
  const coarse = await similar('service_code=sanitation&division=513437');
  expect([coarse.status, coarse.headers.get('content-type')]).toEqual([400, expect.stringMatching(/problem\+json/)]);

  // The neighbour follows the near one: it can read it (never who reported it) and finds it in its list.
  expect((await act(near, 'follow', neighbour.token)).events).toEqual(['TicketFollowed']);
  expect((await act(near, 'follow', neighbour.token)).events).toEqual([]);
  expect((await act(near, 'follow', reporter.token)).events).toEqual([]);
  const seen = await stack.waitForTicket(near, neighbour.token, (v) => v.followers === 1);
  expect(seen.reporter).toEqual({});
  // The list comes from the read model, which follows the stream within moments.
  const mine = await waitFor(async () => {
    const res = await stack.api('GET', '/api/v1/tickets', { token: neighbour.token });
    return res.body.tickets?.length ? res.body.tickets : undefined;
  }, { timeoutMs: 10_000, intervalMs: 100 });
  expect(mine.map((t: { id: string }) => t.id)).toEqual([near]);
  expect((await stack.waitForTicket(near, reporter.token, (v) => v.followers === 1)).reporter.deviceId).toBe(reporter.deviceId);
  // Not a closed one.
  await act(far, 'withdraw', reporter.token, { reason: '已解决' });
  const closed = await stack.api('POST', `/api/v1/tickets/${far}/follow`, { token: neighbour.token, body: {} });
  expect([closed.status, closed.body.reason]).toEqual([409, 'invalid_status']);
}, 60_000);

it('statistics count returns per returning unit, missed sign-fors, callbacks, rectifications and the not reached, with their definitions (items 3, 4, 7 in part)', async () => {
  const supervisor = await stack.staffToken('supervisor', '513437');
  const res = await waitFor(async () => {
    const r = await stack.api('GET', '/api/v1/stats?division=513437&groupBy=unit', { token: supervisor });
    return r.status === 200 && r.body.practice?.total.closedNotReached >= 1 ? r : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200 });
  const { practice } = res.body;
  expect(practice.definitions.returns).toMatch(/退单/);
  const township = practice.groups.find((g: { key: string }) => g.key === TOWNSHIP);
  // The earlier tests: two returns by 锦城镇 (one approved, one refused); missed sign-fors: the emergency left
  // 16 minutes, and every ticket left unsigned while the clock moved five days on (the late one, the visibility ones).
  expect(township.returns).toMatchObject({ total: 2, approved: 1, refused: 1 });
  expect(township.signForMissed).toBe(4);
  expect(practice.total).toMatchObject({ rectifications: 2, closedNotReached: 1, followers: 1 });
  expect(practice.total.callbackSatisfaction).toMatchObject({ enoughData: false, rate: null });
}, 30_000);

it('merging a duplicate (并单): it ends pointing at its lead, its reporter follows the lead and hears of it, the statistics count it once (item 5)', async () => {
  const first = await stack.device();
  const second = await stack.device();
  const township = await stack.staffToken('admin', '513437100');
  const supervisor = await stack.staffToken('supervisor', '513437');
  const otherSupervisor = await stack.staffToken('supervisor', '513431');
  // Two reports of the same problem, in a category no other test uses (so its figures are this test's).
  const lead = await submit(first.token, { service_code: 'education', title: '村小学屋顶漏雨' });
  const duplicate = await submit(second.token, { service_code: 'education', title: '学校房顶漏水' });
  for (const id of [lead, duplicate]) await stack.waitForTicket(id, township, (v) => v.status === 'routed');
  await act(lead, 'accept', township);
  const education = async () => {
    const r = await stack.api('GET', '/api/v1/stats?division=513437&groupBy=category', { token: supervisor });
    return { main: r.body.groups.find((g: { key: string }) => g.key === 'education'), practice: r.body.practice.groups.find((g: { key: string }) => g.key === 'education') };
  };
  expect((await waitFor(async () => ((await education()).main?.received === 2 ? true : undefined), { timeoutMs: 15_000, intervalMs: 200 }))).toBe(true);

  // Refusals, problem+json: into itself, into nothing, by a supervisor of another county.
  const itself = await stack.api('POST', `/api/v1/tickets/${duplicate}/merge`, { token: supervisor, body: { into: duplicate } });
  expect([itself.status, itself.body.reason, itself.headers.get('content-type')]).toEqual([400, 'merge_into_itself', expect.stringMatching(/problem\+json/)]);
  const nothing = await stack.api('POST', `/api/v1/tickets/${duplicate}/merge`, { token: supervisor, body: { into: '0193a0b2-7c1e-7d41-9a2b-5e1f0c3d4a5b' } });
  expect([nothing.status, nothing.body.reason]).toEqual([404, 'merge_target_not_found']);
  const outside = await stack.api('POST', `/api/v1/tickets/${duplicate}/merge`, { token: otherSupervisor, body: { into: lead } });
  expect([outside.status, outside.body.reason]).toEqual([403, 'outside_jurisdiction']);
  const noReference = await stack.api('POST', `/api/v1/tickets/${duplicate}/merge`, { token: supervisor, body: { into: 'LS-1999-000001' } });
  expect([noReference.status, noReference.body.reason]).toEqual([404, 'merge_target_not_found']);
  // A ticket of another county, named by id (its reference is not found either): answered as if it did not
  // exist, by merge and by duplicate, and nothing is written on either ticket.
  const elsewhere = await submit(first.token, { service_code: 'water-supply', division: '513431100001', title: '自来水停水' });
  await stack.waitForTicket(elsewhere, otherSupervisor, (v) => v.status === 'routed');
  for (const [path, token, body, status, reason] of [
    ['merge', supervisor, { into: elsewhere }, 404, 'merge_target_not_found'], ['duplicate', township, { of: elsewhere }, 400, 'duplicate_target_not_found'],
  ] as const) {
    const res = await stack.api('POST', `/api/v1/tickets/${duplicate}/${path}`, { token, body });
    expect([res.status, res.body.reason, res.headers.get('content-type')]).toEqual([status, reason, expect.stringMatching(/problem\+json/)]);
  }
  const typesOf = async (id: string, token: string) => ((await stack.api('GET', `/api/v1/tickets/${id}/history`, { token })).body.events as { type: string }[]).map((e) => e.type);
  expect(await typesOf(elsewhere, otherSupervisor)).not.toContain('DuplicateMerged');
  expect(await typesOf(duplicate, supervisor)).not.toEqual(expect.arrayContaining(['TicketMerged']));
  expect(await typesOf(duplicate, supervisor)).not.toContain('TicketMarkedDuplicate');

  // The county supervisor merges it, naming the lead by its reference (as officers see it): the duplicate
  // ends pointing at the lead; merging again (by id) changes nothing.
  const leadReference = (await stack.waitForTicket(lead, township, () => true)).reference;
  expect((await act(duplicate, 'merge', supervisor, { into: leadReference.toLowerCase() })).events).toEqual(['TicketMerged']);
  expect((await act(duplicate, 'merge', supervisor, { into: lead })).events).toEqual([]);
  const ended = await stack.waitForTicket(duplicate, second.token, (v) => v.status === 'duplicate');
  expect(ended).toMatchObject({ duplicateOf: lead, mergedInto: { id: lead, reference: leadReference } });
  const leadView = await stack.waitForTicket(lead, township, (v) => v.merged === 1);
  expect(leadView.followers).toBe(1);
  const history = (await stack.api('GET', `/api/v1/tickets/${lead}/history`, { token: supervisor })).body.events as { type: string; data: Record<string, unknown> }[];
  expect(history.filter((e) => e.type === 'DuplicateMerged')).toEqual([expect.objectContaining({ data: expect.objectContaining({ mergedTicketId: duplicate, reporterDeviceId: second.deviceId }) })]);

  // The duplicate's reporter now reads the lead (never who reported it) and hears of it: the merge, then the lead's public reply.
  expect((await stack.waitForTicket(lead, second.token, (v) => v.merged === 1)).reporter).toEqual({});
  const inbox = async (kind: string, ticketId: string) => waitFor(async () => {
    const res = await stack.api('GET', '/api/v1/inbox', { token: second.token });
    return (res.body.messages as { kind: string; ticketId: string; title: string }[]).find((m) => m.kind === kind && m.ticketId === ticketId);
  }, { timeoutMs: 15_000, intervalMs: 200 });
  expect((await inbox('merged', duplicate)).title).toContain(leadReference);
  await act(lead, 'reply', township, { message: '明天派人修缮屋顶。', public: true });
  expect(await inbox('public-reply', lead)).toMatchObject({ title: expect.stringContaining(leadReference) });

  // Counted once: the category's received drops to 1; the practice figures count the merge on the lead.
  const once = await waitFor(async () => {
    const figures = await education();
    return figures.main?.received === 1 && figures.practice?.merged === 1 ? figures : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200 });
  expect(once.practice.followers).toBe(1);
}, 90_000);

it('statistics: the sign-for timeliness rate (签收及时率) and the per-ticket exports as CSV and JSON Lines, without identities (item 7)', async () => {
  const supervisor = await stack.staffToken('supervisor', '513437');
  const admin = await stack.staffToken('admin', '513437100');
  // The merge test's lead was signed for at once; its merged duplicate counts nowhere (by category: education).
  const stats = await waitFor(async () => {
    const r = await stack.api('GET', '/api/v1/stats?division=513437&groupBy=category', { token: supervisor });
    return r.body.practice?.groups.find((g: { key: string }) => g.key === 'education');
  }, { timeoutMs: 15_000, intervalMs: 200 });
  expect(stats.signForOnTime).toEqual({ count: 1, of: 1, rate: null, enoughData: false });
  const all = (await stack.api('GET', '/api/v1/stats?division=513437', { token: supervisor })).body.practice;
  expect(all.definitions.signForOnTime).toMatch(/签收及时率/);
  // The first test's township signed late after its breach; the department signed on time.
  expect(all.total.signForOnTime.count).toBeGreaterThanOrEqual(1);
  expect(all.total.signForOnTime.of).toBeGreaterThan(all.total.signForOnTime.count);

  const csv = await fetch(`${stack.url}/api/v1/stats/export.csv?division=513437`, { headers: { authorization: `Bearer ${supervisor}` } });
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect(csv.headers.get('content-disposition')).toBe('attachment; filename="tongban-stats-513437.csv"');
  const text = await csv.text();
  const lines = text.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
  expect(lines[0]).toMatch(/^ticketId,reference,division,serviceCode,.*receivedAt,routedAt,signedForAt,firstReplyAt,.*mergedInto$/);
  expect(lines.length - 1).toBe(Number(csv.headers.get('tongban-export-rows')));

  const jsonl = await fetch(`${stack.url}/api/v1/stats/export.jsonl?division=513437`, { headers: { authorization: `Bearer ${supervisor}` } });
  expect(jsonl.headers.get('content-type')).toBe('application/jsonl; charset=utf-8');
  const rows = (await jsonl.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string | number | null>);
  expect(rows).toHaveLength(lines.length - 1);
  const lead = rows.find((r) => r.serviceCode === 'education' && r.merged === 1)!;
  expect(lead).toMatchObject({ status: 'in_progress', routedAt: expect.any(String), signedForAt: expect.any(String), firstReplyAt: expect.any(String), resolvedAt: null });
  expect(rows.find((r) => r.mergedInto === lead.ticketId)).toMatchObject({ status: 'duplicate', serviceCode: 'education' });
  // No identities: neither the devices nor the reporters' texts.
  for (const secret of ['deviceId', '西街围墙开裂', '围墙出现裂缝']) expect(text).not.toContain(secret);
  const refused = await stack.api('GET', '/api/v1/stats/export.csv?division=513437', { token: admin });
  expect([refused.status, refused.body.reason]).toEqual([403, 'role_not_allowed']);
}, 60_000);

it('public summary per county and month, and the Atom feed of public reports without identities, without authentication (item 8)', async () => {
  const reporter = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  const shown = await submit(reporter.token, {
    service_code: 'road-transport', title: '班车 <超载> & 乱收费', description: '我是张三，昨天坐车被多收了钱。', phone: '13800000000', visibility: 'public',
  });
  const hidden = await submit(reporter.token, { service_code: 'road-transport', title: '不公开的反映', visibility: 'agency' });
  for (const id of [shown, hidden]) await stack.waitForTicket(id, admin, (v) => v.status === 'routed');
  await act(shown, 'accept', admin);
  await act(shown, 'reply', admin, { message: '已通知县运管所核查。', public: true });
  await stack.waitForTicket(shown, admin, (v) => v.lastPublicReply === '已通知县运管所核查。');

  const summary = await fetch(`${stack.url}/public/v1/summary?division=513437`);
  expect([summary.status, summary.headers.get('cache-control')]).toEqual([200, 'public, max-age=300']);
  const body = await summary.json() as { definitions: Record<string, string>; months: { county: string; countyName: string; month: string; received: number; resolvedOnTime: { of: number } }[] };
  expect(Object.keys(body.definitions).sort()).toEqual(['received', 'resolved', 'resolvedOnTime', 'satisfaction']);
  const month = body.months.find((m) => m.county === '513437' && m.month === '2026-12');
  expect(month).toMatchObject({ countyName: '雷波县', received: expect.any(Number) });
  expect(month!.received).toBeGreaterThanOrEqual(2);
  expect(month!.resolvedOnTime.of).toBe(month!.received);

  const feed = await fetch(`${stack.url}/public/v1/feed.atom?division=513437`, { headers: { 'accept-language': 'en' } });
  expect([feed.status, feed.headers.get('content-type'), feed.headers.get('cache-control')]).toEqual([200, 'application/atom+xml; charset=utf-8', 'public, max-age=300']);
  const atom = await feed.text();
  expect(atom).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
  expect(atom).toContain(`<id>urn:uuid:${shown}</id>`);
  expect(atom).toContain('<title>[In progress] 班车 &lt;超载&gt; &amp; 乱收费</title>');
  expect(atom).toContain('已通知县运管所核查。');
  expect(atom).not.toContain(hidden);
  for (const secret of [reporter.deviceId, '张三', '13800000000', '多收了钱']) expect(atom).not.toContain(secret);

  const unknown = await fetch(`${stack.url}/public/v1/summary?division=999999`);
  expect([unknown.status, (await unknown.json() as { reason: string }).reason]).toEqual([404, 'unknown_division']);
}, 60_000);

it('two tickets merged or marked duplicate of each other, at once or one after the other: one is taken, the other is 409; never a cycle', async () => {
  const reporter = await stack.device();
  const township = await stack.staffToken('admin', '513437100');
  const pair = async (round: string) => {
    const ids = [await submit(reporter.token, { service_code: 'water-supply', title: `停水 ${round}a` }), await submit(reporter.token, { service_code: 'water-supply', title: `停水 ${round}b` })];
    for (const id of ids) await stack.waitForTicket(id, township, (v) => v.status === 'routed');
    return ids as [string, string];
  };
  const written = async (ids: string[], type: string) => (await Promise.all(ids.map(async (id) => ((await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: township })).body.events as { type: string }[])
    .filter((e) => e.type === type).length))).sort();
  const cases = [['merge', 'into', 'TicketMerged', 'merge_target_final'], ['duplicate', 'of', 'TicketMarkedDuplicate', 'duplicate_target_duplicate']] as const;
  for (const [path, field, event, reason] of cases) {
    for (let round = 0; round < 3; round++) {
      const [a, b] = await pair(`${path} ${round}`);
      const answers = await Promise.all([
        stack.api('POST', `/api/v1/tickets/${a}/${path}`, { token: township, body: { [field]: b } }),
        stack.api('POST', `/api/v1/tickets/${b}/${path}`, { token: township, body: { [field]: a } }),
      ]);
      expect([path, answers.map((r) => r.status).sort()]).toEqual([path, [200, 409]]);
      expect(answers.find((r) => r.status === 409)!.body.reason).toBe(reason);
      expect(await written([a, b], event)).toEqual([0, 1]);
    }
    const [a, b] = await pair(`${path} one after the other`);
    expect((await stack.api('POST', `/api/v1/tickets/${a}/${path}`, { token: township, body: { [field]: b } })).status).toBe(200);
    const back = await stack.api('POST', `/api/v1/tickets/${b}/${path}`, { token: township, body: { [field]: a } });
    expect([path, back.status, back.body.reason]).toEqual([path, 409, reason]);
    expect(await written([a, b], event)).toEqual([0, 1]);
  }
}, 90_000);
