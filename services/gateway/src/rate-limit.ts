import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpProblem } from './problem';

/**
 * Rate limits at the edge (@fastify/rate-limit, fixed one-minute windows), per caller:
 * - a citizen device (the token's subject): TONGBAN_RATE_LIMIT_PER_MINUTE, default 600;
 * - a staff member: TONGBAN_RATE_LIMIT_STAFF_PER_MINUTE, default 3000 (staff are known people with
 *   platform-issued tokens and work whole inboxes; the limit only stops a runaway script);
 * - an Open311 client application (the verified api_key's client id, all its keys together):
 *   TONGBAN_RATE_LIMIT_API_KEY_PER_MINUTE, default 1200; before a key is verified, failed verifications
 *   are counted per IP (TONGBAN_RATE_LIMIT_IP_PER_MINUTE), so guessing keys is limited but a client
 *   behind a shared IP is not;
 * - everything else (no token: devices registration, reference data, Open311 reads): per IP,
 *   TONGBAN_RATE_LIMIT_IP_PER_MINUTE, default 600. The IP is fastify's `request.ip`: the socket's peer,
 *   or behind a load balancer or ingress the client's from X-Forwarded-For when TONGBAN_TRUST_PROXY
 *   says which proxies to believe (see trustProxyOf).
 * 0 turns a limit off. /healthz, /readyz and /metrics are never limited. Exceeding answers 429 with `Retry-After`
 * (problem+json `rate_limited` on /api/v1; an Open311 errors document with code 429 under /open311).
 * Counters live in each replica's memory: with N replicas a caller gets up to N times the limit (the
 * plugin's Redis store would make them shared).
 */

/** Limits per minute (0: unlimited). */
export interface RateLimitSettings {
  perDevice: number;
  perStaff: number;
  perApiKey: number;
  perIp: number;
  /** Window length, ms (one minute; tests shorten it). */
  windowMs: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = { perDevice: 600, perStaff: 3000, perApiKey: 1200, perIp: 600, windowMs: 60_000 };

/** Reads the limits from the environment. @throws Error when a value is not a non-negative integer. */
export function loadRateLimits(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    if (!/^\d+$/.test(raw.trim())) throw new Error(`${name} must be a non-negative integer (0: no limit), not ${raw}`);
    return Number(raw.trim());
  };
  return {
    perDevice: read('TONGBAN_RATE_LIMIT_PER_MINUTE', DEFAULT_RATE_LIMITS.perDevice),
    perStaff: read('TONGBAN_RATE_LIMIT_STAFF_PER_MINUTE', DEFAULT_RATE_LIMITS.perStaff),
    perApiKey: read('TONGBAN_RATE_LIMIT_API_KEY_PER_MINUTE', DEFAULT_RATE_LIMITS.perApiKey),
    perIp: read('TONGBAN_RATE_LIMIT_IP_PER_MINUTE', DEFAULT_RATE_LIMITS.perIp),
    windowMs: DEFAULT_RATE_LIMITS.windowMs,
  };
}

/** Routes never limited (probes). */
const EXEMPT_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/** The 429 answer. */
function rateLimited(retryAfterSeconds: number): HttpProblem {
  const after = Math.max(1, retryAfterSeconds);
  return new HttpProblem(429, 'rate_limited', `too many requests; retry in ${after} s`, { headers: { 'retry-after': String(after) } });
}

/** The bucket of a request at the edge hook: the token's subject, else the IP. */
function edgeKey(request: FastifyRequest): string {
  const principal = request.caller?.principal;
  if (principal?.kind === 'citizen') return `device:${principal.id}`;
  if (principal?.kind === 'staff') return `staff:${principal.id}`;
  return `ip:${request.ip}`;
}

/** The limit of a bucket (0: none). */
function limitOf(settings: RateLimitSettings, key: string): number {
  if (key.startsWith('device:')) return settings.perDevice;
  if (key.startsWith('staff:')) return settings.perStaff;
  return settings.perIp;
}

/**
 * Registers the limiter on every route declared after it. It runs as a preValidation hook: after the
 * routes' onRequest authentication (so the token's subject is known), before validation and the handler.
 */
export function registerRateLimits(app: FastifyInstance, settings: RateLimitSettings): void {
  void app.register(rateLimit, {
    global: true,
    hook: 'preValidation',
    timeWindow: settings.windowMs,
    cache: 100_000,
    keyGenerator: edgeKey,
    max: (_request, key) => limitOf(settings, key),
    allowList: (request, key) => EXEMPT_ROUTES.has(request.routeOptions.url ?? '') || limitOf(settings, key) === 0,
    errorResponseBuilder: (_request, context) => rateLimited(Math.ceil(context.ttl / 1000)),
  });
}

/** What a limiter created with `createRateLimit` answers. */
type LimiterResult = { isAllowed: true; key: string } | { isAllowed: false; key: string; remaining: number; ttlInSeconds: number; isExceeded: boolean };

/**
 * The limits of Open311 POSTs, whose caller is known only once the handler has verified the api_key:
 * `beforeVerify` refuses an IP that failed verification too often, `failedVerification` counts a
 * failure, `verified` counts a request of the client application.
 * Call `open311Limits` inside a plugin registered after registerRateLimits (it uses its decorator).
 */
export interface Open311Limits {
  beforeVerify(request: FastifyRequest): Promise<void>;
  failedVerification(request: FastifyRequest): Promise<void>;
  verified(request: FastifyRequest, clientId: string): Promise<void>;
}

export function open311Limits(app: FastifyInstance, settings: RateLimitSettings): Open311Limits {
  const clients = new WeakMap<FastifyRequest, string>();
  const failures = app.createRateLimit({ timeWindow: settings.windowMs, max: settings.perIp, keyGenerator: (r) => `open311-key-failures:${r.ip}` });
  const perClient = app.createRateLimit({ timeWindow: settings.windowMs, max: settings.perApiKey, keyGenerator: (r) => `open311:${clients.get(r) ?? ''}` });
  const refuse = (result: LimiterResult, blocked: (r: Extract<LimiterResult, { isAllowed: false }>) => boolean) => {
    if (!result.isAllowed && blocked(result)) throw rateLimited(result.ttlInSeconds);
  };
  return {
    async beforeVerify(request) {
      if (settings.perIp === 0) return;
      refuse(await failures(request, { increment: false }), (r) => r.remaining === 0);
    },
    async failedVerification(request) {
      if (settings.perIp === 0) return;
      await failures(request);
    },
    async verified(request, clientId) {
      if (settings.perApiKey === 0) return;
      clients.set(request, clientId);
      refuse(await perClient(request), (r) => r.isExceeded);
    },
  };
}

/**
 * Fastify's `trustProxy` from TONGBAN_TRUST_PROXY: unset or `false` — none (request.ip is the peer);
 * `true` — any (only when nothing but the proxy can reach the gateway); otherwise a comma list of
 * proxy addresses or CIDRs (e.g. `10.0.0.0/8`), whose X-Forwarded-For entries are skipped.
 */
export function trustProxyOf(env: NodeJS.ProcessEnv = process.env): boolean | string {
  const raw = env['TONGBAN_TRUST_PROXY']?.trim() ?? '';
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  return raw;
}
