import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { identity } from '@tongban/contracts';

/** Deadline of one GetMe call, ms. */
const GET_ME_TIMEOUT_MS = 5000;

/**
 * Asks identity (GetMe, with the caller's own token) whether the caller holds a directory-admin role: the
 * roles live in the staff directory, not in the token. An account that is disabled or must still change
 * its one-time password holds none; a token of someone not in the directory (`npm run token`) neither.
 * @returns check(token) → true for a directory-admin; identity's other errors (UNAVAILABLE…) are thrown.
 */
export function directoryAdminCheck(address: string): { check(token: string): Promise<boolean>; close(): void } {
  const client = new identity.IdentityServiceClient(address, credentials.createInsecure());
  const check = (token: string) => new Promise<boolean>((resolve, reject) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    client.getMe({}, md, { deadline: Date.now() + GET_ME_TIMEOUT_MS }, (err: ServiceError | null, res) => {
      if (err) {
        if (err.code === status.NOT_FOUND || err.code === status.PERMISSION_DENIED) resolve(false);
        else reject(err);
        return;
      }
      const me = JSON.parse(res.meJson) as { disabled?: boolean; passwordChangeRequired?: boolean; roles?: { role?: string }[] };
      resolve(!me.disabled && !me.passwordChangeRequired && (me.roles ?? []).some((r) => r.role === 'directory-admin'));
    });
  });
  return { check, close: () => client.close() };
}
