/**
 * The staff directory beyond sign-in (issue 9, remaining parts) through real HTTP against a whole
 * platform: staff read the first responder and each step's actor by their directory name (citizens neither
 * name nor staff id), a supervisor reassigns a ticket to a person who exists only in the directory (routing asks
 * identity whether they hold a role at the target unit), and the paged sign-in log
 * (GET /api/v1/staff/{id}/sign-ins?cursor=).
 */
import { BOOTSTRAP_PASSWORD, type StaffSession, activate, createStaff, login, signInBootstrapAdmin } from '../support/staff-sign-in';
import { STACK_START_TIMEOUT_MS, type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
let admin: StaffSession;

beforeAll(async () => {
  stack = await startTestStack({ TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD });
  admin = await signInBootstrapAdmin(stack);
}, STACK_START_TIMEOUT_MS + 60_000);

afterAll(async () => stack?.stop(), 60_000);

/** Creates an account with a one-time password (no role): its id and that password. */
async function account(username: string, division: string): Promise<{ id: string; oneTimePassword: string }> {
  const res = await stack.api('POST', '/api/v1/staff', { token: await admin.token(), body: { username, displayName: username, division } });
  expect(res.status).toBe(201);
  return { id: res.body.staff.id, oneTimePassword: res.body.oneTimePassword };
}

describe('reassigning a ticket to a person of the staff directory', () => {
  it('a supervisor names a person holding a role at the target unit; that person is the first responder and acts on it', async () => {
    const supervisor = await createStaff(stack, admin, 'supervisor.leibo', { role: 'supervisor', division: '513437' });
    const holder = await createStaff(stack, admin, 'admin.jincheng', { role: 'admin', division: '513437100' });
    // Zhang Wei: admin of 西宁镇 (adm-513437101), a person of the directory only (no seeded identity).
    const zhang = await createStaff(stack, admin, 'zhang.wei', { role: 'admin', division: '513437101' });
    // Li Na: admin of 锦城镇, no role at 西宁镇.
    const li = await createStaff(stack, admin, 'li.na', { role: 'admin', division: '513437100' });
    const gone = await createStaff(stack, admin, 'chen.gang', { role: 'admin', division: '513437101' });
    expect((await stack.api('POST', `/api/v1/staff/${gone.id}/disable`, { token: await admin.token() })).status).toBe(200);

    const citizen = await stack.device();
    const submitted = await stack.api('POST', '/api/v1/tickets', {
      token: citizen.token,
      body: { service_code: 'dangerous-structure', division: '513437100001', title: '围墙开裂', description: '西街围墙开裂倾斜' },
    });
    expect(submitted.status).toBe(201);
    const id: string = submitted.body.id;
    await stack.waitForTicket(id, await supervisor.token(), (v) => v.status === 'routed');
    expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: await holder.token() })).status).toBe(200);

    // Staff read the first responder and each step's actor by their directory name; the citizen neither
    // their name nor their staff id (the unit only).
    const accepted = await stack.waitForTicket(id, await supervisor.token(), (v) => v.status === 'in_progress');
    expect(accepted.firstResponder).toMatchObject({ staffId: holder.id, staffName: 'admin.jincheng', unitId: 'adm-513437100' });
    const staffStory = (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: await supervisor.token() })).body.events as any[];
    expect(staffStory.find((e) => e.type === 'TicketAccepted').actor).toMatchObject({ id: holder.id, staffName: 'admin.jincheng', unitId: 'adm-513437100' });
    const citizenView = await stack.api('GET', `/api/v1/tickets/${id}`, { token: citizen.token });
    expect(citizenView.status).toBe(200);
    expect(citizenView.body.firstResponder).toEqual({ unitId: 'adm-513437100', unitName: '锦城镇', since: accepted.firstResponder.since });
    const citizenStory = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: citizen.token });
    expect(citizenStory.status).toBe(200);
    expect(citizenStory.body.events.find((e: any) => e.type === 'TicketAccepted')).toMatchObject({ actor: { kind: 'staff', unitId: 'adm-513437100' } });
    for (const body of [citizenView.body, citizenStory.body]) {
      expect(JSON.stringify(body)).not.toContain(holder.id);
      expect(JSON.stringify(body)).not.toContain('admin.jincheng');
      expect(JSON.stringify(body)).not.toContain('staffName');
    }

    const reassign = async (staff: string) => stack.api('POST', `/api/v1/tickets/${id}/reassign`, {
      token: await supervisor.token(), body: { unit: 'adm-513437101', staff, reason: '改由西宁镇负责' },
    });
    const history = async () => (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: await supervisor.token() })).body.events as any[];
    const before = (await history()).length;
    for (const [who, staffId] of [['no role at the unit', li.id], ['disabled', gone.id], ['nobody', '00000000-0000-4000-8000-000000000000']] as const) {
      const refused = await reassign(staffId);
      expect({ who, status: refused.status, reason: refused.body.reason }).toEqual({ who, status: 400, reason: 'unknown_staff' });
    }
    expect((await history()).length).toBe(before);

    const done = await reassign(zhang.id);
    expect(done.status).toBe(200);
    const view = await stack.waitForTicket(id, await supervisor.token(), (v) => v.holder.id === 'adm-513437101');
    expect(view.firstResponder).toMatchObject({ staffId: zhang.id, staffName: 'zhang.wei', unitId: 'adm-513437101' });
    const reassigned = (await history()).find((e) => e.type === 'TicketReassigned');
    expect(reassigned.data).toMatchObject({ toUnitId: 'adm-513437101', toStaffId: zhang.id, firstResponderChanged: true });
    expect(reassigned.actor).toMatchObject({ id: supervisor.id, role: 'supervisor', staffName: 'supervisor.leibo' });

    // Zhang Wei, signed in with the password, works the ticket now held by their unit.
    const reply = await stack.api('POST', `/api/v1/tickets/${id}/reply`, { token: await zhang.token(), body: { message: '西宁镇已接手。', public: true } });
    expect(reply.status).toBe(200);
    // The seeded development identities of the unit keep working (npm run token).
    const seeded = await stack.api('POST', `/api/v1/tickets/${id}/reassign`, {
      token: await supervisor.token(), body: { unit: 'adm-513437101', staff: 'admin@adm-513437101', reason: '改由值班人员负责' },
    });
    expect(seeded.status).toBe(200);
    // A seeded identity is no person of the directory: no name, the unit only.
    const bySeeded = await stack.waitForTicket(id, await supervisor.token(), (v) => v.firstResponder?.staffId === 'admin@adm-513437101');
    expect(bySeeded.firstResponder.staffName).toBeUndefined();
  }, 120_000);
});

