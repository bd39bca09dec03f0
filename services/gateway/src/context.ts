import type { VerificationKeys } from '@tongban/auth';
import type { Clock } from '@tongban/domain';
import type { identity } from '@tongban/contracts';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { requireCaller } from './auth';
import { type CallContext, type GrpcClients, unaryCall } from './grpc-clients';
import { problems } from './problem';

/** What the route modules share: the upstream clients, the token key and the clock. */
export interface GatewayContext {
  clients: GrpcClients;
  /** Public keys that verify tokens (identity's, fetched and cached). */
  keys: VerificationKeys;
  /** Real time, for issuing tokens (tokens are never subject to the test clock). */
  clock: Clock;
  /**
   * The platform's time, for every time-dependent default of a request (e.g. Open311's date windows):
   * the test clock when it is on (TONGBAN_TEST_CLOCK=1), else `clock`.
   */
  platformClock: Clock;
  /** Deadline of one upstream call, ms. */
  callTimeoutMs: number;
  /** Authentication hooks (see auth.ts). */
  auth: { required: onRequestAsyncHookHandler; optional: onRequestAsyncHookHandler; person: onRequestAsyncHookHandler; anyone: onRequestAsyncHookHandler };
}

/**
 * A device or Open311 client token, signed by identity (IssueToken): the gateway holds no signing key.
 * @throws ServiceError of identity (UNAVAILABLE → 503).
 */
export async function issueToken(ctx: GatewayContext, request: Partial<identity.IssueTokenRequest> & Pick<identity.IssueTokenRequest, 'kind' | 'subject'>, correlationId: string): Promise<string> {
  const { clients } = ctx;
  const res = await unaryCall(clients.identity, clients.identity.issueToken, { deviceId: '', ttlSeconds: 0, ...request }, { correlationId }, ctx.callTimeoutMs);
  return res.token;
}

/** The call context of an authenticated request: its token and correlation id. */
export function callContext(request: FastifyRequest): CallContext {
  return { token: requireCaller(request).token, correlationId: request.id };
}

/**
 * Parses a JSON document returned by a service (query views are JSON strings).
 * @throws HttpProblem 502 bad_upstream_response when it is not JSON.
 */
export function parseUpstreamJson(raw: string, what: string): unknown {
  try {
    return JSON.parse(raw === '' ? 'null' : raw) as unknown;
  } catch (err) {
    throw problems.badUpstream(`the ${what} returned by the service is not JSON`, err);
  }
}

/** A JSON value as a response object: objects as they are, anything else under `key` (`{ tickets: [...] }`). */
export function asObject(value: unknown, key: string): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : { [key]: value ?? [] };
}
