import { status } from '@grpc/grpc-js';
import type { identity } from '@tongban/contracts';
import { ConfigError, ServiceFailure, fail } from '@tongban/runtime';
import type * as OpenId from 'openid-client';
import { CredentialError, type Sessions } from './sessions';
import type { StaffRepository } from './staff-store';

/** The OpenID Connect settings (README, settings table). Issuer, client id and redirect URL together, or none. */
export interface OidcSettings {
  /** TONGBAN_OIDC_ISSUER: the IdP's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  /** TONGBAN_OIDC_CLIENT_ID */
  clientId: string;
  /** TONGBAN_OIDC_CLIENT_SECRET (client_secret_basic); empty: a public client (PKCE only). */
  clientSecret: string;
  /** TONGBAN_OIDC_REDIRECT_URL: the gateway's `/api/v1/auth/oidc/callback` as the browser reaches it. */
  redirectUrl: string;
}

/**
 * The OIDC settings from the environment; undefined when TONGBAN_OIDC_ISSUER is unset (OIDC off).
 * @throws ConfigError when the issuer is set but the client id or redirect URL is missing or not a URL.
 */
export function oidcSettings(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = env['TONGBAN_OIDC_ISSUER']?.trim();
  if (!issuer) return undefined;
  const clientId = env['TONGBAN_OIDC_CLIENT_ID']?.trim() ?? '';
  const redirectUrl = env['TONGBAN_OIDC_REDIRECT_URL']?.trim() ?? '';
  if (!clientId) throw new ConfigError('TONGBAN_OIDC_ISSUER is set but TONGBAN_OIDC_CLIENT_ID is not');
  if (!redirectUrl) throw new ConfigError('TONGBAN_OIDC_ISSUER is set but TONGBAN_OIDC_REDIRECT_URL is not');
  for (const [name, value] of [['TONGBAN_OIDC_ISSUER', issuer], ['TONGBAN_OIDC_REDIRECT_URL', redirectUrl]] as const) {
    if (!URL.canParse(value)) throw new ConfigError(`${name} must be an absolute URL (got ${JSON.stringify(value)})`);
  }
  return { issuer, clientId, clientSecret: env['TONGBAN_OIDC_CLIENT_SECRET'] ?? '', redirectUrl };
}

const notConfigured = () => fail.notFound('oidc_not_configured', 'single sign-on (OpenID Connect) is not configured: TONGBAN_OIDC_ISSUER is unset');

/** Plain HTTP only for an IdP on this machine (tests, development); anything else must be HTTPS. */
const loopbackHttp = (url: string) => /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/.test(url);

/**
 * OpenID Connect sign-in for staff with `openid-client`: authorization code flow with PKCE (S256),
 * state and nonce. The IdP's subject signs in the staff account a directory-admin linked to it
 * (POST /api/v1/staff/{id}/oidc); an unknown subject is refused, never created.
 */
export class Oidc {
  private config?: Promise<OpenId.Configuration>;
  private lib?: Promise<typeof OpenId>;

  constructor(private readonly deps: { settings: OidcSettings | undefined; staff: StaffRepository; sessions: Sessions; now: () => Date }) {}

  /** The configured issuer, if OIDC is on (the default issuer of a link). */
  get issuer(): string | undefined {
    return this.deps.settings?.issuer;
  }

  // openid-client is ESM-only: loaded on first use (require(esm) / import() in the real process).
  private client(): Promise<typeof OpenId> {
    this.lib ??= import('openid-client');
    return this.lib;
  }

  /** Discovery, cached; retried on the next sign-in after a failure (the IdP may start after identity). */
  private configuration(settings: OidcSettings): Promise<OpenId.Configuration> {
    this.config ??= (async () => {
      const lib = await this.client();
      const auth = settings.clientSecret ? lib.ClientSecretBasic(settings.clientSecret) : lib.None();
      return lib.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret || undefined, auth,
        loopbackHttp(settings.issuer) ? { execute: [lib.allowInsecureRequests] } : undefined);
    })();
    this.config.catch(() => { this.config = undefined; });
    return this.config;
  }

  /** @throws UNAVAILABLE oidc_unavailable when the IdP's discovery document cannot be read. */
  private discovered(settings: OidcSettings): Promise<OpenId.Configuration> {
    return this.configuration(settings).catch((err: unknown) => {
      throw new ServiceFailure(status.UNAVAILABLE, 'oidc_unavailable', `the identity provider cannot be reached: ${(err as Error).message}`);
    });
  }

  /** The authorization URL and the values to keep until the callback. @throws NOT_FOUND oidc_not_configured. */
  async start(): Promise<identity.OidcStartResponse> {
    const settings = this.deps.settings;
    if (!settings) throw notConfigured();
    const lib = await this.client();
    const config = await this.discovered(settings);
    const codeVerifier = lib.randomPKCECodeVerifier();
    const state = lib.randomState();
    const nonce = lib.randomNonce();
    const url = lib.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUrl, scope: 'openid', state, nonce,
      code_challenge: await lib.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.href, state, codeVerifier, nonce };
  }

  /**
   * Exchanges the code and signs in the linked account.
   * @throws NOT_FOUND oidc_not_configured; CredentialError oidc_failed (IdP error, state/nonce/PKCE
   *   mismatch, invalid ID token) or oidc_not_linked (no account linked to the subject, or disabled).
   */
  async callback(req: identity.OidcCallbackRequest): Promise<identity.Session> {
    const settings = this.deps.settings;
    if (!settings) throw notConfigured();
    const lib = await this.client();
    const config = await this.discovered(settings);
    const now = this.deps.now();
    const ip = req.clientIp || 'unknown';
    if (!req.state || !req.codeVerifier) throw new CredentialError('oidc_failed', 'no sign-in in progress (the state cookie is missing or expired): start again');
    const current = new URL(settings.redirectUrl);
    current.search = req.query;
    let issuer: string;
    let subject: string;
    try {
      const tokens = await lib.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: req.codeVerifier, expectedState: req.state, expectedNonce: req.nonce, idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token');
      issuer = claims.iss;
      subject = claims.sub;
    } catch (err) {
      await this.deps.sessions.log(now, '', undefined, ip, req.userAgent, 'oidc', 'failed');
      throw new CredentialError('oidc_failed', `single sign-on failed: ${(err as Error).message}`);
    }
    const state = await this.deps.staff.byOidc(issuer, subject);
    if (!state || state.disabled) {
      await this.deps.sessions.log(now, `oidc:${subject}`, state?.id, ip, req.userAgent, 'oidc', state ? 'disabled' : 'not_linked');
      throw new CredentialError('oidc_not_linked', 'no staff account is linked to this single sign-on identity: ask a directory-admin to link it');
    }
    await this.deps.sessions.log(now, state.username, state.id, ip, req.userAgent, 'oidc', 'success');
    return this.deps.sessions.startSession(state, '', now, 'oidc');
  }
}
