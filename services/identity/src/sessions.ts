import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { signToken, type SigningKey, type StaffPrincipal, type TokenSubject } from '@tongban/auth';
import type { identity } from '@tongban/contracts';
import type { ReferenceData } from '@tongban/reference-data';
import type pg from 'pg';
import { PasswordStore, checkNewPassword } from './passwords';
import { type RoleGrant, type StaffState, StaffRejection, isTicketRole } from './staff';
import type { StaffRepository } from './staff-store';
import { Throttle } from './throttle';

/** One attempt of the sign-in log. */
export interface SignInEntry { at: string; clientIp: string; userAgent: string; method: string; outcome: string }

/** Lifetime of an access token, seconds (the bound on a disabled account or revoked role keeping access). */
const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
/** Lifetime of a refresh token, seconds (each use rotates it). */
const REFRESH_TOKEN_TTL_SECONDS = 12 * 3600;
/** Sign-in log entries older than this are deleted, days. */
const SIGN_IN_LOG_DAYS = 90;

/** A sign-in refused for now: wait `retryAfterSeconds` (RESOURCE_EXHAUSTED too_many_attempts, 429). */
export class ThrottledError extends Error {
  override readonly name = 'ThrottledError';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed sign-ins: try again in ${retryAfterSeconds} s`);
  }
}

/** How a session (refresh-token family) signed in. */
export type SignInMethod = 'password' | 'oidc';

/** A refused credential (UNAUTHENTICATED with the reason). */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

/** What GET /api/v1/me shows. */
export interface MeView {
  id: string;
  username: string;
  displayName: string;
  division: string;
  disabled: boolean;
  passwordChangeRequired: boolean;
  roles: (RoleGrant & { unitName: string; jurisdiction: { division: string; name: string }; actsOnTickets: boolean })[];
}

/** The person as /me shows them, with unit names and jurisdictions from the reference data. */
export function meView(state: StaffState, ref: ReferenceData): MeView {
  return {
    id: state.id, username: state.username, displayName: state.displayName, division: state.division,
    disabled: state.disabled, passwordChangeRequired: state.mustChangePassword,
    roles: state.roles.map((r) => ({
      ...r,
      unitName: ref.unitsById.get(r.unitId)?.name ?? r.unitId,
      jurisdiction: { division: r.division, name: ref.divisions.get(r.division)?.name ?? r.division },
      actsOnTickets: isTicketRole(r.role),
    })),
  };
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** Sign-in, refresh-token rotation with reuse detection, sign-out and password change. */
export class Sessions {
  private readonly passwords: PasswordStore;
  private readonly throttle: Throttle;
  private lastPrune = 0;

  constructor(private readonly deps: { pool: pg.Pool; staff: StaffRepository; ref: ReferenceData; key: () => SigningKey; now: () => Date }) {
    this.passwords = new PasswordStore(deps.pool);
    this.throttle = new Throttle(deps.pool);
  }

  /**
   * Signs in with username and password.
   * @throws ThrottledError while the account or address waits; CredentialError invalid_credentials for a
   *   wrong password, an unknown user or a disabled account (the same answer, after the same work).
   */
  async login(req: identity.LoginRequest): Promise<identity.Session> {
    const now = this.deps.now();
    const ip = req.clientIp || 'unknown';
    const username = req.username.trim().toLowerCase();
    const wait = await this.throttle.check(username, ip, now);
    if (wait > 0) {
      await this.log(now, username, undefined, ip, req.userAgent, 'password', 'throttled');
      throw new ThrottledError(wait);
    }
    const state = await this.deps.staff.byUsername(username);
    const ok = await this.passwords.verify(state?.id, req.password);
    if (!ok || !state || state.disabled) {
      await this.throttle.failed(username, ip, now);
      await this.log(now, username, state?.id, ip, req.userAgent, 'password', !state ? 'unknown_user' : !ok ? 'bad_password' : 'disabled');
      throw new CredentialError('invalid_credentials', 'wrong username or password');
    }
    await this.throttle.succeeded(username);
    await this.log(now, username, state.id, ip, req.userAgent, 'password', 'success');
    return this.startSession(state, req.roleId, now);
  }

  /**
   * A new session (refresh-token family) for an authenticated person. `method` 'oidc' (single sign-on):
   * a pending one-time password does not restrict it (the person did not sign in with that password).
   */
  async startSession(state: StaffState, roleId: string, now: Date, method: SignInMethod = 'password'): Promise<identity.Session> {
    return this.issue(state, roleId, randomUUID(), now, method);
  }

  /**
   * Rotates a refresh token. A spent (already rotated) or revoked one revokes the whole family.
   * @throws CredentialError invalid_refresh_token (unknown, expired, revoked), refresh_token_reused,
   *   account_disabled; StaffRejection role_not_held for a roleId the person does not hold.
   */
  async refresh(req: identity.RefreshRequest): Promise<identity.Session> {
    const now = this.deps.now();
    const hash = sha256(req.refreshToken);
    const { rows } = await this.deps.pool.query<{ family_id: string; staff_id: string; role_id: string; expires_at: Date; spent_at: Date | null; revoked_at: Date | null; method: SignInMethod }>(
      'SELECT family_id, staff_id, role_id, expires_at, spent_at, revoked_at, method FROM identity_refresh_tokens WHERE token_hash = $1', [hash],
    );
    const row = rows[0];
    if (!row || row.revoked_at || row.expires_at <= now) throw new CredentialError('invalid_refresh_token', 'the refresh token is unknown, expired or revoked; sign in again');
    const reused = async () => {
      await this.revokeFamily(row.family_id, now);
      return new CredentialError('refresh_token_reused', 'this refresh token was already used: every session of this sign-in is revoked; sign in again');
    };
    if (row.spent_at) throw await reused();
    const state = await this.deps.staff.load(row.staff_id);
    if (state.revision < 0 || state.disabled) {
      await this.revokeFamily(row.family_id, now);
      throw new CredentialError('account_disabled', 'the account is disabled');
    }
    // Refused before the token is spent: the caller's cookie stays valid (a spent one would revoke the family next time).
    if (req.roleId && !state.roles.some((r) => r.roleId === req.roleId)) {
      throw new StaffRejection('invalid', 'role_not_held', `you hold no role ${req.roleId}`);
    }
    const spent = await this.deps.pool.query(
      'UPDATE identity_refresh_tokens SET spent_at = $2 WHERE token_hash = $1 AND spent_at IS NULL AND revoked_at IS NULL', [hash, now],
    );
    if (spent.rowCount === 0) throw await reused();
    return this.issue(state, req.roleId || row.role_id, row.family_id, now, row.method);
  }

  /** Revokes the family of a refresh token (sign-out). Unknown tokens are ignored. */
  async logout(refreshToken: string): Promise<void> {
    const { rows } = await this.deps.pool.query<{ family_id: string }>('SELECT family_id FROM identity_refresh_tokens WHERE token_hash = $1', [sha256(refreshToken)]);
    if (rows[0]) await this.revokeFamily(rows[0].family_id, this.deps.now());
  }

  /**
   * Changes the caller's password; clears "must change". Revokes the person's other sessions.
   * @throws CredentialError invalid_credentials for a wrong current password (counted by the throttle);
   *   ThrottledError; StaffRejection weak_password.
   */
  async changePassword(staffId: string, req: identity.ChangePasswordRequest, correlationId: string): Promise<void> {
    const now = this.deps.now();
    const state = await this.deps.staff.load(staffId);
    if (state.revision < 0 || state.disabled) throw new CredentialError('account_disabled', 'the account is disabled');
    const ip = req.clientIp || 'unknown';
    const wait = await this.throttle.check(state.username, ip, now);
    if (wait > 0) throw new ThrottledError(wait);
    if (!await this.passwords.verify(staffId, req.current)) {
      await this.throttle.failed(state.username, ip, now);
      throw new CredentialError('invalid_credentials', 'the current password is wrong');
    }
    checkNewPassword(req.next, state.username);
    if (req.next === req.current) throw new StaffRejection('invalid', 'weak_password', 'the new password must differ from the current one');
    await this.passwords.set(staffId, req.next, now);
    await this.deps.staff.execute(staffId, { type: 'SetPassword', reason: 'changed', mustChange: false }, {
      actor: { kind: 'staff', id: staffId }, correlationId, now,
    });
  }

  /** Revokes every refresh token of a person (disabled, password reset). */
  async revokeAll(staffId: string): Promise<void> {
    await this.deps.pool.query('UPDATE identity_refresh_tokens SET revoked_at = $2 WHERE staff_id = $1 AND revoked_at IS NULL', [staffId, this.deps.now()]);
  }

  /** Revokes the person's single sign-on sessions (their OIDC link was removed); password sessions stay. */
  async revokeMethod(staffId: string, method: SignInMethod): Promise<void> {
    await this.deps.pool.query(
      'UPDATE identity_refresh_tokens SET revoked_at = $3 WHERE staff_id = $1 AND method = $2 AND revoked_at IS NULL', [staffId, method, this.deps.now()],
    );
  }

  /** The person's sign-in log, newest first. */
  async signIns(staffId: string, limit: number): Promise<SignInEntry[]> {
    return (await this.signInPage(staffId, limit)).signIns;
  }

  /**
   * One page of the person's sign-in log (kept SIGN_IN_LOG_DAYS), newest first: at most `limit` entries
   * older than `cursor` (the `nextCursor` of the previous page; empty: from the newest). Keyset paging on
   * the log's id, so entries written meanwhile neither repeat nor shift a page.
   * @throws StaffRejection invalid_cursor for a cursor this method did not answer.
   */
  async signInPage(staffId: string, limit: number, cursor = ''): Promise<{ signIns: SignInEntry[]; nextCursor?: string }> {
    let before: string | undefined;
    if (cursor) {
      const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!/^s[1-9]\d{0,18}$/.test(decoded)) throw new StaffRejection('invalid', 'invalid_cursor', 'cursor: give the nextCursor of the previous page');
      before = decoded.slice(1);
    }
    const { rows } = await this.deps.pool.query<{ id: string; at: Date; client_ip: string; user_agent: string; method: string; outcome: string }>(
      `SELECT id::text, at, client_ip, user_agent, method, outcome FROM identity_sign_ins
       WHERE staff_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`, [staffId, before ?? null, limit + 1],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      signIns: page.map((r) => ({ at: r.at.toISOString(), clientIp: r.client_ip, userAgent: r.user_agent, method: r.method, outcome: r.outcome })),
      ...(rows.length > limit && last ? { nextCursor: Buffer.from(`s${last.id}`).toString('base64url') } : {}),
    };
  }

  /** The throttle of a username: failures and the end of a lock (for directory-admins). */
  async lockOf(username: string): Promise<{ failedAttempts: number; lockedUntil?: string }> {
    const s = await this.throttle.state(`user:${username}`);
    const now = this.deps.now();
    return { failedAttempts: s?.failures ?? 0, ...(s?.lockedUntil && s.lockedUntil > now ? { lockedUntil: s.lockedUntil.toISOString() } : {}) };
  }

  /** Records a sign-in attempt; prunes entries older than SIGN_IN_LOG_DAYS at most once an hour. */
  async log(now: Date, username: string, staffId: string | undefined, ip: string, userAgent: string, method: string, outcome: string): Promise<void> {
    await this.deps.pool.query(
      'INSERT INTO identity_sign_ins (at, username, staff_id, client_ip, user_agent, method, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [now, username.slice(0, 100), staffId ?? null, ip.slice(0, 64), userAgent.slice(0, 300), method, outcome],
    );
    if (now.getTime() - this.lastPrune > 3600_000) {
      this.lastPrune = now.getTime();
      await this.deps.pool.query(`DELETE FROM identity_sign_ins WHERE at < $1`, [new Date(now.getTime() - SIGN_IN_LOG_DAYS * 86400_000)]);
    }
  }

  private async revokeFamily(familyId: string, now: Date): Promise<void> {
    await this.deps.pool.query('UPDATE identity_refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL', [familyId, now]);
  }

  /**
   * Issues an access token scoped to one role (the requested one, else the first ticket role) — a person
   * token when the person holds no ticket role or must change their password — and a refresh token.
   */
  private async issue(state: StaffState, wantedRoleId: string, familyId: string, now: Date, method: SignInMethod): Promise<identity.Session> {
    const ticketRoles = state.roles.filter((r) => isTicketRole(r.role));
    const role = state.mustChangePassword && method === 'password' ? undefined : ticketRoles.find((r) => r.roleId === wantedRoleId) ?? ticketRoles[0];
    const subject: TokenSubject = role && isTicketRole(role.role)
      ? { kind: 'staff', id: state.id, role: role.role, unitId: role.unitId, division: role.division, ...(role.department ? { department: role.department } : {}) } satisfies StaffPrincipal
      : { kind: 'person', id: state.id };
    const accessToken = await signToken(subject, this.deps.key(), now, ACCESS_TOKEN_TTL_SECONDS);
    const refreshToken = randomBytes(32).toString('base64url');
    await this.deps.pool.query(
      `INSERT INTO identity_refresh_tokens (token_hash, family_id, staff_id, role_id, issued_at, expires_at, method) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [sha256(refreshToken), familyId, state.id, role?.roleId ?? '', now, new Date(now.getTime() + REFRESH_TOKEN_TTL_SECONDS * 1000), method],
    );
    return {
      accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, refreshToken, refreshExpiresIn: REFRESH_TOKEN_TTL_SECONDS,
      meJson: JSON.stringify(meView(state, this.deps.ref)), roleId: role?.roleId ?? '',
    };
  }
}
