/**
 * Staff tokens the way people get them (issue 9 §4): sign in as the bootstrap directory-admin, create a
 * person per role with `POST /api/v1/staff` + `POST /api/v1/staff/{id}/roles`, sign each in with
 * `POST /api/v1/auth/login` (changing the one-time password first, as the first sign-in must) and use
 * their access tokens. The stack must be started with `TONGBAN_BOOTSTRAP_PASSWORD` set, e.g.
 * `startTestStack({ TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD })`.
 */
import { loadReferenceData, seededStaff } from '@tongban/reference-data';
import type { ApiResponse, TestStack } from './test-stack';

/** A bootstrap password for test stacks (any value of 10+ characters not in the common-password list). */
export const BOOTSTRAP_PASSWORD = 'bootstrap-password-for-the-test-0123';

/** Access tokens live 15 minutes (README "Lifetimes"); refresh well before, so a slow test never holds an expired one. */
const REFRESH_AFTER_MS = 10 * 60_000;

/** A signed-in person: their staff id, the role they act in, and an access token kept fresh. */
export interface StaffSession {
  /** The person's staff id (UUID), which ticket events record as the actor. */
  id: string;
  username: string;
  roleId: string;
  /** The password the person set (after the one-time one). */
  password: string;
  /** The current access token; refreshed (`POST /api/v1/auth/refresh`, rotating the cookie) after 10 minutes. */
  token(): Promise<string>;
}

/** The (role, unit) of a person to create: as `npm run token` names them (role, division, department type). */
export interface StaffSpec {
  role: string;
  division: string;
  department?: string;
}

const ref = loadReferenceData();

function expectStatus(res: ApiResponse, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
}

function refreshCookieOf(res: ApiResponse): string {
  const match = /tongban_refresh=([^;]*)/.exec(res.headers.get('set-cookie') ?? '');
  if (!match?.[1]) throw new Error('no refresh cookie in the sign-in answer');
  return match[1];
}

/** `POST /api/v1/auth/login` ({username, password, roleId?}); the raw answer. */
export function login(stack: TestStack, username: string, password: string, roleId?: string): Promise<ApiResponse> {
  return stack.api('POST', '/api/v1/auth/login', { body: { username, password, ...(roleId ? { roleId } : {}) } });
}

/**
 * Signs a person in for the first time: login with the one-time password (a person token with
 * `passwordChangeRequired`), `POST /api/v1/auth/password`, then login again (with `roleId` when given).
 * @throws Error naming the step and the answer when any step fails.
 */
export async function activate(stack: TestStack, username: string, oneTimePassword: string, password: string, roleId?: string): Promise<StaffSession> {
  const first = await login(stack, username, oneTimePassword);
  expectStatus(first, 200, `first sign-in of ${username}`);
  const changed = await stack.api('POST', '/api/v1/auth/password', { token: first.body.accessToken, body: { current: oneTimePassword, next: password } });
  expectStatus(changed, 204, `password change of ${username}`);
  const session = await login(stack, username, password, roleId);
  expectStatus(session, 200, `sign-in of ${username}`);
  if (roleId && session.body.roleId !== roleId) throw new Error(`${username} signed in as role ${session.body.roleId}, not ${roleId}`);
  let access: string = session.body.accessToken;
  let cookie = refreshCookieOf(session);
  let issuedAt = Date.now();
  let refreshing: Promise<string> | undefined;
  return {
    id: session.body.me.id,
    username,
    roleId: session.body.roleId,
    password,
    token() {
      if (Date.now() - issuedAt < REFRESH_AFTER_MS) return Promise.resolve(access);
      // One refresh at a time: presenting a rotated cookie twice would revoke the whole family.
      refreshing ??= (async () => {
        try {
          const res = await stack.api('POST', '/api/v1/auth/refresh', { headers: { cookie: `tongban_refresh=${cookie}` }, body: { roleId: session.body.roleId } });
          expectStatus(res, 200, `refresh of ${username}`);
          access = res.body.accessToken;
          cookie = refreshCookieOf(res);
          issuedAt = Date.now();
          return access;
        } finally {
          refreshing = undefined;
        }
      })();
      return refreshing;
    },
  };
}

/** Signs in as the bootstrap directory-admin `admin` (changing the bootstrap password): their session (a person token). */
export async function signInBootstrapAdmin(stack: TestStack, bootstrapPassword = BOOTSTRAP_PASSWORD): Promise<StaffSession> {
  return activate(stack, 'admin', bootstrapPassword, 'directory admin passphrase of the test');
}

/**
 * Creates a person holding one role at the unit `npm run token` would use for `spec` (home division: the
 * role's jurisdiction), grants the role, and signs them in acting in it.
 * `username`: 3–64 lower-case letters, digits and . _ @ -.
 * @throws Error when the directory or the sign-in refuses.
 */
export async function createStaff(stack: TestStack, admin: StaffSession, username: string, spec: StaffSpec): Promise<StaffSession> {
  const claims = seededStaff(ref, spec.role, spec.division, spec.department);
  const created = await stack.api('POST', '/api/v1/staff', { token: await admin.token(), body: { username, displayName: username, division: claims.division } });
  expectStatus(created, 201, `create ${username}`);
  const id: string = created.body.staff.id;
  const granted = await stack.api('POST', `/api/v1/staff/${id}/roles`, { token: await admin.token(), body: { role: claims.role, unitId: claims.unitId, division: claims.division } });
  expectStatus(granted, 201, `grant ${claims.role} at ${claims.unitId} to ${username}`);
  return activate(stack, username, created.body.oneTimePassword, `${username} passphrase 2026`, granted.body.role.roleId);
}

/**
 * {@link createStaff} for each entry, two at a time (Argon2 is memory- and CPU-hungry on a small machine).
 * @returns the sessions under the same keys.
 */
export async function createStaffPeople<K extends string>(stack: TestStack, admin: StaffSession, people: Record<K, StaffSpec>): Promise<Record<K, StaffSession>> {
  const entries = Object.entries(people) as [K, StaffSpec][];
  const sessions = {} as Record<K, StaffSession>;
  const next = async (): Promise<void> => {
    for (let entry = entries.shift(); entry; entry = entries.shift()) {
      const [key, spec] = entry;
      sessions[key] = await createStaff(stack, admin, key.toLowerCase().replace(/[^a-z0-9._@-]/g, '.'), spec);
    }
  };
  await Promise.all([next(), next()]);
  return sessions;
}
