import { randomBytes, randomUUID } from 'node:crypto';
import type { TokenSubject } from '@tongban/auth';
import type { ReferenceData } from '@tongban/reference-data';
import { fail } from '@tongban/runtime';
import type { PasswordStore } from './passwords';
import { meView, type Sessions } from './sessions';
import { DIRECTORY_ROLES, type DirectoryRole, type StaffState, StaffRejection, isTicketRole, withinDivision } from './staff';
import type { StaffRepository } from './staff-store';

/**
 * FindStaffRole: whether `staffId` is an account of the directory, whether it is disabled, and the ticket
 * roles it holds at `unitId` (not found for an id that is no UUID: the seeded development identities).
 */
export async function findStaffRole(staff: StaffRepository, req: { staffId: string; unitId: string }): Promise<{ found: boolean; disabled: boolean; roles: string[]; displayName: string }> {
  if (!UUID.test(req.staffId)) return { found: false, disabled: false, roles: [], displayName: '' };
  const state = await staff.load(req.staffId);
  if (state.revision < 0) return { found: false, disabled: false, roles: [], displayName: '' };
  return {
    found: true, disabled: state.disabled, displayName: state.displayName,
    roles: state.roles.filter((r) => r.unitId === req.unitId && isTicketRole(r.role)).map((r) => r.role),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A one-time password: 16 characters of an alphabet without look-alikes (≈ 90 bits). */
export function oneTimePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(16)].map((b) => alphabet[b % alphabet.length]).join('');
}

type Body = Record<string, unknown>;

/** Sign-in log entries per page (GET /api/v1/staff/{id}/sign-ins): default and largest `limit`. */
const SIGN_IN_PAGE_DEFAULT = 50;
const SIGN_IN_PAGE_MAX = 200;

const str = (body: Body, key: string, required = true): string => {
  const v = body[key];
  if (v === undefined && !required) return '';
  if (typeof v !== 'string') throw new StaffRejection('invalid', 'invalid_argument', `${key} must be a string`);
  return v;
};

/**
 * What a directory-admin may not do to their own account, and why (409 `own_account`): resetting their own password
 * would replace it without the current one (POST /api/v1/auth/password asks for it) and end their own sessions;
 * disabling themselves could leave the directory without anyone to manage it. Another directory-admin does it.
 */
const OWN_ACCOUNT_REFUSED: Readonly<Partial<Record<string, string>>> = {
  'reset-password': 'you cannot reset your own password: change it with POST /api/v1/auth/password (another directory-admin can reset it)',
  disable: 'you cannot disable your own account (another directory-admin can)',
};

/**
 * The staff directory, for directory-admins within their jurisdiction: a directory-admin role at a unit
 * manages the accounts whose home division lies in that unit's division subtree, and grants roles only at
 * units in it. Everything else is PERMISSION_DENIED (reason outside_jurisdiction / not_directory_admin),
 * and nothing is appended. The caller's roles are read from the store on every call (not from the token),
 * so a revoked directory-admin loses the right at once.
 */
export class Directory {
  constructor(private readonly deps: {
    staff: StaffRepository; passwords: PasswordStore; sessions: Sessions; ref: ReferenceData; now: () => Date;
    /** The configured OIDC issuer: the issuer of a link-oidc without one. */
    oidcIssuer?: string | undefined;
  }) {}

