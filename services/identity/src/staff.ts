/**
 * The staff account model (pure: no I/O; time and ids arrive in the command). One stream per person,
 * `staff-<id>`; `decide(command, state)` → events, `evolve(state, event)` → state. Expected failures are
 * StaffRejection with a reason (mapped to gRPC INVALID_ARGUMENT / FAILED_PRECONDITION / NOT_FOUND).
 * Event payloads are the messages of proto/tongban/identity/v1/events.proto (canonical JSON).
 */
import { STAFF_ROLES, type StaffRole } from '@tongban/domain';

/** Roles a person can hold: the ticket roles, and directory-admin (manages accounts, acts on no ticket). */
export const DIRECTORY_ROLES = [...STAFF_ROLES, 'directory-admin'] as const;
export type DirectoryRole = (typeof DIRECTORY_ROLES)[number];

/** True for a role that acts on tickets (a token can be scoped to it). */
export function isTicketRole(role: string): role is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(role);
}

/** A role held by a person: what, where (unit) and over which division subtree. */
export interface RoleGrant {
  roleId: string;
  role: DirectoryRole;
  unitId: string;
  division: string;
  department?: string;
}

/** A staff account as evolved from its stream. */
export interface StaffState {
  id: string;
  username: string;
  displayName: string;
  /** Home jurisdiction: directory-admins over this division manage the account. */
  division: string;
  disabled: boolean;
  mustChangePassword: boolean;
  hasPassword: boolean;
  roles: RoleGrant[];
  oidc: { issuer: string; subject: string }[];
  /** Revision of the last event (-1: no stream). */
  revision: number;
}

/** A staff event: type and payload (as in events.proto). */
export type StaffEvent =
  | { type: 'StaffAccountCreated'; data: { staffId: string; username: string; displayName: string; division: string } }
  | { type: 'StaffAccountUpdated'; data: { displayName: string } }
  | { type: 'StaffRoleGranted'; data: { roleId: string; role: string; unitId: string; division: string; department?: string } }
  | { type: 'StaffRoleRevoked'; data: { roleId: string } }
  | { type: 'StaffAccountDisabled'; data: { reason?: string } }
  | { type: 'StaffAccountEnabled'; data: Record<string, never> }
  | { type: 'StaffPasswordSet'; data: { reason: 'bootstrap' | 'initial' | 'reset' | 'changed'; mustChange?: boolean } }
  | { type: 'StaffOidcLinked'; data: { issuer: string; subject: string } }
  | { type: 'StaffOidcUnlinked'; data: { issuer: string; subject: string } };

/** A staff command. */
export type StaffCommand =
  | { type: 'CreateAccount'; staffId: string; username: string; displayName: string; division: string }
  | { type: 'UpdateAccount'; displayName: string }
  | { type: 'GrantRole'; grant: RoleGrant }
  | { type: 'RevokeRole'; roleId: string }
  | { type: 'DisableAccount'; reason?: string }
  | { type: 'EnableAccount' }
  | { type: 'SetPassword'; reason: 'bootstrap' | 'initial' | 'reset' | 'changed'; mustChange: boolean }
  | { type: 'LinkOidc'; issuer: string; subject: string }
  | { type: 'UnlinkOidc'; issuer: string };

/** An expected refusal of a staff command. */
export class StaffRejection extends Error {
  override readonly name = 'StaffRejection';
  constructor(readonly kind: 'invalid' | 'precondition' | 'not_found' | 'conflict', readonly reason: string, message: string) {
    super(message);
  }
}

/** The state before the first event. */
export function initialStaffState(id: string): StaffState {
  return { id, username: '', displayName: '', division: '', disabled: false, mustChangePassword: false, hasPassword: false, roles: [], oidc: [], revision: -1 };
}

