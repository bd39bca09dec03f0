/**
 * Issue 3, "who may do what": every role × every action × inside/outside jurisdiction, through the
 * gateway over real sockets. Allowed actions succeed; denied ones get 403 problem+json and leave the
 * ticket's stream unchanged. Reads are scoped the same way. Also: If-Match → 412 on a stale revision,
 * and 50 concurrent replies are each recorded or answered with a clear conflict, revisions gapless.
 *
 * Staff act with access tokens obtained as people get them (issue 9 §4): the bootstrap directory-admin
 * creates one person per (role, unit) and each signs in (test/support/staff-sign-in.ts).
 *
 * The expected matrix below is written from the role definitions, not from the decider's table.
 */
import { BOOTSTRAP_PASSWORD, type StaffSession, type StaffSpec, createStaffPeople, signInBootstrapAdmin } from '../support/staff-sign-in';
import { STACK_START_TIMEOUT_MS, type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
const citizens: Record<string, string> = {};
/** The staff of the matrix, each a person created by the bootstrap directory-admin and signed in (issue 9 §4). */
let staff: Record<StaffRole, StaffSession>;
/** The bootstrap directory-admin (a person token without a ticket role). */
let directoryAdmin: StaffSession;

/** Roles of the matrix; the ticket is in 锦城镇 (513437100001, 雷波县 513437), category dangerous-structure. */
const ROLES = [
  'citizen-reporter', 'citizen-other', 'officer-same-township', 'admin-holder', 'admin-other-township', 'admin-county',
  'department-holder', 'department-other-county', 'supervisor-county', 'supervisor-prefecture', 'supervisor-other-county', 'auditor',
  'hotline-county',
] as const;
type Role = (typeof ROLES)[number];
type StaffRole = Exclude<Role, 'citizen-reporter' | 'citizen-other'>;

/** Each staff role's (role, unit) as `npm run token` names it. */
const STAFF: Record<StaffRole, StaffSpec> = {
  'officer-same-township': { role: 'information-officer', division: '513437100001' },
  'admin-holder': { role: 'admin', division: '513437100' },
  'admin-other-township': { role: 'admin', division: '513434114' },
  'admin-county': { role: 'admin', division: '513437' },
  'department-holder': { role: 'department', division: '513437', department: 'housing-construction' },
  'department-other-county': { role: 'department', division: '513431', department: 'housing-construction' },
  'supervisor-county': { role: 'supervisor', division: '513437' },
  'supervisor-prefecture': { role: 'supervisor', division: '5134' },
  'supervisor-other-county': { role: 'supervisor', division: '513431' },
  'auditor': { role: 'auditor', division: '5134' },
  // Issue 14 item 4: 雷波县's 12345 hotline; this stack runs with the default TONGBAN_CALLBACK_BY=first-responder, so it
  // reads the county's tickets and may do nothing (hotline callbacks: test/workflow/callbacks.e2e.test.ts).
  'hotline-county': { role: 'hotline', division: '513437' },
};

/** The access token of a role of the matrix. */
async function tokenOf(role: Role): Promise<string> {
  return role === 'citizen-reporter' || role === 'citizen-other' ? citizens[role]! : staff[role].token();
}

type Setup = 'routed' | 'accepted' | 'transferred' | 'resolved' | 'returned';

/** Action → the state it is tried in, a valid body, and the roles that may do it. */
const MATRIX: Record<string, { setup: Setup; body: (ctx: { other: string }) => Record<string, unknown>; allowed: Role[] }> = {
  accept: { setup: 'routed', body: () => ({}), allowed: ['admin-holder'] },
  reply: { setup: 'accepted', body: () => ({ message: '正在处理', public: true }), allowed: ['admin-holder'] },
  notes: { setup: 'accepted', body: () => ({ text: '内部记录' }), allowed: ['admin-holder', 'supervisor-county', 'supervisor-prefecture'] },
  'request-information': { setup: 'accepted', body: () => ({ question: '请提供照片' }), allowed: ['admin-holder'] },
  information: { setup: 'accepted', body: () => ({ text: '补充：墙高三米' }), allowed: ['citizen-reporter'] },
  deadline: { setup: 'accepted', body: () => ({ dueAt: new Date(Date.now() + 5 * 86_400_000).toISOString(), reason: '需要施工' }), allowed: ['admin-holder'] },
  transfer: { setup: 'accepted', body: () => ({ department: 'housing-construction', reason: '需规建部门处置' }), allowed: ['admin-holder'] },
  handback: { setup: 'transferred', body: () => ({ findings: '已拆除' }), allowed: ['department-holder'] },
  resolve: { setup: 'accepted', body: () => ({ resolution: '已处理' }), allowed: ['admin-holder'] },
  verify: { setup: 'resolved', body: () => ({ method: 'call', note: '电话回访' }), allowed: ['admin-holder', 'supervisor-county', 'supervisor-prefecture'] },
  close: { setup: 'resolved', body: () => ({ reason: '满意' }), allowed: ['citizen-reporter', 'admin-holder'] },
  reopen: { setup: 'resolved', body: () => ({ reason: '墙又裂了' }), allowed: ['citizen-reporter'] },
  rating: { setup: 'resolved', body: () => ({ score: 5 }), allowed: ['citizen-reporter'] },
  reject: { setup: 'accepted', body: () => ({ reason: '不属于受理范围', category: 'out-of-scope' }), allowed: ['admin-holder'] },
  duplicate: { setup: 'accepted', body: (c) => ({ of: c.other }), allowed: ['admin-holder'] },
  withdraw: { setup: 'routed', body: () => ({ reason: '已自行解决' }), allowed: ['citizen-reporter'] },
  reassign: { setup: 'accepted', body: () => ({ unit: 'adm-513437101', reason: '由西宁镇办理' }), allowed: ['supervisor-county', 'supervisor-prefecture'] },
  escalate: { setup: 'accepted', body: () => ({ reason: '需县级协调' }), allowed: ['supervisor-county', 'supervisor-prefecture'] },
  // Issue 14 item 3: the receiving unit returns (退单); the area's supervisors review a routed ticket's return.
  return: { setup: 'routed', body: () => ({ reasonCode: 'wrong_place', reason: '属西宁镇' }), allowed: ['admin-holder'] },
  // Issue 14 item 4: the first responder's unit calls the reporter back.
  callback: { setup: 'resolved', body: () => ({ reached: true, channel: 'phone', rating: 'satisfied' }), allowed: ['admin-holder'] },
  'return-review': { setup: 'returned', body: () => ({ approve: false, reason: '属锦城镇辖区' }), allowed: ['supervisor-county', 'supervisor-prefecture'] },
};

/** Roles that may read the ticket. */
const READERS: Role[] = ['citizen-reporter', 'admin-holder', 'admin-county', 'supervisor-county', 'supervisor-prefecture', 'auditor', 'hotline-county'];

beforeAll(async () => {
  stack = await startTestStack({ TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD });
  citizens['citizen-reporter'] = (await stack.device()).token;
  citizens['citizen-other'] = (await stack.device()).token;
  directoryAdmin = await signInBootstrapAdmin(stack);
  staff = await createStaffPeople(stack, directoryAdmin, STAFF);
}, STACK_START_TIMEOUT_MS + 120_000);
afterAll(async () => { await stack?.stop(); });

async function post(id: string, action: string, role: Role, body: unknown, headers: Record<string, string> = {}) {
  return stack.api('POST', `/api/v1/tickets/${id}/${action}`, { token: await tokenOf(role), body, headers });
}

async function ok(id: string, action: string, role: Role, body: unknown = {}): Promise<void> {
  const res = await post(id, action, role, body);
  if (res.status !== 200) throw new Error(`${action} by ${role}: ${res.status} ${JSON.stringify(res.body)}`);
}

async function ticketIn(setup: Setup): Promise<string> {
  const res = await stack.api('POST', '/api/v1/tickets', {
    token: await tokenOf('citizen-reporter'),
    body: { service_code: 'dangerous-structure', division: '513437100001', title: '围墙开裂', description: '西街围墙开裂倾斜' },
  });
  expect(res.status).toBe(201);
  const id: string = res.body.id;
  await stack.waitForTicket(id, await tokenOf('auditor'), (v) => v.status === 'routed');
  if (setup === 'routed') return id;
  if (setup === 'returned') {
    await ok(id, 'return', 'admin-holder', { reasonCode: 'wrong_place', reason: '属西宁镇' });
    return id;
  }
  await ok(id, 'accept', 'admin-holder');
  if (setup === 'transferred') await ok(id, 'transfer', 'admin-holder', { department: 'housing-construction', reason: '转规建' });
  if (setup === 'resolved') await ok(id, 'resolve', 'admin-holder', { resolution: '已处理' });
  return id;
}

async function eventCount(id: string): Promise<number> {
  const res = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: await tokenOf('auditor') });
  return res.body.events.length;
}

