import { signToken } from '@tongban/auth';
import type { Clock } from '@tongban/domain';
import { type GrpcClients, unaryCall } from '../grpc-clients';
import { open311Errors } from './errors';

/**
 * Who an Open311 request acts as. The services trust signed tokens only, so after intake has checked a
 * request's api_key (VerifyApiKey) the gateway signs a short-lived token for the client application
 * (`{kind: 'open311', id: <application>, deviceId?}`) and calls with it; GET requests, which need no
 * key, act as the client `public` (a name the apikey tool refuses to issue). The gateway never uses a
 * system token for Open311.
 */

/** Lifetime of the token of one Open311 request, seconds. */
export const CLIENT_TOKEN_TTL_SECONDS = 60;

/** Lifetime of the cached token of anonymous reads, seconds (renewed a minute before it expires). */
export const PUBLIC_TOKEN_TTL_SECONDS = 300;

/** The client id of anonymous Open311 reads. */
export const PUBLIC_CLIENT_ID = 'public';

/** Issues the tokens Open311 requests act with. */
export class Open311Callers {
  private cachedPublic: { token: string; renewAt: number } | undefined;

  constructor(
    private readonly deps: { clients: GrpcClients; key: Uint8Array; clock: Clock; callTimeoutMs: number },
  ) {}

  /**
   * The client application of an api_key.
   * @throws Open311Error 403 when the key is missing, unknown or revoked.
   */
  async clientOf(apiKey: string | undefined, correlationId: string): Promise<string> {
    if (!apiKey) throw open311Errors.forbidden('api_key is required');
    const { clients, callTimeoutMs } = this.deps;
    const res = await unaryCall(clients.intake, clients.intake.verifyApiKey, { apiKey }, { correlationId }, callTimeoutMs);
    if (!res.valid || !res.clientId) throw open311Errors.forbidden('invalid api_key');
    return res.clientId;
  }

  /** A token acting as a client application (and its device, when given), valid for a minute. */
  clientToken(clientId: string, deviceId?: string): Promise<string> {
    return signToken({ kind: 'open311', id: clientId, ...(deviceId ? { deviceId } : {}) }, this.deps.key, this.deps.clock.now(), CLIENT_TOKEN_TTL_SECONDS);
  }

  /** The token of anonymous reads (cached). */
  async publicToken(): Promise<string> {
    const now = this.deps.clock.now();
    if (!this.cachedPublic || now.getTime() >= this.cachedPublic.renewAt) {
      const token = await signToken({ kind: 'open311', id: PUBLIC_CLIENT_ID }, this.deps.key, now, PUBLIC_TOKEN_TTL_SECONDS);
      this.cachedPublic = { token, renewAt: now.getTime() + (PUBLIC_TOKEN_TTL_SECONDS - 60) * 1000 };
    }
    return this.cachedPublic.token;
  }
}