/** Applies one event. */
export function evolveStaff(state: StaffState, event: StaffEvent): StaffState {
  const next = { ...state, revision: state.revision + 1 };
  switch (event.type) {
    case 'StaffAccountCreated':
      return { ...next, username: event.data.username, displayName: event.data.displayName, division: event.data.division };
    case 'StaffAccountUpdated':
      return { ...next, displayName: event.data.displayName };
    case 'StaffRoleGranted': {
      const { roleId, role, unitId, division, department } = event.data;
      return { ...next, roles: [...state.roles, { roleId, role: role as DirectoryRole, unitId, division, ...(department ? { department } : {}) }] };
    }
    case 'StaffRoleRevoked':
      return { ...next, roles: state.roles.filter((r) => r.roleId !== event.data.roleId) };
    case 'StaffAccountDisabled':
      return { ...next, disabled: true };
    case 'StaffAccountEnabled':
      return { ...next, disabled: false };
    case 'StaffPasswordSet':
      return { ...next, hasPassword: true, mustChangePassword: event.data.mustChange === true };
    case 'StaffOidcLinked':
      return { ...next, oidc: [...state.oidc.filter((o) => o.issuer !== event.data.issuer), { issuer: event.data.issuer, subject: event.data.subject }] };
    case 'StaffOidcUnlinked':
      return { ...next, oidc: state.oidc.filter((o) => !(o.issuer === event.data.issuer && o.subject === event.data.subject)) };
  }
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{2,63}$/;

/**
 * Decides a command against the account's state.
 * @throws StaffRejection: invalid_username, invalid_display_name, account_exists, account_not_found,
 *   role_exists (the same role at the same unit), role_not_found, already_disabled, not_disabled,
 *   oidc_already_linked, oidc_link_not_found (unlink of an issuer the account has no link with).
 */
export function decideStaff(command: StaffCommand, state: StaffState): StaffEvent[] {
  if (command.type === 'CreateAccount') {
    if (state.revision >= 0) throw new StaffRejection('conflict', 'account_exists', `staff ${state.id} exists`);
    if (!USERNAME.test(command.username)) {
      throw new StaffRejection('invalid', 'invalid_username', 'username: 3–64 characters, lower-case letters, digits and . _ @ -, starting with a letter or digit');
    }
    return [{ type: 'StaffAccountCreated', data: { staffId: command.staffId, username: command.username, displayName: checkName(command.displayName), division: command.division } }];
  }
  if (state.revision < 0) throw new StaffRejection('not_found', 'staff_not_found', `no staff account ${state.id}`);
  switch (command.type) {
    case 'UpdateAccount':
      return command.displayName === state.displayName ? [] : [{ type: 'StaffAccountUpdated', data: { displayName: checkName(command.displayName) } }];
    case 'GrantRole': {
      const g = command.grant;
      if (state.roles.some((r) => r.role === g.role && r.unitId === g.unitId && r.division === g.division)) {
        throw new StaffRejection('conflict', 'role_exists', `${state.username} already holds ${g.role} at ${g.unitId}`);
      }
      return [{ type: 'StaffRoleGranted', data: { roleId: g.roleId, role: g.role, unitId: g.unitId, division: g.division, ...(g.department ? { department: g.department } : {}) } }];
    }
    case 'RevokeRole':
      if (!state.roles.some((r) => r.roleId === command.roleId)) throw new StaffRejection('not_found', 'role_not_found', `${state.username} holds no role ${command.roleId}`);
      return [{ type: 'StaffRoleRevoked', data: { roleId: command.roleId } }];
    case 'DisableAccount':
      if (state.disabled) return [];
      return [{ type: 'StaffAccountDisabled', data: command.reason ? { reason: command.reason } : {} }];
    case 'EnableAccount':
      if (!state.disabled) return [];
      return [{ type: 'StaffAccountEnabled', data: {} }];
    case 'SetPassword':
      return [{ type: 'StaffPasswordSet', data: { reason: command.reason, mustChange: command.mustChange } }];
    case 'LinkOidc':
      if (state.oidc.some((o) => o.issuer === command.issuer && o.subject === command.subject)) return [];
      return [{ type: 'StaffOidcLinked', data: { issuer: command.issuer, subject: command.subject } }];
    case 'UnlinkOidc': {
      const link = state.oidc.find((o) => o.issuer === command.issuer);
      if (!link) throw new StaffRejection('not_found', 'oidc_link_not_found', `${state.username} has no single sign-on link with ${command.issuer}`);
      return [{ type: 'StaffOidcUnlinked', data: { issuer: link.issuer, subject: link.subject } }];
    }
  }
}

/**
 * Invisible or layout-changing characters a display name may not hold: control characters (Cc), format
 * characters (Cf: bidirectional overrides and isolates such as U+202E, zero-width spaces and joiners,
 * U+FEFF), line/paragraph separators and lone surrogates. A name is shown to citizens and auditors beside
 * the actions it took; U+202E could make "王丽" read as someone else's name, and a zero-width character
 * makes two names that look the same differ (Unicode TR 36, "Unicode Security Considerations", §2).
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * The display name as stored: NFC-normalised and trimmed, 1–100 characters, no hidden characters.
 * @throws StaffRejection invalid_display_name
 */
function checkName(name: string): string {
  const trimmed = name.normalize('NFC').trim();
  if (trimmed.length < 1 || trimmed.length > 100) throw new StaffRejection('invalid', 'invalid_display_name', 'displayName: 1–100 characters');
  const hidden = HIDDEN.exec(trimmed);
  if (hidden) {
    const code = `U+${hidden[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new StaffRejection('invalid', 'invalid_display_name', `displayName: contains the invisible or control character ${code}`);
  }
  return trimmed;
}

/** True when `division` lies in the subtree of `root` (division codes extend their parent's code). */
export function withinDivision(root: string, division: string): boolean {
  return division.startsWith(root);
}
