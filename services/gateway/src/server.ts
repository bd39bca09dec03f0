import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Clock } from '@tongban/domain';
import { type ReferenceData, loadReferenceData } from '@tongban/reference-data';
import { type Config, type Logger, createLogger, httpMetrics, identityVerificationKeys, loadConfig, systemClock } from '@tongban/runtime';
import accepts from '@fastify/accepts';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { authHooks } from './auth';
import type { GatewayContext } from './context';
import { DivisionSearch } from './division-search';
import { registerDocs } from './docs';
import { type RateLimitSettings, loadRateLimits, registerRateLimits, trustProxyOf } from './rate-limit';
import { type Open311Config, loadOpen311Config } from './open311/config';
import { sendErrors as sendOpen311Errors } from './open311/context';
import { Open311Error, open311Errors, renderErrors } from './open311/errors';
import { MAX_REQUEST_IDS } from './open311/context';
import { TextDecoder as NodeTextDecoder } from 'node:util';
import { formatOfPath } from './open311/format';
import { registerOpen311 } from './open311/plugin';
import { DEFAULT_CALL_TIMEOUT_MS, closeGrpcClients, createGrpcClients } from './grpc-clients';
import { refuseRepeatedIdempotencyKey } from './idempotency-key';
import { HttpProblem, PROBLEM_CONTENT_TYPE, type MappedProblem, localizedTitle, problemDocument, toProblem } from './problem';
import { requestLanguage } from './language';
import { registerAuditRoutes } from './routes/audit';
import { registerPublicRoutes } from './routes/public';
import { registerCommandRoutes } from './routes/commands';
import { registerDeviceRoutes } from './routes/devices';
import { registerIdentityRoutes } from './routes/identity';
import { registerReporterRoutes } from './routes/reporters';
import { registerAppQrRoute } from './routes/app-qr';
import { registerDivisionRoutes } from './routes/divisions';
import { registerHealthRoutes } from './routes/health';
import { type NatsReadiness, natsReadiness } from './nats-readiness';
import { type LiveFeed, natsLiveFeed, registerLiveRoutes } from './routes/live';
import { registerInboxRoutes, registerWebhookDeliveryRoutes } from './routes/inbox';
import { registerReferenceRoutes } from './routes/reference';
import { registerTestClockRoutes } from './routes/test-clock';
import { registerAttachmentRoutes, registerMultipart } from './routes/attachments';
import { registerSubmitRoute, registerTicketRoutes } from './routes/tickets';
import { type TestClockControl, natsTestClock } from './test-clock';
import { registerWebApps } from './web-apps';
import { PROTO_KEYWORD, instantsOnly } from './schemas';
import { type TextProblem, charsetOf, decodeForm, invalidText, isUtf8Label, jsonTextProblems, queryBytes } from './text';

/** How much of an oversized body is read and discarded before answering 413, bytes and ms. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 5_000;

/** Reads and discards what remains of a request body, up to `limit` bytes or `timeoutMs`. */
function drainRequest(raw: IncomingMessage, limit: number, timeoutMs: number): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => { clearTimeout(timer); raw.removeListener('data', onData); resolve(); };
    const onData = (chunk: Buffer) => { seen += chunk.length; if (seen > limit) done(); };
    const timer = setTimeout(done, timeoutMs);
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('error', done);
    raw.resume();
  });
}

const UTF8 = new NodeTextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The fields of a JSON body that is not valid UTF-8: decoded with replacement characters, the strings
 * holding U+FFFD that the bytes did not spell as U+FFFD (EF BF BD). Empty when it cannot be told.
 */
function undecodableJsonFields(bytes: Buffer): TextProblem[] {
  if (bytes.includes(Buffer.from([0xef, 0xbf, 0xbd]))) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  const found: TextProblem[] = [];
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'string') { if (v.includes('\uFFFD')) found.push({ field: at, problem: 'is not valid UTF-8' }); }
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}/${i}`));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}/${k.replace(/\uFFFD/g, '?')}`);
  };
  walk(parsed, 'body');
  return found;
}

