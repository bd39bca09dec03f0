import type { identity } from '@tongban/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callContext, parseUpstreamJson, type GatewayContext } from '../context';
import { unaryCall } from '../grpc-clients';
import { OPTIONAL_BODY, emptyBodyAsObject } from '../docs';
import { problems } from '../problem';
import { bearerSecurity, problemResponses } from '../schemas';

/**
 * Staff sign-in and the staff directory, answered by the identity service:
 * POST /api/v1/auth/login | refresh | logout | password, GET /api/v1/me, and /api/v1/staff… for
 * directory-admins. The refresh token travels only in the cookie `tongban_refresh` (HttpOnly,
 * SameSite=Strict, Path=/api/v1/auth, Secure except when the request came to a loopback host).
 * Role selection: each access token is scoped to one role (`roleId` at login, or switch with
 * POST /api/v1/auth/refresh {roleId}).
 */

/** Name of the refresh-token cookie. */
const REFRESH_COOKIE = 'tongban_refresh';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** A Set-Cookie value: HttpOnly, Secure except when the request came to a loopback host. */
function setCookie(request: FastifyRequest, name: string, value: string, attributes: { path: string; sameSite: 'Strict' | 'Lax'; maxAgeSeconds: number }): string {
  const host = (request.hostname || '').replace(/:\d+$/, '');
  const secure = LOOPBACK.test(host) ? '' : '; Secure';
  return `${name}=${value}; Path=${attributes.path}; HttpOnly; SameSite=${attributes.sameSite}; Max-Age=${attributes.maxAgeSeconds}${secure}`;
}

function refreshCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  return setCookie(request, REFRESH_COOKIE, value, { path: '/api/v1/auth', sameSite: 'Strict', maxAgeSeconds });
}

/** The refresh token from the request's Cookie header, if any. */
function refreshTokenOf(request: FastifyRequest): string | undefined {
  return cookieOf(request, REFRESH_COOKIE);
}

const roleSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    roleId: { type: 'string' }, role: { type: 'string' }, unitId: { type: 'string' }, unitName: { type: 'string' },
    division: { type: 'string' }, department: { type: 'string' }, actsOnTickets: { type: 'boolean' },
    jurisdiction: { type: 'object', properties: { division: { type: 'string' }, name: { type: 'string' } } },
  },
};

const meSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'string' }, username: { type: 'string' }, displayName: { type: 'string' }, division: { type: 'string' },
    disabled: { type: 'boolean' }, passwordChangeRequired: { type: 'boolean' }, roles: { type: 'array', items: roleSchema },
  },
  examples: [{
    id: '0193c7a0-5d1e-7c2a-9f00-3b1d2e4f5a6b', username: 'wang.li', displayName: '王丽', division: '513437100',
    disabled: false, passwordChangeRequired: false,
    roles: [{ roleId: '3f1c…', role: 'admin', unitId: 'adm-513437100', unitName: '锦城镇', division: '513437100', actsOnTickets: true, jurisdiction: { division: '513437100', name: '锦城镇' } }],
  }],
};

const sessionSchema = {
  type: 'object',
  required: ['accessToken', 'expiresIn', 'tokenType'],
  properties: {
    accessToken: { type: 'string', description: 'Bearer token (EdDSA JWT) scoped to `roleId`; a person token without a role when roleId is empty.' },
    tokenType: { type: 'string', enum: ['Bearer'] },
    expiresIn: { type: 'integer', description: 'Seconds (900).' },
    roleId: { type: 'string', description: 'The role the token acts in; empty: none (no ticket role, or the password must be changed first).' },
    me: meSchema,
  },
  examples: [{ accessToken: 'eyJhbGciOiJFZERTQSIsImtpZCI6…', tokenType: 'Bearer', expiresIn: 900, roleId: '3f1c…', me: meSchema.examples[0] }],
};

const credentialsBody = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 100 },
    password: { type: 'string', minLength: 1, maxLength: 256 },
    roleId: { type: 'string', maxLength: 100, description: 'Act in this role (one of the person’s); default: their first ticket role.' },
  },
  examples: [{ username: 'wang.li', password: 'correct horse battery staple' }],
};