describe.each(Object.entries(MATRIX))('%s', (action, spec) => {
  it('denied roles get 403 problem+json and leave no event; allowed roles succeed', async () => {
    const other = await ticketIn('routed');
    const id = await ticketIn(spec.setup);
    const before = await eventCount(id);
    for (const role of ROLES.filter((r) => !spec.allowed.includes(r))) {
      const res = await post(id, action, role, spec.body({ other }));
      expect({ role, status: res.status }).toEqual({ role, status: 403 });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(typeof res.body.reason).toBe('string');
    }
    expect(await eventCount(id)).toBe(before);
    for (const [i, role] of spec.allowed.entries()) {
      const target = i === 0 ? id : await ticketIn(spec.setup);
      const res = await post(target, action, role, spec.body({ other }));
      expect({ role, status: res.status, body: res.status === 200 ? 'ok' : res.body }).toEqual({ role, status: 200, body: 'ok' });
    }
  }, 60_000);
});

it('scopes reads: other devices, other townships and other counties never see the ticket', async () => {
  const id = await ticketIn('accepted');
  for (const role of ROLES) {
    const res = await stack.api('GET', `/api/v1/tickets/${id}`, { token: await tokenOf(role) });
    expect({ role, status: res.status }).toEqual({ role, status: READERS.includes(role) ? 200 : 403 });
    const list = await stack.api('GET', '/api/v1/tickets', { token: await tokenOf(role) });
    expect(list.status).toBe(200);
    const listed = list.body.tickets.some((t: { id: string }) => t.id === id);
    if (!READERS.includes(role)) expect({ role, listed }).toEqual({ role, listed: false });
  }
}, 60_000);

