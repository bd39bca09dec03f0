import { bearerToken, verifyToken, type Principal } from '@tongban/auth';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { problems } from './problem';

/** The authenticated caller of a request: the verified principal and the raw token to forward. */
export interface Caller {
  principal: Principal;
  token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook when the request carried a valid bearer token. */
    caller: Caller | null;
  }
}

/**
 * Verifies the request's `Authorization: Bearer` token, if any.
 * @returns the caller, or null when there is no Authorization header.
 * @throws HttpProblem 401 invalid_token when a header is present but malformed, expired or not ours.
 */
export async function authenticate(request: FastifyRequest, key: Uint8Array): Promise<Caller | null> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return null;
  const token = bearerToken(header);
  if (!token) throw problems.invalidToken('the Authorization header must be "Bearer <token>"');
  let principal: Principal;
  try {
    principal = await verifyToken(token, key);
  } catch (err) {
    throw problems.invalidToken(err instanceof Error ? err.message : 'invalid token', err);
  }
  // Clients hold staff or device tokens. System and Open311 tokens are minted inside the platform
  // (the latter by this gateway after an api_key check) and are never accepted from outside.
  if (principal.kind !== 'staff' && principal.kind !== 'citizen') {
    throw problems.invalidToken(`a ${principal.kind} token cannot be used here`);
  }
  return { principal, token };
}

/**
 * onRequest hooks that authenticate before the body is read or validated, so that a request without a
 * token is answered 401 before anything else happens. The gateway only authenticates; what a principal
 * may do is decided by the services (403 comes from them).
 */
export function authHooks(key: Uint8Array): { required: onRequestAsyncHookHandler; optional: onRequestAsyncHookHandler } {
  return {
    /** A valid token is required (every write, every ticket read, the inbox). */
    async required(request) {
      const caller = await authenticate(request, key);
      if (!caller) throw problems.unauthenticated();
      request.caller = caller;
    },
    /** A token is optional, but when present it must be valid (public reference data). */
    async optional(request) {
      request.caller = await authenticate(request, key);
    },
  };
}

/**
 * The caller of a route behind the `required` hook.
 * @throws HttpProblem 401 when the hook did not run (a wiring mistake, never a client error).
 */
export function requireCaller(request: FastifyRequest): Caller {
  if (!request.caller) throw problems.unauthenticated();
  return request.caller;
}
