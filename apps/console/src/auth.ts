/**
 * The session: who is signed in, with which role, and the access token the API calls carry.
 *
 * Password sign-in uses the identity routes: `POST /api/v1/auth/login` {username, password} →
 * {accessToken, expiresIn, roleId, me} (and an HttpOnly refresh cookie), `POST /api/v1/auth/refresh`
 * {roleId?} for a silent renewal or a role switch (each token is scoped to one role),
 * `POST /api/v1/auth/password` when the first sign-in requires a new password, `POST /api/v1/auth/logout`.
 * Single sign-on (when GET /api/v1/auth/methods says `oidc`) leaves the browser with only the refresh
 * cookie: the sign-in page resumes the session from it (`resumeSession`).
 * Where a server has no password sign-in (404 on /auth/login), a staff token from `npm run token`
 * can be handed to the sign-in page as `/console/sign-in#token=<jwt>` (development and tests).
 *
 * The token is kept in sessionStorage (per browser tab; gone when the tab closes).
 */

/** One role of a person in one unit. */
export interface RoleGrant {
  /** Identity's id of the grant (token sign-in: none). */
  roleId?: string;
  role: string;
  unitId: string;
  unitName?: string;
  /** Division code of the unit: the root of the jurisdiction. */
  division: string;
  department?: string;
}

/** The signed-in person as the console needs them. */
export interface Me {
  id: string;
  name: string;
  roles: RoleGrant[];
  /** The active role (what the token acts as). */
  active: RoleGrant;
}

interface Stored {
  token: string;
  /** Epoch ms after which the token is no longer valid. */
  expiresAt: number;
  me: Me;
  /** How the session was made: `password` (identity routes, refresh cookie) or `token` (a pasted staff token). */
  via: 'password' | 'token';
}

const KEY = 'tongban.console.session';
const listeners = new Set<() => void>();
let session: Stored | undefined = read();

function read(): Stored | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Stored) : undefined;
  } catch {
    return undefined;
  }
}

function write(next: Stored | undefined): void {
  session = next;
  if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l();
}

/** Subscribes to session changes (for useSyncExternalStore). */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The signed-in person, or undefined. */
export function currentMe(): Me | undefined {
  return session?.me;
}

/** The access token of the session, or undefined. */
export function currentToken(): string | undefined {
  return session?.token;
}

/** The claims of a Tongban staff JWT (payload only; the server verifies the signature). */
function claims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

/** The person of a staff token (its single role), for token sign-in. @throws Error when it is no staff token. */
function meFromToken(token: string): { me: Me; expiresAt: number } {
  const c = claims(token);
  if (c['kind'] !== 'staff' || typeof c['role'] !== 'string' || typeof c['unitId'] !== 'string' || typeof c['division'] !== 'string') {
    throw new Error('not a staff token');
  }
  const grant: RoleGrant = {
    role: c['role'], unitId: c['unitId'], division: c['division'],
    ...(typeof c['department'] === 'string' ? { department: c['department'] } : {}),
  };
  const id = String(c['sub'] ?? '');
  return { me: { id, name: id, roles: [grant], active: grant }, expiresAt: Number(c['exp'] ?? 0) * 1000 };
}

/** Starts a session from a staff token (the `#token=` sign-in). @throws Error when it is no staff token. */
export function signInWithToken(token: string): Me {
  const { me, expiresAt } = meFromToken(token);
  write({ token, expiresAt, me, via: 'token' });
  return me;
}

/** The person of GET /api/v1/me and of a sign-in answer (identity, issue 9). */
interface MeResponse {
  id: string;
  username?: string;
  displayName?: string;
  passwordChangeRequired?: boolean;
  roles?: { roleId: string; role: string; unitId: string; unitName?: string; division: string; department?: string; jurisdiction?: { division?: string } }[];
}

/** A session answer of POST /api/v1/auth/login and /refresh. */
interface SessionResponse {
  accessToken: string;
  expiresIn: number;
  roleId: string;
  me: MeResponse;
}

function personOf(body: SessionResponse): Me {
  const roles: RoleGrant[] = (body.me.roles ?? []).map((r) => ({
    roleId: r.roleId, role: r.role, unitId: r.unitId, division: r.jurisdiction?.division ?? r.division,
    ...(r.unitName ? { unitName: r.unitName } : {}), ...(r.department ? { department: r.department } : {}),
  }));
  const fallback = (() => { try { return meFromToken(body.accessToken).me.active; } catch { return undefined; } })();
  const active = roles.find((r) => r.roleId === body.roleId) ?? fallback ?? roles[0] ?? { role: '', unitId: '', division: '' };
  return { id: body.me.id, name: body.me.displayName ?? body.me.username ?? body.me.id, roles: roles.length ? roles : [active], active };
}

