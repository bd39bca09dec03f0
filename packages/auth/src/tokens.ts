import { SignJWT, jwtVerify, errors } from 'jose';
import { STAFF_ROLES } from '@tongban/domain';
import type { Principal } from './principal';

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

/** The signing key (HS256) from configuration; at least 32 bytes. */
export function signingKey(secret: string): Uint8Array {
  const key = new TextEncoder().encode(secret);
  if (key.length < 32) throw new Error('TONGBAN_JWT_SECRET must be at least 32 bytes');
  return key;
}

/**
 * Signs a token for a principal. `ttlSeconds` defaults to 12 h for staff, 365 days for devices.
 * `now` (UTC) is the issuing time (from the injected clock).
 */
export async function signToken(principal: Principal, key: Uint8Array, now: Date, ttlSeconds?: number): Promise<string> {
  const ttl = ttlSeconds ?? (principal.kind === 'staff' ? 12 * 3600 : 365 * 86400);
  const iat = Math.floor(now.getTime() / 1000);
  const { id, ...claims } = principal;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(id)
    .setIssuer(TOKEN_ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key);
}

/**
 * Verifies a token and returns its principal. Expiry is checked against real time (tokens are not
 * subject to the test clock).
 * @throws UnauthenticatedError when the token is invalid or expired.
 */
export async function verifyToken(token: string, key: Uint8Array): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, key, { issuer: TOKEN_ISSUER, algorithms: ['HS256'], requiredClaims: ['exp', 'iat'], maxTokenAge: '400d' });
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
    if (err instanceof UnauthenticatedError) throw err;
    const reason = err instanceof errors.JWTExpired ? 'token expired' : 'invalid token';
    throw new UnauthenticatedError(reason, { cause: err });
  }
}

/** Extracts the token from an `Authorization: Bearer <token>` value; undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
