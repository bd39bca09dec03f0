import type { ReferenceData } from '@tongban/reference-data';
import { oneTimePassword } from './directory';
import type { PasswordStore } from './passwords';
import { StaffRejection } from './staff';
import type { StaffRepository } from './staff-store';

/** Id of the bootstrap administrator's account (fixed, so that replicas starting together create one). */
const BOOTSTRAP_STAFF_ID = '00000000-0000-4000-8000-000000000001';
/** Username of the bootstrap administrator. */
const BOOTSTRAP_USERNAME = 'admin';

/**
 * On a directory without accounts: creates the prefecture's first directory-admin (`admin`, directory-admin
 * of the prefecture administration), with TONGBAN_BOOTSTRAP_PASSWORD or a generated one-time password,
 * to be changed at the first sign-in. Returns the password to print once (undefined when nothing was
 * created, e.g. another replica did it).
 */
export async function bootstrapAdministrator(
  deps: { staff: StaffRepository; passwords: PasswordStore; ref: ReferenceData; now: Date; bootstrapPassword?: string },
): Promise<{ username: string; password: string; fromEnvironment: boolean } | undefined> {
  if (await deps.staff.count() > 0) return undefined;
  const prefecture = [...deps.ref.unitsById.values()].find((u) => u.level === 'prefecture' && u.kind === 'administration');
  if (!prefecture) throw new Error('reference data has no prefecture administration');
  const ctx = { actor: { kind: 'system', id: 'identity' }, correlationId: 'bootstrap', now: deps.now };
  const id = BOOTSTRAP_STAFF_ID;
  try {
    await deps.staff.execute(id, { type: 'CreateAccount', staffId: id, username: BOOTSTRAP_USERNAME, displayName: '目录管理员 (bootstrap)', division: prefecture.division }, ctx);
  } catch (err) {
    if (err instanceof StaffRejection && err.reason === 'account_exists') return undefined;
    throw err;
  }
  await deps.staff.execute(id, { type: 'GrantRole', grant: { roleId: 'bootstrap-directory-admin', role: 'directory-admin', unitId: prefecture.id, division: prefecture.division } }, ctx);
  const password = deps.bootstrapPassword || oneTimePassword();
  await deps.passwords.set(id, password, deps.now);
  await deps.staff.execute(id, { type: 'SetPassword', reason: 'bootstrap', mustChange: true }, ctx);
  return { username: BOOTSTRAP_USERNAME, password, fromEnvironment: Boolean(deps.bootstrapPassword) };
}