  /** Runs one ManageStaff action; the result as JSON-ready data. */
  async manage(caller: TokenSubject, action: string, staffId: string, roleId: string, body: Body, correlationId: string): Promise<unknown> {
    const admin = await this.adminDivisions(caller);
    const now = this.deps.now();
    const ctx = { actor: { kind: 'staff', id: caller.id }, correlationId, now };
    // What directory-admins see of a person: /me's view, the single sign-on links, and the sign-in lock.
    const listed = (s: StaffState) => ({ ...meView(s, this.deps.ref), oidc: s.oidc });
    const view = async (s: StaffState) => ({ ...listed(s), ...await this.deps.sessions.lockOf(s.username) });
    if (action === 'list') {
      const limit = Math.min(Math.max(Number(body['limit'] ?? 100), 1), 500);
      const offset = Math.max(Number(body['offset'] ?? 0), 0);
      const division = typeof body['division'] === 'string' && body['division'] ? body['division'] : undefined;
      const roots = division ? admin.filter((d) => withinDivision(d, division)).map(() => division) : admin;
      if (division && roots.length === 0) throw fail.forbidden('outside_jurisdiction', `division ${division} is outside your jurisdiction`);
      const lists = await Promise.all([...new Set(roots)].map((d) => this.deps.staff.list(d, limit, offset)));
      const staff = [...new Map(lists.flat().map((s) => [s.id, s])).values()].sort((a, b) => a.username.localeCompare(b.username)).slice(0, limit);
      return { staff: staff.map(listed) };
    }
    if (action === 'create') {
      const division = str(body, 'division');
      if (!this.deps.ref.divisions.get(division)) throw new StaffRejection('invalid', 'unknown_division', `unknown division ${division}`);
      this.requireWithin(admin, division);
      const username = str(body, 'username').trim().toLowerCase();
      if (await this.deps.staff.byUsername(username)) throw new StaffRejection('conflict', 'username_taken', `username ${username} is taken`);
      const id = randomUUID();
      await this.deps.staff.execute(id, { type: 'CreateAccount', staffId: id, username, displayName: str(body, 'displayName'), division }, ctx);
      const password = oneTimePassword();
      await this.deps.passwords.set(id, password, now);
      const state = await this.deps.staff.execute(id, { type: 'SetPassword', reason: 'initial', mustChange: true }, ctx);
      return { staff: await view(state), oneTimePassword: password };
    }
    const target = await this.deps.staff.load(staffId);
    if (target.revision < 0) throw new StaffRejection('not_found', 'staff_not_found', `no staff account ${staffId}`);
    this.requireWithin(admin, target.division);
    if (target.id === caller.id && OWN_ACCOUNT_REFUSED[action]) throw new StaffRejection('precondition', 'own_account', OWN_ACCOUNT_REFUSED[action]);
    switch (action) {
      case 'get':
        return { ...await view(target), signIns: await this.deps.sessions.signIns(target.id, 20) };
      case 'update':
        return view(await this.deps.staff.execute(staffId, { type: 'UpdateAccount', displayName: str(body, 'displayName') }, ctx));
      case 'grant-role': {
        const grant = this.grantOf(body, admin);
        const state = await this.deps.staff.execute(staffId, { type: 'GrantRole', grant }, ctx);
        return { role: state.roles.find((r) => r.roleId === grant.roleId), staff: await view(state) };
      }
      case 'revoke-role': {
        const role = target.roles.find((r) => r.roleId === roleId);
        if (role) this.requireWithin(admin, role.division);
        return view(await this.deps.staff.execute(staffId, { type: 'RevokeRole', roleId }, ctx));
      }
      case 'disable': {
        const state = await this.deps.staff.execute(staffId, { type: 'DisableAccount', ...(typeof body['reason'] === 'string' ? { reason: body['reason'] } : {}) }, ctx);
        await this.deps.sessions.revokeAll(staffId);
        return view(state);
      }
      case 'enable':
        return view(await this.deps.staff.execute(staffId, { type: 'EnableAccount' }, ctx));
      case 'reset-password': {
        const password = oneTimePassword();
        await this.deps.passwords.set(staffId, password, now);
        const state = await this.deps.staff.execute(staffId, { type: 'SetPassword', reason: 'reset', mustChange: true }, ctx);
        await this.deps.sessions.revokeAll(staffId);
        return { staff: await view(state), oneTimePassword: password };
      }
      case 'link-oidc': {
        const issuer = str(body, 'issuer', false) || this.deps.oidcIssuer;
        if (!issuer) throw new StaffRejection('invalid', 'oidc_not_configured', 'single sign-on is not configured (TONGBAN_OIDC_ISSUER): give the issuer');
        const subject = str(body, 'subject');
        if (!subject.trim()) throw new StaffRejection('invalid', 'invalid_argument', 'subject must not be empty');
        const linked = await this.deps.staff.byOidc(issuer, subject);
        if (linked && linked.id !== staffId) throw new StaffRejection('conflict', 'oidc_already_linked', `this identity is linked to another account (${linked.username})`);
        return view(await this.deps.staff.execute(staffId, { type: 'LinkOidc', issuer, subject }, ctx));
      }
      case 'unlink-oidc': {
        const issuer = str(body, 'issuer', false) || this.deps.oidcIssuer || target.oidc[0]?.issuer;
        if (!issuer) throw new StaffRejection('not_found', 'oidc_link_not_found', `${target.username} has no single sign-on link`);
        const state = await this.deps.staff.execute(staffId, { type: 'UnlinkOidc', issuer }, ctx);
        // The subject no longer signs in as this person: its sessions end now (password ones stay).
        await this.deps.sessions.revokeMethod(staffId, 'oidc');
        return view(state);
      }
      case 'sign-ins': {
        const limit = Math.min(Math.max(Number(body['limit'] ?? SIGN_IN_PAGE_DEFAULT) || SIGN_IN_PAGE_DEFAULT, 1), SIGN_IN_PAGE_MAX);
        return this.deps.sessions.signInPage(staffId, limit, str(body, 'cursor', false));
      }
      default:
        throw new StaffRejection('invalid', 'unknown_action', `unknown action ${action}`);
    }
  }