/**
 * Largest request line and headers together, bytes (Node's default is 16 KB): 64 KB lets a GeoReport
 * client's list of ids reach the route and be answered with the limit it broke (at most 200
 * service_request_id), rather than a bare 431 from the parser.
 */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The answer to a request Node's HTTP parser refused (`code` HPE_…; `rawPacket`: the bytes it was
 * parsing, which start with the request line when the request fitted one read). Under /open311 an
 * Open311 errors document in the format of the path's suffix, HTTP 400 as GeoReport v2 allows, with
 * code 431 for a request line and headers over {@link MAX_HEADER_BYTES}, naming the limits; elsewhere
 * problem+json 431 headers_too_large or 400 malformed_request. A request not received whole within the
 * request timeout (`ERR_HTTP_REQUEST_TIMEOUT`, {@link REQUEST_TIMEOUT_MS}; Node gives no `rawPacket`
 * then, so on every path) is problem+json 408 request_timeout.
 */
export function parserErrorAnswer(code: string, rawPacket: Buffer | undefined): { status: number; contentType: string; body: string } {
  const overflow = code === 'HPE_HEADER_OVERFLOW';
  const timeout = code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const slow = 'the request was not received whole in time: send it again';
  const target = /^[A-Z]{3,10} (\S+)/.exec(rawPacket?.subarray(0, 4096).toString('latin1') ?? '')?.[1];
  if (target?.startsWith('/open311')) {
    const format = formatOfPath(target);
    const error = overflow
      ? new Open311Error(400, [{
        code: 431,
        description: `the request line and headers exceed ${MAX_HEADER_BYTES} bytes; name at most ${MAX_REQUEST_IDS} service_request_id per request and ask in several requests`,
      }])
      : open311Errors.badRequest('the HTTP request could not be parsed (e.g. a space or control character in the URL: percent-encode it)');
    const { body, contentType } = renderErrors(format, error);
    return { status: 400, contentType, body };
  }
  const problem = overflow
    ? problemDocument(431, 'headers_too_large', 'the HTTP request could not be parsed')
    : timeout
      ? problemDocument(408, 'request_timeout', slow)
      : problemDocument(400, 'malformed_request', 'the HTTP request could not be parsed');
  return { status: problem.status, contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(problem) };
}

/** Largest accepted request body: 1 MiB (larger → 413 problem+json). */
const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Longest time to receive one whole request (headers and body), ms: 120 s, enough for a 1 MiB body or
 * a few compressed photos over a weak 2G/3G signal (≈ 10–50 KB/s). A client that stalls mid-request
 * (slow loris) is answered 408 and its connection closed; Node checks every
 * {@link CONNECTION_CHECK_INTERVAL_MS}. Responses are not limited by it (GET /api/v1/live streams for hours).
 */
