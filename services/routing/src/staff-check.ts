import { Metadata, credentials, status } from '@grpc/grpc-js';
import type { Principal } from '@tongban/auth';
import { identity } from '@tongban/contracts';
import type { ReferenceData } from '@tongban/reference-data';
import { ServiceFailure, fail } from '@tongban/runtime';

/** Deadline of one FindStaffRole call to identity, ms. */
const STAFF_LOOKUP_TIMEOUT_MS = 5000;

/** Asks identity which ticket roles a person holds at a unit (FindStaffRole). */
export type StaffLookup = (request: identity.FindStaffRoleRequest, authorization: string) => Promise<identity.FindStaffRoleResponse>;

/** A StaffLookup calling identity at `address` (IDENTITY_ADDR) with the caller's own token. */
export function identityStaffLookup(address: string): { lookup: StaffLookup; close(): void } {
  const client = new identity.IdentityServiceClient(address, credentials.createInsecure());
  const lookup: StaffLookup = (request, authorization) => new Promise((resolve, reject) => {
    const md = new Metadata();
    md.set('authorization', authorization);
    client.findStaffRole(request, md, { deadline: Date.now() + STAFF_LOOKUP_TIMEOUT_MS }, (err, res) => (err ? reject(err) : resolve(res)));
  });
  return { lookup, close: () => client.close() };
}

/**
 * Checks the person a supervisor reassigns a ticket to (issue 9): a seeded development identity of that
 * unit (`npm run token`), or a person of the staff directory who is enabled and holds a ticket role at the
 * unit — identity is asked (FindStaffRole) with the caller's token. Only staff callers are looked up.
 * @throws ServiceFailure INVALID_ARGUMENT unknown_staff (no such person, disabled, or no role at the unit);
 *   UNAVAILABLE (reason unavailable, 503 at the gateway) while identity cannot be reached.
 */
export async function checkReassignee(
  lookup: StaffLookup, ref: ReferenceData, principal: Principal, authorization: string, staffId: string, unitId: string,
): Promise<void> {
  if (!staffId) return;
  if (ref.staff.some((s) => s.id === staffId && s.unitId === unitId)) return;
  const unknown = (why: string) => fail.invalid('unknown_staff', `no staff member ${staffId} in unit ${unitId}${why}`);
  if (principal.kind !== 'staff') throw unknown('');
  let found: identity.FindStaffRoleResponse;
  try {
    found = await lookup({ staffId, unitId }, authorization);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED) {
      throw new ServiceFailure(status.UNAVAILABLE, 'unavailable', 'the staff directory (identity) is unavailable; retry later');
    }
    if (code === status.PERMISSION_DENIED) throw unknown('');
    throw err;
  }
  if (!found.found) throw unknown('');
  if (found.disabled) throw unknown(` (the account ${found.displayName} is disabled)`);
  if (found.roles.length === 0) throw unknown(` (${found.displayName} holds no ticket role there)`);
}
