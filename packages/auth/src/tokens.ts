import { SignJWT, jwtVerify, errors } from 'jose';
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

/**
 * As verifyToken, but also accepts a person token without a ticket role (identity's own methods: me,
 * password change, the staff directory).
 */
export async function verifyTokenSubject(token: string, keys: VerificationKeys): Promise<TokenSubject> {
  // What the key lookup threw (kept whole: jose wraps errors thrown by the key function).
  let keyFailure: { error: unknown } | undefined;
  try {
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
      return key;
    }, { issuer: TOKEN_ISSUER, algorithms: ['EdDSA'], requiredClaims: ['exp', 'iat'], maxTokenAge: '400d' });
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
  } catch (err) {
    if (keyFailure) throw keyFailure.error;
    if (err instanceof UnauthenticatedError) throw err;
    if (err instanceof UnknownKeyError) throw new UnauthenticatedError(err.message, { cause: err });
    const reason = err instanceof errors.JWTExpired ? 'token expired' : 'invalid token';
    throw new UnauthenticatedError(reason, { cause: err });
  }
}

/** Extracts the token from an `Authorization: Bearer <token>` value; undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