it('answers 412 on a stale If-Match and accepts the current revision', async () => {
  const id = await ticketIn('accepted');
  const view = await stack.waitForTicket(id, await tokenOf('auditor'), (v) => v.status === 'in_progress');
  const stale = await post(id, 'notes', 'admin-holder', { text: 'x' }, { 'if-match': String(view.revision - 1) });
  expect(stale.status).toBe(412);
  expect(stale.body.reason).toBe('revision_mismatch');
  const current = await post(id, 'notes', 'admin-holder', { text: 'y' }, { 'if-match': `"${view.revision}"` });
  expect(current.status).toBe(200);
  expect(current.headers.get('etag')).toBe(`"${view.revision + 1}"`);
}, 60_000);

it('records or clearly refuses each of 50 concurrent replies, with gapless revisions', async () => {
  const id = await ticketIn('accepted');
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => post(id, 'reply', 'admin-holder', { message: `reply ${i}`, public: false })));
  const recorded = results.filter((r) => r.status === 200);
  const refused = results.filter((r) => r.status !== 200);
  for (const r of refused) {
    expect(r.status).toBe(409);
    expect(r.body.reason).toBe('revision_mismatch');
  }
  const history = (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: await tokenOf('auditor') })).body.events as { revision: number; type: string; data: { message?: string } }[];
  expect(history.map((e) => e.revision)).toEqual(history.map((_, i) => i));
  const replies = history.filter((e) => e.type === 'TicketReplied').map((e) => e.data.message).sort();
  const answered = recorded.map((r) => r.body.revision);
  expect(new Set(answered).size).toBe(recorded.length);
  expect(replies).toHaveLength(recorded.length);
  expect(recorded.length).toBeGreaterThan(0);
}, 90_000);

