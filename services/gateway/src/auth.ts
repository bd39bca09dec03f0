import { UnauthenticatedError, bearerToken, verifyTokenSubject, type Principal, type TokenSubject, type VerificationKeys } from '@tongban/auth';
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
 * @throws HttpProblem 401 invalid_token when a header is present but malformed, expired or not ours;
 *   403 role_required for a person token (signed in, no ticket role chosen); identity's gRPC error (503) when its keys cannot be fetched.
 */
async function authenticate(request: FastifyRequest, keys: VerificationKeys): Promise<Caller | null> {
  // Clients hold staff or device tokens. System and Open311 tokens are minted inside the platform
  // (the latter by this gateway after an api_key check) and are never accepted from outside.
  // Only staff and citizen subjects pass verifiedCaller here (a person token is refused 403), so the
  // subject is a Principal.
  return await verifiedCaller(request, (token) => verifyTokenSubject(token, keys), ['staff', 'citizen']) as Caller | null;
}

/**
 * The bearer token of the request verified by `verify`, its subject of one of `kinds`; null when there is
 * no Authorization header. Errors as {@link authenticate}.
 */
async function verifiedCaller<S extends TokenSubject>(
  request: FastifyRequest, verify: (token: string) => Promise<S>, kinds: readonly S['kind'][],
): Promise<{ principal: S; token: string } | null> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return null;
  const token = bearerToken(header);
  if (!token) throw problems.invalidToken('the Authorization header must be "Bearer <token>"');
  let principal: S;
  try {
    principal = await verify(token);
  } catch (err) {
    if (!(err instanceof UnauthenticatedError)) throw err;
    throw problems.invalidToken(err.message, err);
  }
  if (!kinds.includes(principal.kind)) {
    // A person token is valid, it only acts in no ticket role yet: 403, so a client does not sign out.
    if (principal.kind === 'person') throw problems.roleRequired();
    throw problems.invalidToken(`a ${principal.kind} token cannot be used here`);
  }
  return { principal, token };
}

/**
 * onRequest hooks that authenticate before the body is read or validated, so that a request without a
 * token is answered 401 before anything else happens. The gateway only authenticates; what a principal
 * may do is decided by the services (403 comes from them).
 */
export function authHooks(keys: VerificationKeys): {
  required: onRequestAsyncHookHandler; optional: onRequestAsyncHookHandler; person: onRequestAsyncHookHandler; anyone: onRequestAsyncHookHandler;
} {
  return {
    /**
     * Any signed-in caller, a person without a ticket role included (erasing a reporter: supervisors and
     * directory-admins may; the service answers everyone else 403, so a citizen's token is not a 401).
     */
    async anyone(request) {
      const caller = await verifiedCaller(request, (token) => verifyTokenSubject(token, keys), ['staff', 'person', 'citizen']);
      if (!caller) throw problems.unauthenticated();
      request.caller = caller as Caller;
    },
    /**
     * A signed-in person, in a role or not (identity's routes: me, password, staff directory): a staff
     * token, or a person token (no ticket role, or a one-time password still to change).
     */
    async person(request) {
      const caller = await verifiedCaller(request, (token) => verifyTokenSubject(token, keys), ['staff', 'person']);
      if (!caller) throw problems.unauthenticated();
      request.caller = caller as Caller;
    },
    /** A valid token is required (every write, every ticket read, the inbox). */
    async required(request) {
      const caller = await authenticate(request, keys);
      if (!caller) throw problems.unauthenticated();
      request.caller = caller;
    },
    /** A token is optional, but when present it must be valid (public reference data). */
    async optional(request) {
      request.caller = await authenticate(request, keys);
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
