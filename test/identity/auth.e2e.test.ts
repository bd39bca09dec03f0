/**
 * Staff sign-in and the staff directory through real HTTP against a whole platform (issue 9 §2, §4):
 * bootstrap administrator, forced password change, login, /me, refresh rotation and reuse detection,
 * logout, lockout (429 Retry-After), directory-admin jurisdiction, disabled accounts, role-scoped tokens
 * acting on ticket routes, and tokens surviving a restart of identity (the installation key is kept).
 */
import { type ApiResponse, type TestStack, startTestStack } from '../support/test-stack';

const BOOTSTRAP_PASSWORD = 'bootstrap-password-for-the-test-0123';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD });
}, 180_000);

afterAll(async () => stack?.stop(), 60_000);

/** The refresh cookie a response set: its value and attributes. */
function refreshCookie(res: ApiResponse): { value: string; attributes: string } {
  const header = res.headers.get('set-cookie') ?? '';
  const match = /tongban_refresh=([^;]*)(.*)/.exec(header);
  if (!match) throw new Error(`no refresh cookie in ${JSON.stringify(header)}`);
  return { value: match[1] ?? '', attributes: match[2] ?? '' };
}

const login = (username: string, password: string, roleId?: string) =>
  stack.api('POST', '/api/v1/auth/login', { body: { username, password, ...(roleId ? { roleId } : {}) } });
const refresh = (cookie: string, body?: unknown) =>
  stack.api('POST', '/api/v1/auth/refresh', { headers: { cookie: `tongban_refresh=${cookie}` }, ...(body ? { body } : {}) });

/** Signs in with a one-time password, changes it, signs in again: the session. */
async function activate(username: string, oneTimePassword: string, password: string): Promise<ApiResponse> {
  const first = await login(username, oneTimePassword);
  expect(first.status).toBe(200);
  expect(first.body.me.passwordChangeRequired).toBe(true);
  expect(first.body.roleId).toBe('');
  const changed = await stack.api('POST', '/api/v1/auth/password', { token: first.body.accessToken, body: { current: oneTimePassword, next: password } });
  expect(changed.status).toBe(204);
  const again = await login(username, password);
  expect(again.status).toBe(200);
  return again;
}

let adminToken: string;

describe('bootstrap administrator and password change', () => {
  it('signs in with the bootstrap password, must change it before anything else, then manages the directory', async () => {
    const first = await login('admin', BOOTSTRAP_PASSWORD);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, roleId: '', me: { username: 'admin', passwordChangeRequired: true } });
    expect(first.body.me.roles).toEqual([expect.objectContaining({ role: 'directory-admin', unitId: 'adm-5134', actsOnTickets: false })]);
    const cookie = refreshCookie(first);
    expect(cookie.attributes).toContain('HttpOnly');
    expect(cookie.attributes).toContain('SameSite=Strict');
    expect(cookie.attributes).toContain('Path=/api/v1/auth');
    expect(cookie.attributes).not.toContain('Secure'); // loopback
    expect((await stack.api('GET', '/api/v1/me', { token: first.body.accessToken })).body).toMatchObject({ username: 'admin', passwordChangeRequired: true });
    const early = await stack.api('GET', '/api/v1/staff', { token: first.body.accessToken });
    expect(early.status).toBe(403);
    expect(early.body.reason).toBe('password_change_required');
    // a person token acts on no ticket
    const noRole = await stack.api('GET', '/api/v1/inbox', { token: first.body.accessToken });
    expect(noRole.status).toBe(403);
    expect(noRole.body.reason).toBe('role_required');

    const weak = await stack.api('POST', '/api/v1/auth/password', { token: first.body.accessToken, body: { current: BOOTSTRAP_PASSWORD, next: 'password123' } });
    expect(weak.status).toBe(400);
    expect(weak.body.reason).toBe('weak_password');
    const wrong = await stack.api('POST', '/api/v1/auth/password', { token: first.body.accessToken, body: { current: 'not-the-password', next: 'a long passphrase of my own' } });
    expect(wrong.status).toBe(401);
    const ok = await stack.api('POST', '/api/v1/auth/password', { token: first.body.accessToken, body: { current: BOOTSTRAP_PASSWORD, next: 'a long passphrase of my own' } });
    expect(ok.status).toBe(204);
    expect((await login('admin', BOOTSTRAP_PASSWORD)).status).toBe(401);
    const again = await login('admin', 'a long passphrase of my own');
    expect(again.status).toBe(200);
    expect(again.body.me.passwordChangeRequired).toBe(false);
    adminToken = again.body.accessToken;
    expect((await stack.api('GET', '/api/v1/staff', { token: adminToken })).status).toBe(200);
    expect((await stack.api('GET', '/api/v1/staff?limit=1', { token: adminToken })).body.staff).toHaveLength(1);
    for (const bad of ['limit=0', 'limit=501', 'limit=-1', 'offset=x']) {
      const refused = await stack.api('GET', `/api/v1/staff?${bad}`, { token: adminToken });
      expect([bad, refused.status, refused.body.reason]).toEqual([bad, 400, 'validation_failed']);
    }
    // a display name that would read differently (U+202E) or hide a character (U+200B) is refused, naming it
    const hidden = await stack.api('POST', '/api/v1/staff', { token: adminToken, body: { username: 'hidden.name', displayName: '王\u202E丽', division: '5134' } });
    expect([hidden.status, hidden.body.reason]).toEqual([400, 'invalid_display_name']);
    expect(hidden.body.detail).toContain('U+202E');
  }, 60_000);
});

