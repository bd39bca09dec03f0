/**
 * Single sign-on (issue 9 §3) end to end through real HTTP: a real OpenID Connect provider
 * (`oidc-provider`, its own process: test/support/oidc-provider.mjs), the whole platform, and a
 * browser's part played with fetch (redirects followed by hand, the provider's login and consent forms
 * submitted, cookies kept per origin). A directory-admin links the IdP subject to an existing account;
 * an unlinked subject is refused, never created.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@tongban/testing';
import { type TestStack, startTestStack } from '../support/test-stack';

const BOOTSTRAP_PASSWORD = 'bootstrap-password-for-the-oidc-test-01';
const CLIENT_ID = 'tongban-test';
const CLIENT_SECRET = 'a-client-secret-of-the-test-0123456789';
let stack: TestStack;
let idp: ChildProcess | undefined;
let issuer: string;

/** Starts the provider and waits for its `ready <issuer>` line. */
function startProvider(port: number, redirectUri: string): Promise<string> {
  const child = spawn(process.execPath, [join(__dirname, '../support/oidc-provider.mjs'), String(port), CLIENT_ID, CLIENT_SECRET, redirectUri], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  idp = child;
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OIDC provider did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready (\S+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the OIDC provider exited (${code}): ${output}`)); });
  });
}

beforeAll(async () => {
  const port = await freePort();
  const redirectUrl = `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`;
  issuer = await startProvider(await freePort(), redirectUrl);
  stack = await startTestStack({
    PORT: String(port), TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD,
    TONGBAN_OIDC_ISSUER: issuer, TONGBAN_OIDC_CLIENT_ID: CLIENT_ID, TONGBAN_OIDC_CLIENT_SECRET: CLIENT_SECRET, TONGBAN_OIDC_REDIRECT_URL: redirectUrl,
  });
}, 240_000);

afterAll(async () => {
  idp?.kill('SIGTERM');
  await stack?.stop();
}, 60_000);

/** Cookies per origin, as a browser keeps them (enough for these two servers). */
class CookieJar {
  private readonly jars = new Map<string, Map<string, string>>();
  take(url: string, res: Response): void {
    const jar = this.jars.get(new URL(url).origin) ?? new Map<string, string>();
    this.jars.set(new URL(url).origin, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', ...value] = pair.split('=');
      if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value.join('=') === '') jar.delete(name.trim());
      else jar.set(name.trim(), value.join('='));
    }
  }
  header(url: string): string {
    return [...(this.jars.get(new URL(url).origin) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  get(url: string, name: string): string | undefined {
    return this.jars.get(new URL(url).origin)?.get(name);
  }
}

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#x2F;/gi, '/');

/**
 * Plays the browser from GET /api/v1/auth/oidc/start to the gateway's answer to the callback: follows
 * redirects, signs in at the provider as `subject`, consents. Answers the callback's response.
 */
async function signInWithIdp(subject: string, jar = new CookieJar()): Promise<{ callback: Response; body: any; jar: CookieJar }> {
  let url = `${stack.url}/api/v1/auth/oidc/start`;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: jar.header(url) } });
    jar.take(url, res);
    if (url.startsWith(`${stack.url}/api/v1/auth/oidc/callback`)) {
      const text = await res.text();
      return { callback: res, body: text ? JSON.parse(text) : undefined, jar };
    }
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url).href;
      init = {};
      continue;
    }
    const html = await res.text();
    expect(res.status).toBe(200);
    const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
    if (!form) throw new Error(`no form at ${url}: ${html.slice(0, 500)}`);
    const fields = new URLSearchParams();
    for (const input of form[2]!.matchAll(/<input[^>]*>/gi)) {
      const name = /name="([^"]+)"/.exec(input[0])?.[1];
      if (!name) continue;
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      fields.set(name, name === 'login' ? subject : name === 'password' ? 'any password' : decode(value));
    }
    url = new URL(decode(form[1]!), url).href;
    init = { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('the sign-in did not come back to the callback in 20 steps');
}

const refresh = (cookie: string) => stack.api('POST', '/api/v1/auth/refresh', { headers: { cookie: `tongban_refresh=${cookie}` } });

let adminToken: string;
let staffId: string;

describe('single sign-on with OpenID Connect', () => {
  it('a directory-admin links an IdP subject to an existing account (403/401 for others, 409 for a subject already linked)', async () => {
    const first = await stack.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: BOOTSTRAP_PASSWORD } });
    expect(first.status).toBe(200);
    const next = 'the oidc test administrator passphrase';
    expect((await stack.api('POST', '/api/v1/auth/password', { token: first.body.accessToken, body: { current: BOOTSTRAP_PASSWORD, next } })).status).toBe(204);
    adminToken = (await stack.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: next } })).body.accessToken;
    const created = await stack.api('POST', '/api/v1/staff', { token: adminToken, body: { username: 'wang.li', displayName: '王丽', division: '513437100' } });
    expect(created.status).toBe(201);
    staffId = created.body.staff.id;
    expect((await stack.api('POST', `/api/v1/staff/${staffId}/roles`, { token: adminToken, body: { role: 'admin', unitId: 'adm-513437100' } })).status).toBe(201);

    expect((await stack.api('POST', `/api/v1/staff/${staffId}/oidc`, { body: { subject: 'wang.li@idp' } })).status).toBe(401);
    const staffToken = await stack.staffToken('admin', '513437100');
    const denied = await stack.api('POST', `/api/v1/staff/${staffId}/oidc`, { token: staffToken, body: { subject: 'wang.li@idp' } });
    expect(denied.status).toBe(403);
    const empty = await stack.api('POST', `/api/v1/staff/${staffId}/oidc`, { token: adminToken, body: { subject: '' } });
    expect(empty.status).toBe(400);

    const linked = await stack.api('POST', `/api/v1/staff/${staffId}/oidc`, { token: adminToken, body: { subject: 'wang.li@idp' } });
    expect(linked.status).toBe(200);
    const other = await stack.api('POST', '/api/v1/staff', { token: adminToken, body: { username: 'li.na', displayName: '李娜', division: '513437100' } });
    const twice = await stack.api('POST', `/api/v1/staff/${other.body.staff.id}/oidc`, { token: adminToken, body: { subject: 'wang.li@idp' } });
    expect(twice.status).toBe(409);
    expect(twice.body.reason).toBe('oidc_already_linked');
  });

  it('says single sign-on is configured (GET /api/v1/auth/methods, no token)', async () => {
    const methods = await stack.api('GET', '/api/v1/auth/methods');
    expect(methods.status).toBe(200);
    expect(methods.body).toEqual({ password: true, oidc: true });
  });

  it('start redirects to the provider with PKCE, state and nonce kept in an HttpOnly cookie', async () => {
    const res = await fetch(`${stack.url}/api/v1/auth/oidc/start`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(issuer);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    for (const p of ['code_challenge', 'state', 'nonce', 'redirect_uri']) expect(location.searchParams.get(p)).toBeTruthy();
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('tongban_oidc='))!;
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Path=/api/v1/auth/oidc');
    expect(cookie).not.toContain(location.searchParams.get('code_challenge')!); // the verifier, not the challenge
  });

  it('the linked person signs in at the provider and gets the same session as a password sign-in', async () => {
    const { callback, jar } = await signInWithIdp('wang.li@idp');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/console/sign-in?sso=1');
    const set = callback.headers.getSetCookie().find((c) => c.startsWith('tongban_refresh='))!;
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    const session = await refresh(jar.get(stack.url, 'tongban_refresh')!);
    expect(session.status).toBe(200);
    expect(session.body.me).toMatchObject({ id: staffId, username: 'wang.li' });
    expect(session.body.roleId).not.toBe('');
    const me = await stack.api('GET', '/api/v1/me', { token: session.body.accessToken });
    expect(me.body).toMatchObject({ id: staffId, roles: [expect.objectContaining({ role: 'admin', unitId: 'adm-513437100' })] });
    // The sign-in is in the account's log, as single sign-on.
    const account = await stack.api('GET', `/api/v1/staff/${staffId}`, { token: adminToken });
    expect(account.body.signIns[0]).toMatchObject({ method: 'oidc', outcome: 'success' });
  }, 60_000);

  it('an unlinked subject is refused (401 oidc_not_linked) and no account is created', async () => {
    const { callback, body } = await signInWithIdp('stranger@idp');
    expect(callback.status).toBe(401);
    expect(callback.headers.get('content-type')).toContain('application/problem+json');
    expect(body.reason).toBe('oidc_not_linked');
    expect(callback.headers.getSetCookie().some((c) => c.startsWith('tongban_refresh='))).toBe(false);
    const list = await stack.api('GET', '/api/v1/staff', { token: adminToken });
    expect(list.body.staff.map((s: { username: string }) => s.username).sort()).toEqual(['admin', 'li.na', 'wang.li']);
  }, 60_000);

  it('a callback without the sign-in cookie, or with a forged code, is refused (401 oidc_failed)', async () => {
    const bare = await stack.api('GET', '/api/v1/auth/oidc/callback?code=forged&state=forged');
    expect(bare.status).toBe(401);
    expect(bare.body.reason).toBe('oidc_failed');
    const start = await fetch(`${stack.url}/api/v1/auth/oidc/start`, { redirect: 'manual' });
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith('tongban_oidc='))!.split(';')[0]!;
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const forged = await stack.api('GET', `/api/v1/auth/oidc/callback?code=forged&state=${state}&iss=${encodeURIComponent(issuer)}`, { headers: { cookie } });
    expect(forged.status).toBe(401);
    expect(forged.body.reason).toBe('oidc_failed');
  });

  it('a directory-admin unlinks the subject (DELETE /api/v1/staff/{id}/oidc): its sessions end, it no longer signs in; a new link works again', async () => {
    // A password session (reset first: a reset revokes every session) and a single sign-on session.
    const password = await stack.api('POST', `/api/v1/staff/${staffId}/reset-password`, { token: adminToken });
    const passwordSession = await stack.api('POST', '/api/v1/auth/login', { body: { username: 'wang.li', password: password.body.oneTimePassword } });
    expect(passwordSession.status).toBe(200);
    const { jar } = await signInWithIdp('wang.li@idp');
    const ssoCookie = jar.get(stack.url, 'tongban_refresh')!;
    expect(ssoCookie).toBeTruthy();

    expect((await stack.api('DELETE', `/api/v1/staff/${staffId}/oidc`)).status).toBe(401);
    const denied = await stack.api('DELETE', `/api/v1/staff/${staffId}/oidc`, { token: await stack.staffToken('admin', '513437100') });
    expect(denied.status).toBe(403);
    expect((await stack.api('GET', `/api/v1/staff/${staffId}`, { token: adminToken })).body.oidc).toEqual([{ issuer, subject: 'wang.li@idp' }]);

    const unlinked = await stack.api('DELETE', `/api/v1/staff/${staffId}/oidc`, { token: adminToken });
    expect(unlinked.status).toBe(200);
    expect(unlinked.body).toMatchObject({ id: staffId, oidc: [] });
    const again = await stack.api('DELETE', `/api/v1/staff/${staffId}/oidc`, { token: adminToken });
    expect(again.status).toBe(404);
    expect(again.body.reason).toBe('oidc_link_not_found');

    // The single sign-on session is revoked at once; the password session is not.
    const revoked = await refresh(ssoCookie);
    expect(revoked.status).toBe(401);
    expect((await refresh(/tongban_refresh=([^;]*)/.exec(passwordSession.headers.get('set-cookie')!)![1]!)).status).toBe(200);
    const { callback, body } = await signInWithIdp('wang.li@idp');
    expect(callback.status).toBe(401);
    expect(body.reason).toBe('oidc_not_linked');

    // The unlink is an event of the person's stream, like the link: who, which issuer and subject.
    const { rows } = await stack.pool().query<{ type: string; data: { issuer: string; subject: string }; metadata: { actor: { id: string } } }>(
      `SELECT type, data, metadata FROM events WHERE stream = $1 AND type LIKE 'StaffOidc%' ORDER BY revision`, [`staff-${staffId}`],
    );
    expect(rows.map((r) => r.type)).toEqual(['StaffOidcLinked', 'StaffOidcUnlinked']);
    expect(rows[1]!.data).toEqual({ issuer, subject: 'wang.li@idp' });
    expect(rows[1]!.metadata.actor.id).toBe(rows[0]!.metadata.actor.id); // the bootstrap directory-admin, both times

    expect((await stack.api('POST', `/api/v1/staff/${staffId}/oidc`, { token: adminToken, body: { subject: 'wang.li@idp' } })).status).toBe(200);
    expect((await signInWithIdp('wang.li@idp')).callback.status).toBe(302);
  }, 90_000);

  it('a disabled account no longer signs in with the provider', async () => {
    expect((await stack.api('POST', `/api/v1/staff/${staffId}/disable`, { token: adminToken })).status).toBe(200);
    const { callback, body } = await signInWithIdp('wang.li@idp');
    expect(callback.status).toBe(401);
    expect(body.reason).toBe('oidc_not_linked');
  }, 60_000);
});
