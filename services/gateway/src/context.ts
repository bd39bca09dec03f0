import type { Clock } from '@tongban/domain';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { requireCaller } from './auth';
import type { CallContext, GrpcClients } from './grpc-clients';
import { problems } from './problem';

/** What the route modules share: the upstream clients, the token key and the clock. */
export interface GatewayContext {
  clients: GrpcClients;
  /** HS256 key of tokens (from TONGBAN_JWT_SECRET). */
  key: Uint8Array;
  /** Real time, for issuing tokens (tokens are never subject to the test clock). */
  clock: Clock;
  /** Deadline of one upstream call, ms. */
  callTimeoutMs: number;
  /** Authentication hooks (see auth.ts). */
  auth: { required: onRequestAsyncHookHandler; optional: onRequestAsyncHookHandler };
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