describe('accounts, roles and role-scoped tokens', () => {
  let officerId: string;
  let officerCookie: string;
  let adminRoleId: string;

  it('creates an account, grants roles in two units, and the person acts on tickets in the role they pick', async () => {
    const created = await stack.api('POST', '/api/v1/staff', { token: adminToken, body: { username: 'wang.li', displayName: '王丽', division: '513437100' } });
    expect(created.status).toBe(201);
    expect(created.body.oneTimePassword).toMatch(/^[A-Za-z0-9]{16}$/);
    officerId = created.body.staff.id;
    const admin = await stack.api('POST', `/api/v1/staff/${officerId}/roles`, { token: adminToken, body: { role: 'admin', unitId: 'adm-513437100' } });
    expect(admin.status).toBe(201);
    adminRoleId = admin.body.role.roleId;
    const officer = await stack.api('POST', `/api/v1/staff/${officerId}/roles`, { token: adminToken, body: { role: 'information-officer', unitId: 'adm-513437100', division: '513437100001' } });
    expect(officer.status).toBe(201);
    const session = await activate('wang.li', created.body.oneTimePassword, 'Jincheng town 2026 passphrase');
    expect(session.body.roleId).toBe(adminRoleId);
    expect(session.body.me.roles.map((r: { role: string }) => r.role).sort()).toEqual(['admin', 'information-officer']);
    officerCookie = refreshCookie(session).value;
    // the access token acts as the admin of 锦城镇 on ticket routes (verified by the services with identity's public key)
    const inbox = await stack.api('GET', '/api/v1/inbox', { token: session.body.accessToken });
    expect(inbox.status).toBe(200);
    // switch role on refresh
    const switched = await refresh(officerCookie, { roleId: officer.body.role.roleId });
    expect(switched.status).toBe(200);
    expect(switched.body.roleId).toBe(officer.body.role.roleId);
    officerCookie = refreshCookie(switched).value;
    const me = await stack.api('GET', '/api/v1/me', { token: switched.body.accessToken });
    expect(me.body).toMatchObject({ id: officerId, username: 'wang.li', displayName: '王丽' });
  }, 90_000);

  it('rotates refresh tokens and revokes the whole family when a used one comes back', async () => {
    // a role the person does not hold is refused without spending the refresh token
    const notHeld = await refresh(officerCookie, { roleId: 'not-a-role-of-wang.li' });
    expect(notHeld.status).toBe(400);
    expect(notHeld.body.reason).toBe('role_not_held');
    const first = await refresh(officerCookie);
    expect(first.status).toBe(200);
    const next = refreshCookie(first).value;
    expect(next).not.toBe(officerCookie);
    const reused = await refresh(officerCookie);
    expect(reused.status).toBe(401);
    expect(reused.body.reason).toBe('refresh_token_reused');
    const afterTheft = await refresh(next);
    expect(afterTheft.status).toBe(401);
  });

  it('signs out: the refresh token no longer works', async () => {
    const session = await login('wang.li', 'Jincheng town 2026 passphrase');
    const cookie = refreshCookie(session).value;
    const out = await stack.api('POST', '/api/v1/auth/logout', { headers: { cookie: `tongban_refresh=${cookie}` } });
    expect(out.status).toBe(204);
    expect(refreshCookie(out).attributes).toContain('Max-Age=0');
    expect((await refresh(cookie)).status).toBe(401);
  });

  it('a disabled account cannot sign in or refresh; its access token lasts at most 15 minutes; re-enabled it signs in again', async () => {
    const session = await login('wang.li', 'Jincheng town 2026 passphrase');
    const cookie = refreshCookie(session).value;
    expect((await stack.api('POST', `/api/v1/staff/${officerId}/disable`, { token: adminToken, body: { reason: 'left the township' } })).status).toBe(200);
    expect((await refresh(cookie)).status).toBe(401);
    const refused = await login('wang.li', 'Jincheng town 2026 passphrase');
    expect(refused.status).toBe(401);
    expect(refused.body.reason).toBe('invalid_credentials');
    const payload = JSON.parse(Buffer.from(String(session.body.accessToken).split('.')[1] ?? '', 'base64url').toString()) as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBeLessThanOrEqual(900);
    expect((await stack.api('POST', `/api/v1/staff/${officerId}/enable`, { token: adminToken })).status).toBe(200);
    expect((await login('wang.li', 'Jincheng town 2026 passphrase')).status).toBe(200);
  });

  it('revoking a role takes effect at the next refresh', async () => {
    const session = await login('wang.li', 'Jincheng town 2026 passphrase', adminRoleId);
    expect(session.body.roleId).toBe(adminRoleId);
    expect((await stack.api('DELETE', `/api/v1/staff/${officerId}/roles/${adminRoleId}`, { token: adminToken })).status).toBe(200);
    const refreshed = await refresh(refreshCookie(session).value);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.roleId).not.toBe(adminRoleId);
    expect(refreshed.body.me.roles.map((r: { role: string }) => r.role)).toEqual(['information-officer']);
  });
});