  /** The division roots of the caller's directory-admin roles. @throws PERMISSION_DENIED not_directory_admin. */
  private async adminDivisions(caller: TokenSubject): Promise<string[]> {
    const state = caller.kind === 'staff' || caller.kind === 'person' ? await this.deps.staff.load(caller.id).catch(() => undefined) : undefined;
    if (!state || state.revision < 0 || state.disabled) throw fail.forbidden('not_directory_admin', 'only directory-admins manage staff accounts');
    if (state.mustChangePassword) throw fail.forbidden('password_change_required', 'change your one-time password first (POST /api/v1/auth/password)');
    const roots = state.roles.filter((r) => r.role === 'directory-admin').map((r) => r.division);
    if (roots.length === 0) throw fail.forbidden('not_directory_admin', 'only directory-admins manage staff accounts');
    return roots;
  }

  private requireWithin(roots: string[], division: string): void {
    if (!roots.some((root) => withinDivision(root, division))) throw fail.forbidden('outside_jurisdiction', `division ${division} is outside your jurisdiction`);
  }

  /** A role grant from a request body {role, unitId, division?}, checked against units and the jurisdiction. */
  private grantOf(body: Body, admin: string[]) {
    const role = str(body, 'role') as DirectoryRole;
    if (!(DIRECTORY_ROLES as readonly string[]).includes(role)) throw new StaffRejection('invalid', 'unknown_role', `role must be one of ${DIRECTORY_ROLES.join(', ')}`);
    const unit = this.deps.ref.unitsById.get(str(body, 'unitId'));
    if (!unit) throw new StaffRejection('invalid', 'unknown_unit', `unknown unit ${String(body['unitId'])}`);
    const division = str(body, 'division', false) || unit.division;
    if (!withinDivision(unit.division, division) || !this.deps.ref.divisions.get(division)) {
      throw new StaffRejection('invalid', 'invalid_role_division', `division ${division} is not in the jurisdiction of ${unit.id}`);
    }
    if ((role === 'department') !== (unit.kind === 'department')) {
      throw new StaffRejection('invalid', 'role_unit_mismatch', `${role} is held at ${role === 'department' ? 'a department' : 'an administration'}`);
    }
    if ((role === 'directory-admin' || role === 'hotline') && !['county', 'prefecture'].includes(unit.level)) {
      throw new StaffRejection('invalid', 'role_unit_mismatch', `${role} staff work at a county or the prefecture`);
    }
    this.requireWithin(admin, unit.division);
    return { roleId: randomUUID(), role, unitId: unit.id, division, ...(unit.departmentType ? { department: unit.departmentType } : {}) };
  }
}
