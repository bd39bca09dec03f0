import { createHash, createPrivateKey, createPublicKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * Token signing keys: Ed25519 (JWS `EdDSA`), each with a key id (`kid`, the RFC 7638 JWK thumbprint of
 * its public key). Only the identity service holds a private key; every other process verifies with the
 * public keys it fetches from identity (GetVerificationKeys), so a compromised service cannot mint tokens.
 *
 * A private key is derived from a secret of at least 32 bytes — `TONGBAN_JWT_SECRET`, or the installation
 * key that identity generates on first start when the secret is unset — with HKDF-SHA256, so the same
 * secret always gives the same key (and the same kid) on every replica and after every restart.
 */

/** A public verification key as a JWK (RFC 8037 OKP/Ed25519) with its kid. */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  /** The public key, base64url. */
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/** A private signing key and its public half. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: PublicJwk;
}

/** Resolves a token's kid to a public key; undefined when the kid is not (or no longer) accepted. */
export interface VerificationKeys {
  key(kid: string): Promise<KeyObject | undefined>;
}

/** Minimum length of a configured signing secret, bytes. */
export const MIN_SECRET_BYTES = 32;

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const HKDF_SALT = 'tongban';
const HKDF_INFO = 'tongban token signing key v1 (Ed25519)';

/** A secret that is too short or missing (the process does not start on it). */
export class SigningSecretError extends Error {
  override readonly name = 'SigningSecretError';
  readonly code = 'invalid_signing_secret';
}

/**
 * The Ed25519 signing key derived from a secret (HKDF-SHA256, salt "tongban").
 * @param secret ≥ 32 bytes (a string is taken as UTF-8).
 * @param variable the setting it came from, named in the error.
 * @throws SigningSecretError when the secret is shorter than 32 bytes.
 */
export function signingKeyFromSecret(secret: string | Uint8Array, variable = 'TONGBAN_JWT_SECRET'): SigningKey {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < MIN_SECRET_BYTES) throw new SigningSecretError(`${variable} must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length})`);
  const seed = Buffer.from(hkdfSync('sha256', bytes, HKDF_SALT, HKDF_INFO, 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const x = (createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string }).x;
  const kid = jwkThumbprint(x);
  return { kid, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } };
}

/** A new random installation secret: 32 bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key. */
function jwkThumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

/** A public key object from a JWK. @throws Error when it is not an Ed25519 OKP key. */
export function publicKeyOf(jwk: PublicJwk): KeyObject {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error(`key ${jwk.kid} is not an Ed25519 key`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

/** A fixed set of verification keys (identity's own, tests). */
export function staticKeys(jwks: readonly PublicJwk[]): VerificationKeys {
  const byKid = new Map(jwks.map((j) => [j.kid, publicKeyOf(j)]));
  return { key: async (kid) => byKid.get(kid) };
}

/**
 * Verification keys fetched from identity and cached: an unknown kid fetches the set again (at most once
 * per `minRefreshMs`, concurrent lookups share one fetch), and the set is refreshed when older than
 * `maxAgeMs`, so a new key is picked up at once and a retired one is dropped within `maxAgeMs`.
 * A failing fetch rejects the lookup (the caller answers UNAVAILABLE), unless a cached set answers it.
 */
export class CachedVerificationKeys implements VerificationKeys {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = 0;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly fetch: () => Promise<readonly PublicJwk[]>,
    private readonly options: { minRefreshMs?: number; maxAgeMs?: number; now?: () => number } = {},
  ) {}

  async key(kid: string): Promise<KeyObject | undefined> {
    const now = (this.options.now ?? Date.now)();
    const stale = now - this.fetchedAt > (this.options.maxAgeMs ?? 300_000);
    const missing = !this.keys.has(kid) && now - this.fetchedAt > (this.options.minRefreshMs ?? 1000);
    if (this.fetchedAt === 0 || stale || missing) {
      try {
        await this.refresh();
      } catch (err) {
        if (this.fetchedAt === 0 || !this.keys.has(kid)) throw err;
      }
    }
    return this.keys.get(kid);
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.fetch().then((jwks) => {
      this.keys = new Map(jwks.map((j) => [j.kid, publicKeyOf(j)]));
      this.fetchedAt = (this.options.now ?? Date.now)();
    }).finally(() => { this.inflight = undefined; });
    return this.inflight;
  }
}