describe('single sign-on not configured', () => {
  it('answers 404 oidc_not_configured on both OIDC routes (TONGBAN_OIDC_ISSUER unset)', async () => {
    for (const path of ['/api/v1/auth/oidc/start', '/api/v1/auth/oidc/callback?code=x&state=y']) {
      const res = await stack.api('GET', path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.reason).toBe('oidc_not_configured');
    }
  });
});

describe('directory-admin jurisdiction', () => {
  it('a county directory-admin manages accounts of its county only: 403 and nothing written elsewhere', async () => {
    const created = await stack.api('POST', '/api/v1/staff', { token: adminToken, body: { username: 'county.admin', displayName: '县目录管理员', division: '513437' } });
    expect(created.status).toBe(201);
    expect((await stack.api('POST', `/api/v1/staff/${created.body.staff.id}/roles`, { token: adminToken, body: { role: 'directory-admin', unitId: 'adm-513437' } })).status).toBe(201);
    const county = (await activate('county.admin', created.body.oneTimePassword, 'county directory passphrase')).body.accessToken as string;
    const inside = await stack.api('POST', '/api/v1/staff', { token: county, body: { username: 'zhao.min', displayName: '赵敏', division: '513437100' } });
    expect(inside.status).toBe(201);
    const outside = await stack.api('POST', '/api/v1/staff', { token: county, body: { username: 'li.ping', displayName: '李平', division: '513401' } });
    expect(outside.status).toBe(403);
    expect(outside.body.reason).toBe('outside_jurisdiction');
    const grantOutside = await stack.api('POST', `/api/v1/staff/${inside.body.staff.id}/roles`, { token: county, body: { role: 'admin', unitId: 'adm-513401' } });
    expect(grantOutside.status).toBe(403);
    const prefectureAccount = (await stack.api('GET', '/api/v1/staff', { token: adminToken })).body.staff.find((s: { username: string }) => s.username === 'admin');
    expect((await stack.api('POST', `/api/v1/staff/${prefectureAccount.id}/disable`, { token: county })).status).toBe(403);
    const listed = await stack.api('GET', '/api/v1/staff', { token: county });
    expect(listed.body.staff.map((s: { username: string }) => s.username).sort()).toEqual(['county.admin', 'wang.li', 'zhao.min']);
    const history = await stack.api('GET', `/api/v1/staff/${inside.body.staff.id}`, { token: county });
    expect(history.status).toBe(200);
    expect(history.body.roles).toEqual([]);
    // a person without directory-admin: 403
    const staffOnly = await login('wang.li', 'Jincheng town 2026 passphrase');
    expect((await stack.api('GET', '/api/v1/staff', { token: staffOnly.body.accessToken })).status).toBe(403);
  }, 60_000);
});

