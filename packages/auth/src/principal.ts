import type { StaffRole } from '@tongban/domain';

/** A staff member: unit, role and jurisdiction (the unit's division subtree). */
export interface StaffPrincipal {
  kind: 'staff';
  /** Staff id, e.g. `admin@adm-513437100`. */
  id: string;
  role: StaffRole;
  unitId: string;
  /** Division code of the unit: the root of the jurisdiction. */
  division: string;
  /** Department type, for department staff. */
  department?: string;
}

/** A citizen's device (no password: the device token is the identity). */
export interface CitizenPrincipal {
  kind: 'citizen';
  /** Device id. */
  id: string;
}

/** An Open311 client application (authenticated by api_key at the gateway). */
export interface Open311Principal {
  kind: 'open311';
  /** API client id. */
  id: string;
  /** Device id given by the client app (Open311 device_id), if any. */
  deviceId?: string;
}

/**
 * A signed-in person acting in no ticket role: someone who holds none (a directory-admin only), or who must
 * change a one-time password first. Accepted by identity (me, password, staff directory) only; the ticket
 * services refuse it (unknown kind → UNAUTHENTICATED).
 */
export interface PersonPrincipal {
  kind: 'person';
  /** Staff account id. */
  id: string;
}

/** A service acting on its own authority (routing, deadline). */
export interface SystemPrincipal {
  kind: 'system';
  /** Service name. */
  id: string;
}

/** Whoever a request acts for. */
export type Principal = StaffPrincipal | CitizenPrincipal | Open311Principal | SystemPrincipal;

/** Whoever a token may name: a principal, or a person without a ticket role (identity only). */
export type TokenSubject = Principal | PersonPrincipal;
