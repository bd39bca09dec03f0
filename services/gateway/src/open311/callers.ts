import { type GatewayContext, issueToken } from '../context';
import { unaryCall } from '../grpc-clients';
import { open311Errors } from './errors';

/**
 * Who an Open311 request acts as. The services trust signed tokens only, so after intake has checked a
 * request's api_key (VerifyApiKey) the gateway has identity sign (IssueToken) a short-lived token for the client application
 * (`{kind: 'open311', id: <application>, deviceId?}`) and calls with it; GET requests, which need no
 * key, act as the client `public` (a name the apikey tool refuses to issue). The gateway never uses a
 * system token for Open311.
 */

/** Lifetime of the token of one Open311 request, seconds. */
const CLIENT_TOKEN_TTL_SECONDS = 60;

/** Lifetime of the cached token of anonymous reads, seconds (renewed a minute before it expires). */
const PUBLIC_TOKEN_TTL_SECONDS = 300;

/** The client id of anonymous Open311 reads. */
const PUBLIC_CLIENT_ID = 'public';

/** Issues the tokens Open311 requests act with. */
export class Open311Callers {
  private cachedPublic: { token: string; renewAt: number } | undefined;

  /** `gateway`: the upstream clients, the call deadline and the real clock (tokens never follow the test clock). */
  constructor(private readonly gateway: GatewayContext) {}

  /**
   * The client application of an api_key.
   * @throws Open311Error 403 when the key is missing, unknown or revoked.
   */
  async clientOf(apiKey: string | undefined, correlationId: string): Promise<string> {
    if (!apiKey) throw open311Errors.forbidden('api_key is required');
    const { clients, callTimeoutMs } = this.gateway;
    const res = await unaryCall(clients.intake, clients.intake.verifyApiKey, { apiKey }, { correlationId }, callTimeoutMs);
    if (!res.valid || !res.clientId) throw open311Errors.forbidden('invalid api_key');
    return res.clientId;
  }

  /** A token acting as a client application (and its device, when given), valid for a minute. */
  clientToken(clientId: string, correlationId: string, deviceId?: string): Promise<string> {
    return issueToken(this.gateway, { kind: 'open311', subject: clientId, deviceId: deviceId ?? '', ttlSeconds: CLIENT_TOKEN_TTL_SECONDS }, correlationId);
  }

  /** The token of anonymous reads (cached). */
  async publicToken(correlationId: string): Promise<string> {
    const now = this.gateway.clock.now();
    if (!this.cachedPublic || now.getTime() >= this.cachedPublic.renewAt) {
      const token = await issueToken(this.gateway, { kind: 'open311', subject: PUBLIC_CLIENT_ID, ttlSeconds: PUBLIC_TOKEN_TTL_SECONDS }, correlationId);
      this.cachedPublic = { token, renewAt: now.getTime() + (PUBLIC_TOKEN_TTL_SECONDS - 60) * 1000 };
    }
    return this.cachedPublic.token;
  }
}