describe('bad input on the lifecycle routes', () => {
  const cases: [string, string, Setup, (c: { id: string }) => unknown, number, string][] = [
    ['reply to an unknown ticket', 'reply', 'accepted', () => ({ message: 'x', public: true }), 404, 'ticket_not_found'],
    ['transfer without a reason', 'transfer', 'accepted', () => ({ department: 'transport', reason: '' }), 400, 'validation_failed'],
    ['transfer to an unknown department', 'transfer', 'accepted', () => ({ department: 'no-such', reason: 'x' }), 400, 'unknown_department'],
    ['deadline in the past', 'deadline', 'accepted', () => ({ dueAt: '2001-01-01T00:00:00+08:00', reason: 'x' }), 400, 'deadline_in_past'],
    ['deadline without a reason', 'deadline', 'accepted', () => ({ dueAt: new Date(Date.now() + 86_400_000).toISOString(), reason: '' }), 400, 'validation_failed'],
    ['rating 0', 'rating', 'resolved', () => ({ score: 0 }), 400, 'score_out_of_range'],
    ['rating 6', 'rating', 'resolved', () => ({ score: 6 }), 400, 'score_out_of_range'],
    ['a duplicate of itself', 'duplicate', 'accepted', (c) => ({ of: c.id }), 400, 'duplicate_of_itself'],
    ['verify with an unknown method', 'verify', 'resolved', () => ({ method: 'telepathy', note: '' }), 400, 'validation_failed'],
    ['reopen without a reason', 'reopen', 'resolved', () => ({ reason: '' }), 400, 'validation_failed'],
    ['resolve without a body field', 'resolve', 'accepted', () => ({}), 400, 'validation_failed'],
    ['reopen a ticket that is not resolved', 'reopen', 'accepted', () => ({ reason: 'x' }), 409, 'not_resolved'],
    ['resolve twice', 'resolve', 'resolved', () => ({ resolution: 'again' }), 409, 'already_resolved'],
    ['handback of a ticket never transferred', 'handback', 'accepted', () => ({ findings: 'x' }), 403, 'not_holder'],
    ['reassign to an unknown unit', 'reassign', 'accepted', () => ({ unit: 'adm-000', reason: 'x' }), 400, 'unknown_unit'],
  ];
  const actorOf: Record<string, Role> = {
    rating: 'citizen-reporter', reopen: 'citizen-reporter', reassign: 'supervisor-county', handback: 'admin-holder',
  };
  it.each(cases)('%s → %i', async (_name, action, setup, body, status, reason) => {
    const id = await ticketIn(setup);
    const target = reason === 'ticket_not_found' ? '01a22935-0000-7000-8000-000000000000' : id;
    const before = await eventCount(id);
    const res = await post(target, action, actorOf[action] ?? 'admin-holder', body({ id }));
    expect({ status: res.status, reason: res.body.reason }).toEqual({ status, reason });
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    // Schema violations name the offending field.
    if (reason === 'validation_failed') expect(JSON.stringify(res.body)).toMatch(/reason|method|resolution/);
    expect(await eventCount(id)).toBe(before);
  }, 30_000);
});

describe('first-inquiry responsibility through the API', () => {
  it('keeps the first responder across transfer, escalation and reopen; only a supervisor reassignment changes it', async () => {
    const id = await ticketIn('accepted');
    await ok(id, 'transfer', 'admin-holder', { department: 'housing-construction', reason: '转规建' });
    await ok(id, 'handback', 'department-holder', { findings: '已拆除' });
    await ok(id, 'resolve', 'admin-holder', { resolution: '已处理' });
    await ok(id, 'reopen', 'citizen-reporter', { reason: '又裂了' });
    let view = await stack.waitForTicket(id, await tokenOf('auditor'), (v) => v.status === 'in_progress' && v.holder.id === 'adm-513437100');
    expect(view.firstResponder).toMatchObject({ staffId: staff['admin-holder'].id, unitId: 'adm-513437100' });
    await ok(id, 'escalate', 'supervisor-county', { reason: '县级督办' });
    view = await stack.waitForTicket(id, await tokenOf('auditor'), (v) => v.holder.id === 'adm-513437');
    expect(view.firstResponder.unitId).toBe('adm-513437100');
    // A seeded staff member of the unit (development identity); a person of the directory: test/identity/directory-staff.e2e.test.ts.
    await ok(id, 'reassign', 'supervisor-county', { unit: 'adm-513437101', staff: 'admin@adm-513437101', reason: '改由西宁镇负责' });
    view = await stack.waitForTicket(id, await tokenOf('auditor'), (v) => v.holder.id === 'adm-513437101');
    expect(view.firstResponder).toMatchObject({ staffId: 'admin@adm-513437101', unitId: 'adm-513437101' });
    const history = (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: await tokenOf('auditor') })).body.events as any[];
    const reassigned = history.find((e) => e.type === 'TicketReassigned');
    expect(reassigned.data).toMatchObject({ firstResponderChanged: true, reason: '改由西宁镇负责' });
    expect(reassigned.actor).toMatchObject({ id: staff['supervisor-county'].id, role: 'supervisor' });
  }, 60_000);

  it('closes a resolved ticket automatically after the objection window', async () => {
    await stack.setClock('2016-03-01T09:00:00+08:00');
    const id = await ticketIn('resolved');
    const internalNote = await post(id, 'notes', 'admin-holder', { text: '仅内部可见' });
    expect(internalNote.status).toBe(200);
    await stack.setClock('2016-03-09T09:00:00+08:00');
    const view = await stack.waitForTicket(id, await tokenOf('auditor'), (v) => v.status === 'closed');
    expect(view.closedAt >= '2016-03-08').toBe(true);
    const mine = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: await tokenOf('citizen-reporter') });
    expect(mine.body.events.map((e: any) => e.type)).not.toContain('InternalNoteAdded');
    expect(mine.body.events.find((e: any) => e.type === 'TicketClosed').data.closedBy).toBe('automatic');
  }, 60_000);
});