async function postSession(path: string, body: unknown): Promise<Response> {
  return fetch(path, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Outcome of a password sign-in; `password_change_required` carries a token that may only change the password. */
export type SignInResult =
  | { ok: true; me: Me }
  | { ok: false; reason: 'password_change_required'; token: string }
  | { ok: false; reason: 'invalid_credentials' | 'unavailable' | 'error'; message?: string };

/**
 * Signs in with username and password (POST /api/v1/auth/login; the refresh token comes as an HttpOnly
 * cookie). `unavailable` when the server has no password sign-in (404).
 */
export async function signIn(username: string, password: string): Promise<SignInResult> {
  const res = await postSession('/api/v1/auth/login', { username, password });
  if (res.status === 404) return { ok: false, reason: 'unavailable' };
  if (res.status === 401 || res.status === 400 || res.status === 403 || res.status === 423) {
    const problem = (await res.json().catch(() => ({}))) as { title?: string; detail?: string };
    return { ok: false, reason: 'invalid_credentials', ...(problem.detail ? { message: problem.detail } : {}) };
  }
  if (!res.ok) return { ok: false, reason: 'error', message: `${res.status}` };
  const body = (await res.json()) as SessionResponse;
  if (body.me.passwordChangeRequired) return { ok: false, reason: 'password_change_required', token: body.accessToken };
  const me = personOf(body);
  write({ token: body.accessToken, expiresAt: Date.now() + body.expiresIn * 1000, me, via: 'password' });
  return { ok: true, me };
}

/**
 * Resumes a session from the refresh cookie alone (POST /api/v1/auth/refresh without a session in this
 * tab): after single sign-on, whose callback sets only the cookie and redirects to /console/sign-in?sso=1. @returns the person, or undefined when there is no valid cookie (or it needs a new password).
 */
export async function resumeSession(): Promise<Me | undefined> {
  const res = await postSession('/api/v1/auth/refresh', {}).catch(() => undefined);
  if (!res?.ok) return undefined;
  const body = (await res.json()) as SessionResponse;
  if (body.me.passwordChangeRequired && !body.roleId) return undefined;
  const me = personOf(body);
  write({ token: body.accessToken, expiresAt: Date.now() + body.expiresIn * 1000, me, via: 'password' });
  return me;
}

/** How staff sign in on this server (GET /api/v1/auth/methods): single sign-on when `oidc`. */
export async function signInMethods(): Promise<{ password: boolean; oidc: boolean }> {
  const res = await fetch('/api/v1/auth/methods', { headers: { accept: 'application/json' } }).catch(() => undefined);
  if (!res?.ok) return { password: true, oidc: false };
  return (await res.json()) as { password: boolean; oidc: boolean };
}

/** Where the single sign-on button goes: the gateway redirects to the identity provider. */
export const SINGLE_SIGN_ON_URL = '/api/v1/auth/oidc/start';

/** Changes the password with the token of a sign-in that requires it (POST /api/v1/auth/password). @returns the problem's detail on failure. */
export async function changePassword(token: string, current: string, next: string): Promise<string | undefined> {
  const res = await fetch('/api/v1/auth/password', {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ current, next }),
  });
  if (res.ok) return undefined;
  const problem = (await res.json().catch(() => ({}))) as { title?: string; detail?: string; reason?: string };
  return problem.detail ?? problem.title ?? problem.reason ?? String(res.status);
}

/** Chooses the active role: a new access token scoped to it (POST /api/v1/auth/refresh {roleId}). */
export async function chooseRole(grant: RoleGrant): Promise<void> {
  if (!session) return;
  if (session.via === 'password' && grant.roleId) {
    const res = await postSession('/api/v1/auth/refresh', { roleId: grant.roleId }).catch(() => undefined);
    if (!res?.ok) throw new Error(`role switch: ${res?.status ?? 'network'}`);
    const body = (await res.json()) as SessionResponse;
    write({ token: body.accessToken, expiresAt: Date.now() + body.expiresIn * 1000, me: personOf(body), via: 'password' });
  } else {
    write({ ...session, me: { ...session.me, active: grant } });
  }
}

let refreshing: Promise<boolean> | undefined;

/** Silently renews the access token with the refresh cookie; false when that is not possible. */
export function refreshSession(): Promise<boolean> {
  if (!session || session.via !== 'password') return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const res = await postSession('/api/v1/auth/refresh', session.me.active.roleId ? { roleId: session.me.active.roleId } : {});
      if (!res.ok || !session) return false;
      const body = (await res.json()) as SessionResponse;
      write({ token: body.accessToken, expiresAt: Date.now() + body.expiresIn * 1000, me: personOf(body), via: 'password' });
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** Ends the session (server side too when it was a password session) and shows the sign-in page. */
export async function signOut(): Promise<void> {
  const via = session?.via;
  const token = session?.token;
  write(undefined);
  if (via === 'password') {
    await fetch('/api/v1/auth/logout', { method: 'POST', credentials: 'same-origin', headers: token ? { authorization: `Bearer ${token}` } : {} }).catch(() => undefined);
  }
}

/** The session ended (401 after a refresh): back to the sign-in page, then back here. */
export function sessionExpired(): void {
  write(undefined);
  const here = location.pathname + location.search;
  location.assign(`/console/sign-in?expired=1&next=${encodeURIComponent(here)}`);
}