function sendSession(request: FastifyRequest, reply: FastifyReply, session: identity.Session | undefined): FastifyReply {
  if (!session) throw problems.badUpstream('identity answered no session');
  void reply.header('set-cookie', refreshCookie(request, session.refreshToken, session.refreshExpiresIn)).header('cache-control', 'no-store');
  return reply.send({
    accessToken: session.accessToken, tokenType: 'Bearer', expiresIn: session.expiresIn, roleId: session.roleId,
    me: parseUpstreamJson(session.meJson, 'person'),
  });
}

const clientIp = (request: FastifyRequest) => request.ip;
const userAgent = (request: FastifyRequest) => String(request.headers['user-agent'] ?? '').slice(0, 300);

/** Registers the sign-in routes and the staff directory. */
export function registerIdentityRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { clients } = ctx;
  const anonymous = (request: FastifyRequest) => ({ correlationId: request.id });

  app.post<{ Body: { username: string; password: string; roleId?: string } }>('/api/v1/auth/login', {
    schema: {
      tags: ['auth'],
      summary: 'Sign in with username and password (staff)',
      description: 'Answers an access token (15 min) and sets the refresh token as an HttpOnly cookie. A wrong password, an unknown user '
        + 'and a disabled account get the same 401 `invalid_credentials`. Repeated failures are throttled per account and per address '
        + '(429 `too_many_attempts` with Retry-After; 10 failures lock the account for 15 minutes).',
      body: credentialsBody,
      response: { 200: sessionSchema, ...problemResponses(400, 401, 415, 429, 503) },
    },
  }, async (request, reply) => {
    const { username, password, roleId } = request.body;
    const res = await unaryCall(clients.identity, clients.identity.login, {
      username, password, roleId: roleId ?? '', clientIp: clientIp(request), userAgent: userAgent(request),
    }, anonymous(request), ctx.callTimeoutMs);
    return sendSession(request, reply, res.session);
  });

  app.post<{ Body: { roleId?: string } }>('/api/v1/auth/refresh', {
    preValidation: emptyBodyAsObject,
    schema: {
      tags: ['auth'],
      ...{ [OPTIONAL_BODY]: true },
      summary: 'Rotate the refresh token (cookie) for a new access token; optionally switch role',
      description: 'Each refresh token works once: the answer sets a new one. Presenting a used one again revokes every token of that '
        + 'sign-in (401 `refresh_token_reused`). The account is read again: a disabled account or a revoked role takes effect here.',
      body: { type: 'object', additionalProperties: false, properties: { roleId: { type: 'string', maxLength: 100 } }, examples: [{ roleId: '3f1c…' }] },
      response: { 200: sessionSchema, ...problemResponses(400, 401, 415, 503) },
    },
  }, async (request, reply) => {
    const refreshToken = refreshTokenOf(request);
    if (!refreshToken) throw problems.unauthenticated(`no refresh token: the ${REFRESH_COOKIE} cookie is missing; sign in`);
    const res = await unaryCall(clients.identity, clients.identity.refresh, {
      refreshToken, roleId: request.body?.roleId ?? '', clientIp: clientIp(request),
    }, anonymous(request), ctx.callTimeoutMs);
    return sendSession(request, reply, res.session);
  });

  app.post('/api/v1/auth/logout', {
    preValidation: emptyBodyAsObject,
    schema: {
      tags: ['auth'],
      ...{ [OPTIONAL_BODY]: true },
      summary: 'Sign out: revoke the refresh token (cookie) and its family',
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: { 204: { type: 'null', description: 'Signed out (also when there was nothing to revoke).' }, ...problemResponses(415, 503) },
    },
  }, async (request, reply) => {
    const refreshToken = refreshTokenOf(request);
    if (refreshToken) await unaryCall(clients.identity, clients.identity.logout, { refreshToken }, anonymous(request), ctx.callTimeoutMs);
    return reply.code(204).header('set-cookie', refreshCookie(request, '', 0)).send();
  });

  app.post<{ Body: { current: string; next: string } }>('/api/v1/auth/password', {
    onRequest: ctx.auth.person,
    schema: {
      tags: ['auth'],
      summary: 'Change your password',
      description: 'At least 10 characters, not a common password nor the username. Required after a one-time password '
        + '(then sign in again, or refresh, for a token acting in a role). Other sessions of the person are not revoked.',
      security: bearerSecurity,
      body: {
        type: 'object', required: ['current', 'next'], additionalProperties: false,
        properties: { current: { type: 'string', minLength: 1, maxLength: 256 }, next: { type: 'string', minLength: 1, maxLength: 256 } },
        examples: [{ current: 'k7Qm2xRf9TbWp4Lz', next: 'a long passphrase of my own' }],
      },
      response: { 204: { type: 'null', description: 'Changed.' }, ...problemResponses(400, 401, 415, 429, 503) },
    },
  }, async (request, reply) => {
    await unaryCall(clients.identity, clients.identity.changePassword, { ...request.body, clientIp: clientIp(request) }, callContext(request), ctx.callTimeoutMs);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', {
    onRequest: ctx.auth.person,
    schema: {
      tags: ['auth'],
      summary: 'The signed-in person: their roles with units and jurisdictions',
      security: bearerSecurity,
      response: { 200: meSchema, ...problemResponses(401, 404, 503) },
    },
  }, async (request, reply) => {
    const res = await unaryCall(clients.identity, clients.identity.getMe, {}, callContext(request), ctx.callTimeoutMs);
    return reply.header('cache-control', 'no-store').send(parseUpstreamJson(res.meJson, 'person'));
  });

  registerOidcRoutes(app, ctx);
  registerStaffRoutes(app, ctx);
}

