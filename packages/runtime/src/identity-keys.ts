import { Metadata, credentials } from '@grpc/grpc-js';
import { CachedVerificationKeys, type PublicJwk } from '@tongban/auth';
import { identity } from '@tongban/contracts';

/** What identity says about its keys (GetVerificationKeys). */
export interface IdentityKeyInfo {
  jwks: PublicJwk[];
  currentKid: string;
  /** The installation's generated key is in use (TONGBAN_JWT_SECRET unset). */
  generated: boolean;
}

/** Deadline of one GetVerificationKeys call, ms. */
export const KEY_FETCH_TIMEOUT_MS = 5000;

/**
 * The token verification keys of a process that is not identity: fetched from identity at `address`
 * (IDENTITY_ADDR) on first use and cached (see CachedVerificationKeys). While identity cannot be reached
 * and nothing is cached, verification fails with identity's gRPC error (UNAVAILABLE → 503 at the gateway).
 */
export function identityVerificationKeys(address: string): { keys: CachedVerificationKeys; info(): Promise<IdentityKeyInfo>; close(): void } {
  const client = new identity.IdentityServiceClient(address, credentials.createInsecure());
  const info = () => new Promise<IdentityKeyInfo>((resolve, reject) => {
    client.getVerificationKeys({}, new Metadata(), { deadline: Date.now() + KEY_FETCH_TIMEOUT_MS }, (err, res) => {
      if (err) { reject(err); return; }
      try {
        const jwks = (JSON.parse(res.jwksJson) as { keys: PublicJwk[] }).keys;
        resolve({ jwks, currentKid: res.currentKid, generated: res.generated });
      } catch (parseError) {
        reject(new Error('identity answered an unreadable key set', { cause: parseError }));
      }
    });
  });
  const keys = new CachedVerificationKeys(async () => (await info()).jwks);
  return { keys, info, close: () => client.close() };
}