describe('erasing a reporter (issue 14 item 6): POST /api/v1/reporters/{id}/erase', () => {
  const PERSON = { name: '吉克阿莫', contact: '13900000002' };
  /** A proxy report by the township's information officer, routed; its reporter id from the ticket view. */
  async function proxyReport(): Promise<{ id: string; reporterId: string }> {
    const res = await stack.api('POST', '/api/v1/tickets', {
      token: await tokenOf('officer-same-township'),
      body: { service_code: 'dangerous-structure', division: '513437100001', title: '围墙开裂', description: '西街围墙开裂倾斜', onBehalfOf: PERSON },
    });
    expect(res.status).toBe(201);
    const view = await stack.waitForTicket(res.body.id, await tokenOf('auditor'), (v) => v.status === 'routed');
    expect(view.reporter.id).toMatch(/^[0-9a-f-]{36}$/);
    return { id: res.body.id, reporterId: view.reporter.id };
  }
  const erase = async (reporterId: string, token: string, body: unknown = { reason: '本人申请删除' }) =>
    stack.api('POST', `/api/v1/reporters/${reporterId}/erase`, { token, body });

  it('only supervisors and directory-admins erase; the reporter then reads as erased and the chain still verifies', async () => {
    const { id, reporterId } = await proxyReport();
    const holderView = (await stack.api('GET', `/api/v1/tickets/${id}`, { token: await tokenOf('admin-holder') })).body;
    expect(holderView.onBehalfOf).toEqual(PERSON);
    for (const role of ROLES.filter((r) => !r.startsWith('supervisor-'))) {
      const res = await erase(reporterId, await tokenOf(role));
      expect({ role, status: res.status, reason: res.body.reason }).toEqual({ role, status: 403, reason: 'not_allowed_to_erase' });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const first = await erase(reporterId, await staff['supervisor-county'].token(), { reason: '本人依《个人信息保护法》申请删除' });
    expect({ status: first.status, body: first.body }).toMatchObject({ status: 200, body: { reporterId, by: staff['supervisor-county'].id, alreadyErased: false } });
    const again = await erase(reporterId, await directoryAdmin.token(), { reason: '重复申请' });
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { ...first.body, alreadyErased: true } });
    for (const role of ['admin-holder', 'auditor', 'supervisor-county'] as const) {
      const view = (await stack.api('GET', `/api/v1/tickets/${id}`, { token: await tokenOf(role) })).body;
      const history = (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: await tokenOf(role) })).body;
      expect({ role, erased: view.reporter.erased, onBehalfOf: view.onBehalfOf }).toEqual({ role, erased: true, onBehalfOf: { name: '', contact: '' } });
      expect(history.events[0].data.reporter.erased).toBe(true);
      for (const secret of Object.values(PERSON)) expect(JSON.stringify([view, history])).not.toContain(secret);
    }
    const verified = await stack.api('GET', `/api/v1/tickets/${id}/verify`, { token: await tokenOf('auditor') });
    expect({ status: verified.status, intact: verified.body.intact }).toEqual({ status: 200, intact: true });
    // A directory-admin (person token, no ticket role) erases another reporter.
    const other = await proxyReport();
    const byAdmin = await erase(other.reporterId, await directoryAdmin.token());
    expect({ status: byAdmin.status, alreadyErased: byAdmin.body.alreadyErased }).toEqual({ status: 200, alreadyErased: false });
  }, 120_000);

  it.each([
    ['an unknown reporter', '0190f3c4-0000-7000-8000-0000000000ff', { reason: 'x' }, 404, 'reporter_not_found'],
    ['a reporter id that is not a UUID', 'not-a-reporter', { reason: 'x' }, 404, 'reporter_not_found'],
    ['no reason', undefined, {}, 400, 'validation_failed'],
    ['a blank reason', undefined, { reason: '   ' }, 400, 'validation_failed'],
    ['a reason that is not a string', undefined, { reason: 42 }, 400, 'validation_failed'],
    ['an unknown field', undefined, { reason: 'x', erase: true }, 400, 'validation_failed'],
  ])('%s: 4xx problem+json', async (_name, reporter, body, status, reason) => {
    const reporterId = reporter ?? (await proxyReport()).reporterId;
    const res = await erase(reporterId, await staff['supervisor-county'].token(), body);
    expect({ status: res.status, reason: res.body.reason }).toEqual({ status, reason });
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  }, 60_000);

  it('answers 401 without a token', async () => {
    const res = await stack.api('POST', '/api/v1/reporters/0190f3c4-0000-7000-8000-0000000000ff/erase', { body: { reason: 'x' } });
    expect(res.status).toBe(401);
  });
});