/** Where the OIDC callback sends the browser: the console's sign-in page resumes the session from the refresh cookie. */
const CONSOLE_AFTER_SSO = '/console/sign-in?sso=1';

/** Name of the cookie that keeps an OIDC sign-in's state, PKCE verifier and nonce until the callback. */
const OIDC_COOKIE = 'tongban_oidc';
/** How long an OIDC sign-in may take at the IdP, seconds. */
const OIDC_COOKIE_MAX_AGE_SECONDS = 600;

function cookieOf(request: FastifyRequest, cookie: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === cookie) return rest.join('=') || undefined;
  }
  return undefined;
}

function oidcCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  // SameSite=Lax: the callback is a top-level navigation coming from the IdP's site.
  return setCookie(request, OIDC_COOKIE, value, { path: '/api/v1/auth/oidc', sameSite: 'Lax', maxAgeSeconds });
}

/**
 * Single sign-on (OpenID Connect, authorization code + PKCE), done by identity with `openid-client`:
 * GET /api/v1/auth/oidc/start redirects to the IdP and keeps state, PKCE verifier and nonce in the
 * HttpOnly cookie `tongban_oidc` (10 min); GET /api/v1/auth/oidc/callback signs in the staff account
 * linked to the IdP subject, sets the refresh cookie as password sign-in does and redirects to the console's
 * sign-in page, /console/sign-in?sso=1
 * (which gets its access token with POST /api/v1/auth/refresh). 404 `oidc_not_configured` when
 * TONGBAN_OIDC_ISSUER is unset.
 */
function registerOidcRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const { clients } = ctx;
  const redirect = { type: 'null', description: 'Redirect (Location header).' };
  app.get('/api/v1/auth/methods', {
    schema: {
      tags: ['auth'],
      summary: 'How staff sign in here: password, and single sign-on when configured',
      description: '`oidc: true` when single sign-on (OpenID Connect, TONGBAN_OIDC_*) is configured: the console then shows its button, '
        + 'which opens GET /api/v1/auth/oidc/start. No token needed.',
      response: {
        200: {
          type: 'object', required: ['password', 'oidc'],
          properties: { password: { type: 'boolean' }, oidc: { type: 'boolean' } },
          examples: [{ password: true, oidc: true }],
        },
        ...problemResponses(503),
      },
    },
  }, async (request, reply) => {
    const res = await unaryCall(clients.identity, clients.identity.getSignInMethods, {}, { correlationId: request.id }, ctx.callTimeoutMs);
    return reply.header('cache-control', 'no-store').send({ password: true, oidc: res.oidc });
  });

  app.get('/api/v1/auth/oidc/start', {
    schema: {
      tags: ['auth'],
      summary: 'Single sign-on: redirect to the OpenID Connect provider',
      description: 'Answers 302 to the IdP’s authorization endpoint (code flow, PKCE S256, state, nonce) and sets the HttpOnly cookie '
        + '`tongban_oidc` (10 min) that the callback needs. 404 `oidc_not_configured` when single sign-on is not configured.',
      response: { 302: redirect, ...problemResponses(404, 503) },
    },
  }, async (request, reply) => {
    const res = await unaryCall(clients.identity, clients.identity.oidcStart, {}, { correlationId: request.id }, ctx.callTimeoutMs);
    const kept = Buffer.from(JSON.stringify({ s: res.state, v: res.codeVerifier, n: res.nonce })).toString('base64url');
    return reply.code(302).header('set-cookie', oidcCookie(request, kept, OIDC_COOKIE_MAX_AGE_SECONDS))
      .header('cache-control', 'no-store').header('location', res.authorizationUrl).send();
  });

  app.get('/api/v1/auth/oidc/callback', {
    schema: {
      tags: ['auth'],
      summary: 'Single sign-on: the OpenID Connect provider redirects back here (the redirect URL, TONGBAN_OIDC_REDIRECT_URL)',
      description: 'Exchanges the code, signs in the staff account a directory-admin linked to the IdP subject (POST /api/v1/staff/{id}/oidc), '
        + 'sets the refresh cookie `tongban_refresh` and answers 302 to /console/sign-in?sso=1 (the console resumes the session from the cookie). 401 `oidc_failed` (the IdP refused, state or PKCE '
        + 'mismatch, no sign-in in progress) or `oidc_not_linked` (no account is linked: accounts are never created by single sign-on).',
      querystring: { type: 'object', additionalProperties: true, properties: { code: { type: 'string', maxLength: 2000 }, state: { type: 'string', maxLength: 500 } } },
      response: { 302: redirect, ...problemResponses(401, 404, 503) },
    },
  }, async (request, reply) => {
    let kept: { s?: unknown; v?: unknown; n?: unknown } = {};
    try {
      kept = JSON.parse(Buffer.from(cookieOf(request, OIDC_COOKIE) ?? '', 'base64url').toString('utf8') || '{}') as typeof kept;
    } catch { /* a garbled cookie: no sign-in in progress */ }
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const query = request.raw.url?.split('?')[1] ?? '';
    const res = await unaryCall(clients.identity, clients.identity.oidcCallback, {
      query, state: text(kept.s), codeVerifier: text(kept.v), nonce: text(kept.n), clientIp: clientIp(request), userAgent: userAgent(request),
    }, { correlationId: request.id }, ctx.callTimeoutMs);
    if (!res.session) throw problems.badUpstream('identity answered no session');
    return reply.code(302)
      .header('set-cookie', [refreshCookie(request, res.session.refreshToken, res.session.refreshExpiresIn), oidcCookie(request, '', 0)])
      .header('cache-control', 'no-store').header('location', CONSOLE_AFTER_SSO).send();
  });
}

const staffIdParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } };
const looseObject = { type: 'object', additionalProperties: true };