describe('the sign-in log, a page at a time', () => {
  it('walks every attempt newest first with nextCursor, as GET /api/v1/staff/{id} shows the latest', async () => {
    const { id, oneTimePassword } = await account('wu.min', '513437100');
    const person = await activate(stack, 'wu.min', oneTimePassword, 'wu.min passphrase 2026');
    // Attempts beside the activation's two sign-ins: 3 wrong passwords, 2 more sign-ins.
    for (let i = 0; i < 3; i++) expect((await login(stack, 'wu.min', `wrong password ${i}`)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await login(stack, 'wu.min', person.password)).status).toBe(200);

    const pages: any[][] = [];
    let cursor = '';
    do {
      const res = await stack.api('GET', `/api/v1/staff/${id}/sign-ins?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: await admin.token() });
      expect(res.status).toBe(200);
      pages.push(res.body.signIns);
      cursor = res.body.nextCursor ?? '';
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
    const all = pages.flat();
    expect(all.map((e) => e.outcome)).toEqual(['success', 'success', 'bad_password', 'bad_password', 'bad_password', 'success', 'success']);
    expect(all.every((e) => e.method === 'password' && e.clientIp && e.at)).toBe(true);
    const times = all.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const latest = (await stack.api('GET', `/api/v1/staff/${id}`, { token: await admin.token() })).body.signIns;
    expect(latest).toEqual(all);

    const defaultPage = await stack.api('GET', `/api/v1/staff/${id}/sign-ins`, { token: await admin.token() });
    expect(defaultPage.body).toEqual({ signIns: all });
    const bad = await stack.api('GET', `/api/v1/staff/${id}/sign-ins?cursor=not-a-cursor`, { token: await admin.token() });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe('invalid_cursor');
    // Directory-admins only: the person themself, or anyone else, is refused.
    expect((await stack.api('GET', `/api/v1/staff/${id}/sign-ins`, { token: await person.token() })).status).toBe(403);
    expect((await stack.api('GET', `/api/v1/staff/${id}/sign-ins`)).status).toBe(401);
  }, 60_000);
});

it('a directory-admin neither resets their own password nor disables themself (409 own_account); nothing changes, their session goes on', async () => {
  const before = (await stack.api('GET', `/api/v1/staff/${admin.id}`, { token: await admin.token() })).body;
  for (const action of ['reset-password', 'disable']) {
    const res = await stack.api('POST', `/api/v1/staff/${admin.id}/${action}`, { token: await admin.token() });
    expect([res.status, res.body.reason, res.headers.get('content-type'), res.body.oneTimePassword]).toEqual([409, 'own_account', expect.stringMatching(/problem\+json/), undefined]);
  }
  const after = await stack.api('GET', `/api/v1/staff/${admin.id}`, { token: await admin.token() });
  expect(after.status).toBe(200);
  expect(after.body).toMatchObject({ disabled: false, passwordChangeRequired: false, roles: before.roles });
  expect((await login(stack, 'admin', admin.password)).status).toBe(200);
}, 60_000);

it('refuses a single sign-on issuer that is no http(s) URL and a sign-in page size outside 1–200 (400, nothing linked)', async () => {
  const { id } = await account('sun.li', '513437100');
  const token = await admin.token();
  for (const issuer of ['javascript:alert(1)', 'urn:example:idp', 'ftp://idp.example.org']) {
    const res = await stack.api('POST', `/api/v1/staff/${id}/oidc`, { token, body: { subject: 'x', issuer } });
    expect([issuer, res.status, res.body.reason]).toEqual([issuer, 400, 'validation_failed']);
    const unlink = await stack.api('DELETE', `/api/v1/staff/${id}/oidc?issuer=${encodeURIComponent(issuer)}`, { token });
    expect([issuer, unlink.status, unlink.body.reason]).toEqual([issuer, 400, 'validation_failed']);
  }
  expect((await stack.api('GET', `/api/v1/staff/${id}`, { token })).body.oidc).toEqual([]);
  for (const limit of ['0', '201', '999', '00']) {
    const res = await stack.api('GET', `/api/v1/staff/${id}/sign-ins?limit=${limit}`, { token });
    expect([limit, res.status, res.body.reason]).toEqual([limit, 400, 'validation_failed']);
  }
  for (const limit of ['1', '200']) expect((await stack.api('GET', `/api/v1/staff/${id}/sign-ins?limit=${limit}`, { token })).status).toBe(200);
}, 60_000);

it('says single sign-on is not configured (GET /api/v1/auth/methods, TONGBAN_OIDC_ISSUER unset)', async () => {
  const methods = await stack.api('GET', '/api/v1/auth/methods');
  expect(methods.status).toBe(200);
  expect(methods.body).toEqual({ password: true, oidc: false });
});