const REQUEST_TIMEOUT_MS = 120_000;
/** How often Node looks for requests past their timeout, ms. */
const CONNECTION_CHECK_INTERVAL_MS = 5_000;
/**
 * A kept-alive connection with no request for this long is closed, ms: 72 s (fastify's default, above
 * the 60 s of common load balancers). It also ends a client that stalls in a body the gateway no longer
 * waits for (answered early, e.g. 401 before the body is read), which the request timeout does not
 * cover. A connection that sends nothing at all is closed after Node's headersTimeout (60 s).
 */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** Options of the gateway; everything defaults from the environment (see runtime's loadConfig). */
export interface GatewayOptions {
  /** Overrides of the configuration (e.g. `addresses` of fake services, `testClock`). */
  config?: Partial<Config>;
  /** Real time, for issuing tokens (tokens are never subject to the test clock). Default: the system clock. */
  clock?: Clock;
  /**
   * The test clock, used only when `config.testClock` is true. Default: the NATS-backed platform test
   * clock (connects to `config.natsUrl` when the gateway starts).
   */
  testClock?: TestClockControl;
  /** Logger (pino). Default: a `gateway` logger at `config.logLevel`. */
  logger?: Logger;
  /** Slow-client limits, ms: `requestMs` to receive one whole request (default 120 s), `keepAliveMs` of a connection between requests (default 72 s). */
  timeouts?: { requestMs: number; keepAliveMs: number };
  /** Deadline of one upstream gRPC call, ms (default 10 s). */
  callTimeoutMs?: number;
  /**
   * Serve swagger-ui at /docs (default true; /openapi.json is always served). In-process Jest tests
   * turn it off: @fastify/static needs require(esm), which Jest supports only from Node 24.9.
   */
  swaggerUi?: boolean;
  /**
   * Serve the built web apps (see web-apps.ts) from this folder of apps (`main.ts`: TONGBAN_WEB_ROOT or
   * the repository's `apps/`). Default: not served (in-process Jest tests cannot load @fastify/static).
   */
  webApps?: { root: string };
  /** Overrides of the Open311 settings (default: from the environment, see open311/config.ts). */
  open311?: Partial<Open311Config>;
  /** Reference data (catalogue, divisions, units) for Open311 and the division routes. Default: the package's files. */
  referenceData?: ReferenceData;
  /** Overrides of the rate limits (default: from the environment, see rate-limit.ts). */
  rateLimits?: Partial<RateLimitSettings>;
  /** Which proxies' X-Forwarded-For to believe for request.ip (default: TONGBAN_TRUST_PROXY, see rate-limit.ts). */
  trustProxy?: boolean | string;
  /**
   * NATS in /readyz (reachability and consumer lag, see nats-readiness.ts). Default: a connection to
   * `config.natsUrl` made in the background; `false`: readiness ignores NATS (in-process tests of the HTTP edge).
   */
  natsReadiness?: NatsReadiness | false;
  /**
   * The ticket-event feed of GET /api/v1/live (routes/live.ts). Default: a NATS subscription made in the
   * background (none, and no route, when `natsReadiness` is false); `false`: no live route.
   */
  liveFeed?: LiveFeed | false;
}

const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The correlation id of a request: a well-formed `x-correlation-id` header, else a new UUID. */
function correlationIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && CORRELATION_ID_PATTERN.test(value) ? value : randomUUID();
}

/** Sends a mapped problem as application/problem+json. */
function sendProblem(request: FastifyRequest, reply: FastifyReply, mapped: MappedProblem): FastifyReply {
  const language = requestLanguage(request);
  const title = localizedTitle(mapped.problem.status, mapped.problem.reason, language);
  const body = { ...mapped.problem, title, instance: request.url.split('?')[0] ?? request.url, correlationId: request.id };
  return reply.code(body.status).headers(mapped.headers).header('content-language', language).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}


/**
 * Builds the gateway (not yet listening): fastify with JSON-schema validation on every route, a 1 MiB
 * body limit, OpenAPI at /openapi.json and /docs, problem+json for every error, the routes of
 * issues 2 and 3 over gRPC clients of intake, routing, casework, query and notification, and Open311
 * GeoReport v2 under /open311/v2 (its own errors and form bodies, see open311/plugin.ts). The test clock
 * routes exist only when `config.testClock`. Closing the instance closes the gRPC channels.
 */