describe('brute force', () => {
  it('throttles failures with Retry-After and locks the account after 10, visible to the directory-admin; unknown users look the same', async () => {
    const created = await stack.api('POST', '/api/v1/staff', { token: adminToken, body: { username: 'target.user', displayName: '目标', division: '513437' } });
    await activate('target.user', created.body.oneTimePassword, 'the right passphrase 42');
    const throttle = stack.pool(1);
    let failures = 0;
    let last: ApiResponse | undefined;
    while (failures < 10) {
      last = await login('target.user', `wrong-${failures}`);
      if (last.status === 429) {
        const wait = Number(last.headers.get('retry-after'));
        expect(wait).toBeGreaterThan(0);
        expect(last.body.reason).toBe('too_many_attempts');
        // Let the wait pass: identity throttles on real time (never the test clock), so the account's last failure
        // is moved back by the Retry-After seconds instead of sleeping them (1 + 2 + 4 + 8 + 16 s).
        await throttle.query(`UPDATE identity_throttle SET last_failure_at = last_failure_at - make_interval(secs => $1) WHERE key = 'user:target.user'`, [wait]);
        continue;
      }
      expect(last.status).toBe(401);
      failures += 1;
    }
    const locked = await login('target.user', 'the right passphrase 42');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    const seen = await stack.api('GET', `/api/v1/staff/${created.body.staff.id}`, { token: adminToken });
    expect(seen.body.failedAttempts).toBe(10);
    expect(Date.parse(seen.body.lockedUntil)).toBeGreaterThan(Date.now() + 800_000);
    expect(seen.body.signIns.some((s: { outcome: string }) => s.outcome === 'bad_password')).toBe(true);
    const unknown = await login('nobody.here', 'whatever it is');
    expect(unknown.status).toBe(401);
    expect(unknown.body.reason).toBe('invalid_credentials');
  }, 90_000);
});

describe('keys', () => {
  it('tokens survive a restart of identity (the installation key is kept) and the gateway', async () => {
    const session = await login('admin', 'a long passphrase of my own');
    const device = await stack.device();
    await stack.kill('identity');
    await stack.restart('identity');
    await stack.kill('gateway');
    await stack.restart('gateway');
    expect((await stack.api('GET', '/api/v1/me', { token: session.body.accessToken })).status).toBe(200);
    expect((await stack.api('GET', '/api/v1/inbox', { token: device.token })).status).toBe(200);
    expect((await stack.api('GET', '/api/v1/inbox', { token: await stack.staffToken('admin', '513437100') })).status).toBe(200);
    const logs = stack.logs().join('\n');
    expect(logs).not.toContain('a long passphrase of my own');
    expect(logs).not.toContain(BOOTSTRAP_PASSWORD);
  }, 120_000);
});
