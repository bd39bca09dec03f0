import type { KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors, type JWTPayload } from 'jose';
import { STAFF_ROLES } from '@tongban/domain';
import type { SigningKey, VerificationKeys } from './keys';
import type { PersonPrincipal, Principal, TokenSubject } from './principal';

/** Issuer and audience of every Tongban token. */
export const TOKEN_ISSUER = 'tongban';

/** Thrown when a token is missing, malformed, expired or not signed with our key. */
export class UnauthenticatedError extends Error {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'unauthenticated';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Signs a token for a principal (EdDSA/Ed25519, header `kid`; only the identity service and the
 * operator's `npm run token` hold a signing key). `ttlSeconds` defaults to 12 h for staff, 365 days for devices.
 * `now` (UTC) is the issuing time (from the injected clock).
 */
export async function signToken(principal: TokenSubject, key: SigningKey, now: Date, ttlSeconds?: number): Promise<string> {
  const ttl = ttlSeconds ?? (principal.kind === 'staff' ? 12 * 3600 : 365 * 86400);
  const iat = Math.floor(now.getTime() / 1000);
  const { id, ...claims } = principal;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: key.kid })
    .setSubject(id)
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key.privateKey);
}

/** The kid is not among the accepted keys (retired, or never ours). */
class UnknownKeyError extends Error {}

/**
 * Verifies a token (EdDSA, by its `kid` among `keys`) and returns its principal. Expiry is checked
 * against real time (tokens are not subject to the test clock).
 * @throws UnauthenticatedError when the token is invalid, expired or signed by a key not accepted;
 *   whatever `keys` throws when the keys cannot be fetched (identity unreachable: the caller answers
 *   UNAVAILABLE, not 401).
 */
export async function verifyToken(token: string, keys: VerificationKeys): Promise<Principal> {
  const subject = await verifyTokenSubject(token, keys);
  if (subject.kind === 'person') throw new UnauthenticatedError('this token acts in no role: select a role (POST /api/v1/auth/refresh {roleId})');
  return subject;
}

/** The oldest token accepted (its iat), seconds: 400 days. */
const MAX_TOKEN_AGE_SECONDS = 400 * 86400;

/** Tokens remembered as verified per key set (bounded; the oldest is dropped). */
const VERIFIED_TOKENS_MAX = 10_000;

/** A token whose signature and claims were verified: what it says, the key that verified it and until when it is valid. */
interface Verified {
  subject: TokenSubject;
  kid: string;
  key: KeyObject;
  /** Expiry (exp, or iat + 400 days if earlier), ms since the epoch. */
  validUntilMs: number;
}

const verifiedTokens = new WeakMap<VerificationKeys, Map<string, Verified>>();

/**
 * The token verified earlier with `keys`, when it is still valid and its key is still the one `keys`
 * gives for its kid (a retired or rotated key misses, and the token is verified again); else undefined.
 * A client sends the same token with every request: this spares the Ed25519 verification (about 10 % of
 * the gateway's and 7 % of intake's CPU per submission, issue 13 profile) in every process it passes.
 */
async function rememberedToken(token: string, keys: VerificationKeys): Promise<TokenSubject | undefined> {
  const cache = verifiedTokens.get(keys);
  const hit = cache?.get(token);
  if (!cache || !hit) return undefined;
  // A failing key lookup is a miss: the full verification below reports it as before.
  if (Date.now() >= hit.validUntilMs || await keys.key(hit.kid).catch(() => undefined) !== hit.key) {
    cache.delete(token);
    return undefined;
  }
  return { ...hit.subject };
}

function remember(token: string, keys: VerificationKeys, verified: Verified): void {
  let cache = verifiedTokens.get(keys);
  if (!cache) verifiedTokens.set(keys, cache = new Map<string, Verified>());
  cache.set(token, verified);
  if (cache.size > VERIFIED_TOKENS_MAX) cache.delete(cache.keys().next().value as string);
}

/**
 * As verifyToken, but also accepts a person token without a ticket role (identity's own methods: me,
 * password change, the staff directory). A token verified before with the same `keys` is answered from
 * memory while it is valid and its kid still resolves to the same key (see rememberedToken).
 */
export async function verifyTokenSubject(token: string, keys: VerificationKeys): Promise<TokenSubject> {
  // What the key lookup threw (kept whole: jose wraps errors thrown by the key function).
  let keyFailure: { error: unknown } | undefined;
  try {
    const remembered = await rememberedToken(token, keys);
    if (remembered) return remembered;
    let used: { kid: string; key: KeyObject } | undefined;
    const { payload } = await jwtVerify(token, async (header) => {
      if (typeof header.kid !== 'string') throw new UnknownKeyError('token has no key id');
      let key;
      try {
        key = await keys.key(header.kid);
      } catch (err) {
        keyFailure = { error: err };
        throw err;
      }
      if (!key) throw new UnknownKeyError(`unknown signing key ${header.kid}`);
      used = { kid: header.kid, key };
      return key;
    }, { issuer: TOKEN_ISSUER, algorithms: ['EdDSA'], requiredClaims: ['exp', 'iat'], maxTokenAge: MAX_TOKEN_AGE_SECONDS });
    const subject = subjectOf(payload);
    if (used) {
      const validUntilMs = Math.min(payload.exp!, payload.iat! + MAX_TOKEN_AGE_SECONDS) * 1000;
      remember(token, keys, { subject: { ...subject }, ...used, validUntilMs });
    }
    return subject;
  } catch (err) {
    if (keyFailure) throw keyFailure.error;
    if (err instanceof UnauthenticatedError) throw err;
    if (err instanceof UnknownKeyError) throw new UnauthenticatedError(err.message, { cause: err });
    const reason = err instanceof errors.JWTExpired ? 'token expired' : 'invalid token';
    throw new UnauthenticatedError(reason, { cause: err });
  }
}

/** The subject of a verified token's claims. @throws UnauthenticatedError when they name none we know. */
function subjectOf(payload: JWTPayload): TokenSubject {
  const id = payload.sub;
  const kind = payload['kind'];
  if (!id || typeof kind !== 'string') throw new UnauthenticatedError('token lacks subject or kind');
  switch (kind) {
    case 'citizen':
      return { kind, id };
    case 'open311':
      return { kind, id, ...(typeof payload['deviceId'] === 'string' ? { deviceId: payload['deviceId'] } : {}) };
    case 'system':
      return { kind, id };
    case 'person':
      return { kind, id } satisfies PersonPrincipal;
    case 'staff': {
      const { role, unitId, division, department } = payload as Record<string, unknown>;
      if (typeof role !== 'string' || typeof unitId !== 'string' || typeof division !== 'string') {
        throw new UnauthenticatedError('staff token lacks role, unit or division');
      }
      if (!(STAFF_ROLES as readonly string[]).includes(role)) throw new UnauthenticatedError(`unknown staff role ${role}`);
      return {
        kind, id, role: role as never, unitId, division,
        ...(typeof department === 'string' ? { department } : {}),
      };
    }
    default:
      throw new UnauthenticatedError(`unknown principal kind ${kind}`);
  }
}

/** Extracts the token from an `Authorization: Bearer <token>` value; undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