export function buildGateway(options: GatewayOptions = {}): FastifyInstance {
  const config: Config = { ...loadConfig(), ...options.config };
  const log = options.logger ?? createLogger('gateway', config.logLevel);
  const clock = options.clock ?? systemClock;
  const clients = createGrpcClients(config.addresses);
  // Tokens are verified with identity's public keys; the gateway holds no signing key.
  const identityKeys = identityVerificationKeys(config.addresses.identity);
  const ref = options.referenceData ?? loadReferenceData();

  // pino's Logger is a FastifyBaseLogger; typed as one, it keeps FastifyInstance's default type parameters.
  const loggerInstance: FastifyBaseLogger = log;
  const requestTimeout = options.timeouts?.requestMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    // fastify's default requestTimeout is 0 (none): a request stalled mid-body would hold its connection
    // forever. Node 20 applies it only when given to http.createServer (set afterwards, it is ignored).
    requestTimeout,
    keepAliveTimeout: options.timeouts?.keepAliveMs ?? KEEP_ALIVE_TIMEOUT_MS,
    http: { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout, connectionsCheckingInterval: Math.min(CONNECTION_CHECK_INTERVAL_MS, requestTimeout) },
    trustProxy: options.trustProxy ?? trustProxyOf(),
    genReqId: (req) => correlationIdOf(req.headers['x-correlation-id']),
    logController: new LogController({ requestIdLogLabel: 'correlationId' }),
    // Bodies are validated strictly: no coercion, unknown properties rejected (not silently removed).
    // `x-proto` (schemas.ts) is documentation for the OpenAPI document and the integer audit, not a check.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false },
      plugins: [(ajv) => ajv.addKeyword(PROTO_KEYWORD)],
      // After ajv-formats (which the compiler adds after `plugins`): a date-time must also be an instant.
      onCreate: instantsOnly,
    },
    // Requests Node's HTTP parser refuses (oversized headers, malformed request lines): still a
    // problem+json answer — an Open311 errors document under /open311 —, then the connection is closed.
    clientErrorHandler: (err: Error & { code?: string; rawPacket?: unknown }, socket) => {
      if (!socket.writable) { socket.destroy(); return; }
      const { status: code, contentType, body } = parserErrorAnswer(err.code ?? '', Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined);
      socket.end(`HTTP/1.1 ${code} ${code === 431 ? 'Request Header Fields Too Large' : code === 408 ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    // Requests fastify refuses before routing (a malformed URL): an Open311 document under /open311,
    // problem+json elsewhere — never fastify's own body.
    // (fastify ignores the handler's result: the replies are sent, not returned.)
    frameworkErrors: (err, request, reply) => {
      if (request.url.startsWith('/open311')) {
        void sendOpen311Errors(reply, formatOfPath(request.url), open311Errors.badRequest(`the request is malformed: ${err.message}`));
        return;
      }
      void sendProblem(request, reply, toProblem(err, { ifMatchSent: false }));
    },
  });

  // Accept-Language (and the other Accept-* headers) for the catalogues' language.
  app.register(accepts);
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-correlation-id', request.id);
  });
  // tongban_http_requests_total / _request_duration_seconds by route pattern (not the URL: bounded labels).
  const http = httpMetrics();
  app.addHook('onResponse', async (request, reply) => {
    const labels = { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) };
    http.requests.inc(labels);
    http.duration.observe(labels, reply.elapsedTime / 1000);
  });
  app.addHook('onClose', async () => { closeGrpcClients(clients); identityKeys.close(); });
  const nats = options.natsReadiness === false ? undefined : options.natsReadiness ?? natsReadiness(config, log);
  if (nats && options.natsReadiness === undefined) app.addHook('onClose', async () => nats.close());
  const live = options.liveFeed === false || (options.natsReadiness === false && options.liveFeed === undefined) ? undefined : options.liveFeed ?? natsLiveFeed(config, log);
  if (live && options.liveFeed === undefined) app.addHook('onClose', async () => live.close());

  // Only JSON is accepted (anything else → 415). An empty JSON body counts as no body (routes without
  // required fields accept it); the rest is fastify's own parser (prototype-poisoning safe). JSON is
  // UTF-8 (RFC 8259): another declared charset → 415, invalid UTF-8 or an unpaired surrogate (`"\ud800"`)
  // → 400 invalid_characters naming the field, never a silent U+FFFD.
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && !isUtf8Label(charset)) {
      done(new HttpProblem(415, 'unsupported_charset', `JSON bodies must be UTF-8, not ${charset}`), undefined);
      return;
    }
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      done(invalidText(undecodableJsonFields(bytes), 'is not valid UTF-8'), undefined);
      return;
    }
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    void defaultJsonParser(request, text, (err, parsed) => {
      if (err) return done(err, undefined);
      const problems = jsonTextProblems(parsed, 'body');
      if (problems.length > 0) return done(invalidText(problems), undefined);
      return done(null, parsed);
    });
  });
  app.addHook('onRequest', async (request) => {
    if (request.method === 'POST') refuseRepeatedIdempotencyKey(request.raw.rawHeaders);
  });
  // Query strings: percent-encoded bytes must be UTF-8 text without forbidden characters (every route).
  app.addHook('onRequest', async (request) => {
    if (!request.url.includes('?') || request.url.startsWith('/open311')) return;
    const { problems } = decodeForm(queryBytes(request.url));
    if (problems.length > 0) throw invalidText(problems.map((p) => ({ field: `querystring/${p.field}`, problem: p.problem })));
  });

  app.setErrorHandler(async (err, request, reply) => {
    const mapped = toProblem(err, { ifMatchSent: request.headers['if-match'] !== undefined });
    // A body over the limit is refused before it is read: read and discard the rest (bounded) so the
    // client gets the 413 instead of a broken pipe, and close the connection afterwards.
    if (mapped.problem.status === 413) {
      await drainRequest(request.raw, DRAIN_LIMIT_BYTES, DRAIN_TIMEOUT_MS);
      void reply.header('connection', 'close');
    }
    const { status, reason } = mapped.problem;
    if (status === 500) request.log.error({ err }, 'request failed: %s', reason);
    else if (mapped.serverError) request.log.warn({ status, reason, cause: err instanceof Error ? err.message : String(err) }, 'upstream failure');
    else request.log.info({ status, reason }, 'request rejected');
    return sendProblem(request, reply, mapped);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, {
    problem: problemDocument(404, 'route_not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`),
    headers: {},
    serverError: false,
  }));

  // Web apps before the rate limiter: static files are not counted.
  const webApps = options.webApps;
  if (webApps) app.register(async (scope) => registerWebApps(scope, { root: webApps.root }));
  const rateLimits: RateLimitSettings = { ...loadRateLimits(), ...options.rateLimits };
  registerRateLimits(app, rateLimits);
  registerDocs(app, { ui: options.swaggerUi ?? true });

  // The platform's time: the test clock once its plugin below has connected, real time otherwise.
  let testClock: TestClockControl | undefined;
  const platformClock: Clock = { now: () => testClock?.now() ?? clock.now() };
  const ctx: GatewayContext = {
    clients,
    keys: identityKeys.keys,
    clock,
    platformClock,
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    auth: authHooks(identityKeys.keys),
  };

  app.register(async (api) => {
    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    registerHealthRoutes(api, clients, nats);
    registerDeviceRoutes(api, ctx);
    registerIdentityRoutes(api, ctx);
    registerTicketRoutes(api, ctx);
    // The routes that take files: multipart only here (elsewhere a multipart body stays 415).
    api.register(async (files) => {
      await registerMultipart(files);
      registerSubmitRoute(files, ctx);
      registerAttachmentRoutes(files, ctx);
    });
    registerCommandRoutes(api, ctx);
    registerReporterRoutes(api, ctx);
    registerInboxRoutes(api, ctx);
    if (live) registerLiveRoutes(api, ctx, live);
    registerWebhookDeliveryRoutes(api, ctx);
    registerReferenceRoutes(api, ctx);
    const divisions = new DivisionSearch(ref.divisions);
    registerDivisionRoutes(api, ctx, divisions);
    registerAppQrRoute(api, divisions);
    registerAuditRoutes(api, ctx);
    registerPublicRoutes(api, ctx, ref);
  });
  registerOpen311(app, ctx, {
    config: { ...loadOpen311Config(), ...options.open311 },
    ref,
    rateLimits,
  });

  if (config.testClock) {
    app.register(async (api) => {
      let control = options.testClock;
      if (!control) {
        const owned = await natsTestClock(config.natsUrl, config.namespace, log, config.natsReplicas);
        api.addHook('onClose', async () => owned.close());
        control = owned;
      }
      testClock = control;
      registerTestClockRoutes(api, control);
    });
  }

  return app;
}