/** /api/v1/staff…: the staff directory (directory-admins, within their jurisdiction). */
function registerStaffRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const manage = async (request: FastifyRequest, action: string, staffId = '', roleId = '', body: unknown = {}) => {
    const res = await unaryCall(ctx.clients.identity, ctx.clients.identity.manageStaff, {
      action, staffId, roleId, bodyJson: JSON.stringify(body ?? {}),
    }, callContext(request), ctx.callTimeoutMs);
    return parseUpstreamJson(res.resultJson, 'staff directory');
  };
  const common = { tags: ['staff'], security: bearerSecurity };
  const errors = problemResponses(400, 401, 403, 404, 409, 415, 503);
  /** An OpenID Connect issuer: an http(s) URL (OpenID Connect Discovery 1.0 §2 asks https; http for a local IdP). */
  const oidcIssuer = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 500, description: 'The IdP’s issuer URL (http or https).' };

  app.get<{ Querystring: { division?: string; limit?: string; offset?: string } }>('/api/v1/staff', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'List staff accounts in your jurisdiction',
      querystring: { type: 'object', additionalProperties: false, properties: {
        division: { type: 'string', pattern: '^\\d{4,12}$' }, limit: { type: 'string', pattern: '^([1-9]\\d?|[1-4]\\d\\d|500)$', description: 'Accounts per page, 1–500 (default 100).' },
        offset: { type: 'string', pattern: '^\\d{1,6}$', description: 'Accounts to skip, 0–999999 (default 0).' },
      } },
      response: { 200: { type: 'object', properties: { staff: { type: 'array', items: meSchema } } }, ...errors },
    },
  }, async (request) => manage(request, 'list', '', '', request.query));

  app.post<{ Body: { username: string; displayName: string; division: string } }>('/api/v1/staff', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'Create a staff account (answers its one-time password, shown once)',
      body: {
        type: 'object', required: ['username', 'displayName', 'division'], additionalProperties: false,
        properties: { username: { type: 'string', maxLength: 64 }, displayName: { type: 'string', maxLength: 100 }, division: { type: 'string', pattern: '^\\d{4,12}$' } },
        examples: [{ username: 'wang.li', displayName: '王丽', division: '513437100' }],
      },
      response: { 201: { ...looseObject, examples: [{ staff: meSchema.examples[0], oneTimePassword: 'k7Qm2xRf9TbWp4Lz' }] }, ...errors },
    },
  }, async (request, reply) => reply.code(201).send(await manage(request, 'create', '', '', request.body)));

  app.get<{ Params: { id: string } }>('/api/v1/staff/:id', {
    onRequest: ctx.auth.person,
    schema: { ...common, summary: 'A staff account, with its lock (failedAttempts, lockedUntil) and recent sign-ins', params: staffIdParams, response: { 200: looseObject, ...errors } },
  }, async (request) => manage(request, 'get', request.params.id));

  app.patch<{ Params: { id: string }; Body: { displayName: string } }>('/api/v1/staff/:id', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'Change a staff account’s display name', params: staffIdParams,
      body: { type: 'object', required: ['displayName'], additionalProperties: false, properties: { displayName: { type: 'string', maxLength: 100 } }, examples: [{ displayName: '王丽' }] },
      response: { 200: looseObject, ...errors },
    },
  }, async (request) => manage(request, 'update', request.params.id, '', request.body));

  app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/api/v1/staff/:id/roles', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'Grant a role at a unit (information-officer, admin, department, supervisor, auditor, hotline, directory-admin)', params: staffIdParams,
      body: {
        type: 'object', required: ['role', 'unitId'], additionalProperties: false,
        properties: { role: { type: 'string' }, unitId: { type: 'string' }, division: { type: 'string', pattern: '^\\d{4,12}$', description: 'An information officer’s village (default: the unit’s division).' } },
        examples: [{ role: 'admin', unitId: 'adm-513437100' }],
      },
      response: { 201: looseObject, ...errors },
    },
  }, async (request, reply) => reply.code(201).send(await manage(request, 'grant-role', request.params.id, '', request.body)));

  app.delete<{ Params: { id: string; roleId: string } }>('/api/v1/staff/:id/roles/:roleId', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'Revoke a role (effective at the person’s next refresh, at the latest when their access token expires: 15 min)',
      params: { type: 'object', required: ['id', 'roleId'], properties: { id: { type: 'string', format: 'uuid' }, roleId: { type: 'string', maxLength: 100 } } },
      response: { 200: looseObject, ...errors },
    },
  }, async (request) => manage(request, 'revoke-role', request.params.id, request.params.roleId));

  app.post<{ Params: { id: string }; Body: { subject: string; issuer?: string } }>('/api/v1/staff/:id/oidc', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'Link a single sign-on (OpenID Connect) identity to the account: the IdP’s subject, signing in as this person',
      description: 'The issuer defaults to the configured one (TONGBAN_OIDC_ISSUER). A subject links to one account only (409 `oidc_already_linked`). '
        + 'Accounts are never created by single sign-on: link an existing one.',
      params: staffIdParams,
      body: {
        type: 'object', required: ['subject'], additionalProperties: false,
        properties: { subject: { type: 'string', minLength: 1, maxLength: 255 }, issuer: oidcIssuer },
        examples: [{ subject: '248289761001' }],
      },
      response: { 200: looseObject, ...errors },
    },
  }, async (request) => manage(request, 'link-oidc', request.params.id, '', request.body));

  app.delete<{ Params: { id: string }; Querystring: { issuer?: string } }>('/api/v1/staff/:id/oidc', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'Unlink the single sign-on (OpenID Connect) identity of the account',
      description: 'Removes the link with the configured issuer (or `issuer`), recorded as the event StaffOidcUnlinked (issuer, subject, by whom). '
        + 'The subject no longer signs in as this person, and the person’s single sign-on sessions are revoked at once (access ends within 15 min); '
        + 'password sign-in is unaffected. 404 `oidc_link_not_found` when the account has no such link.',
      params: staffIdParams,
      querystring: { type: 'object', additionalProperties: false, properties: { issuer: oidcIssuer } },
      response: { 200: looseObject, ...errors },
    },
  }, async (request) => manage(request, 'unlink-oidc', request.params.id, '', request.query));

  app.get<{ Params: { id: string }; Querystring: { cursor?: string; limit?: string } }>('/api/v1/staff/:id/sign-ins', {
    onRequest: ctx.auth.person,
    schema: {
      ...common, summary: 'The account’s sign-in log (kept 90 days), newest first, a page at a time',
      description: 'Each attempt: time, client address, user agent, method (`password` | `oidc`) and outcome. Pass the answer’s `nextCursor` as '
        + '`cursor` for the next, older page; no `nextCursor`: the last page. `limit` 1–200 (default 50). 400 `invalid_cursor` for a cursor this route did not answer.',
      params: staffIdParams,
      querystring: { type: 'object', additionalProperties: false, properties: {
        cursor: { type: 'string', maxLength: 100 }, limit: { type: 'string', pattern: '^([1-9]\\d?|1\\d\\d|200)$', description: 'Attempts per page, 1–200 (default 50).' },
      } },
      response: {
        200: {
          type: 'object', required: ['signIns'],
          properties: {
            signIns: { type: 'array', items: { type: 'object', properties: {
              at: { type: 'string', format: 'date-time' }, clientIp: { type: 'string' }, userAgent: { type: 'string' }, method: { type: 'string' }, outcome: { type: 'string' },
            } } },
            nextCursor: { type: 'string' },
          },
          examples: [{ signIns: [{ at: '2026-12-02T08:01:12.345Z', clientIp: '10.2.3.4', userAgent: 'Mozilla/5.0 …', method: 'password', outcome: 'success' }], nextCursor: 'czEyMzQ' }],
        },
        ...errors,
      },
    },
  }, async (request) => manage(request, 'sign-ins', request.params.id, '', request.query));

  for (const [action, summary] of [
    ['disable', 'Disable an account (its sessions are revoked; access ends within 15 min)'],
    ['enable', 'Re-enable an account'],
    ['reset-password', 'Reset the password to a one-time password (answered once; must be changed at sign-in)'],
  ] as const) {
    app.post<{ Params: { id: string }; Body: Record<string, unknown> }>(`/api/v1/staff/:id/${action}`, {
      onRequest: ctx.auth.person,
      preValidation: emptyBodyAsObject,
      schema: {
        ...common, ...{ [OPTIONAL_BODY]: true }, summary, params: staffIdParams,
        body: { type: 'object', additionalProperties: false, properties: action === 'disable' ? { reason: { type: 'string', maxLength: 500 } } : {} },
        response: { 200: looseObject, ...errors },
      },
    }, async (request) => manage(request, action, request.params.id, '', request.body));
  }
}
