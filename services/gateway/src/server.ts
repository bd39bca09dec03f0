import { randomUUID } from 'node:crypto';
import { signingKey } from '@tongban/auth';
import type { Clock } from '@tongban/domain';
import { type ReferenceData, loadReferenceData } from '@tongban/reference-data';
import { type Config, type Logger, createLogger, loadConfig, systemClock } from '@tongban/runtime';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { authHooks } from './auth';
import type { GatewayContext } from './context';
import { registerDocs } from './docs';
import { type RateLimitSettings, loadRateLimits, registerRateLimits, trustProxyOf } from './rate-limit';
import { type Open311Config, loadOpen311Config } from './open311/config';
import { sendErrors as sendOpen311Errors } from './open311/context';
import { open311Errors } from './open311/errors';
import { formatOfPath } from './open311/format';
import { registerOpen311 } from './open311/plugin';
import { DEFAULT_CALL_TIMEOUT_MS, closeGrpcClients, createGrpcClients } from './grpc-clients';
import { PROBLEM_CONTENT_TYPE, type MappedProblem, problemDocument, toProblem } from './problem';
import { registerAuditRoutes } from './routes/audit';
import { registerCommandRoutes } from './routes/commands';
import { registerDeviceRoutes } from './routes/devices';
import { registerHealthRoutes } from './routes/health';
import { registerInboxRoutes } from './routes/inbox';
import { registerReferenceRoutes } from './routes/reference';
import { registerTestClockRoutes } from './routes/test-clock';
import { registerTicketRoutes } from './routes/tickets';
import { type TestClockControl, natsTestClock } from './test-clock';

/** How much of an oversized body is read and discarded before answering 413, bytes and ms. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 5_000;

/** Reads and discards what remains of a request body, up to `limit` bytes or `timeoutMs`. */
function drainRequest(raw: import('node:http').IncomingMessage, limit: number, timeoutMs: number): Promise<void> {
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

/** Largest accepted request body: 1 MiB (larger → 413 problem+json). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Options of the gateway; everything defaults from the environment (see runtime's loadConfig). */
export interface GatewayOptions {
  /** Overrides of the configuration (e.g. `addresses` of fake services, `testClock`, `jwtSecret`). */
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
  /** Deadline of one upstream gRPC call, ms (default 10 s). */
  callTimeoutMs?: number;
  /**
   * Serve swagger-ui at /docs (default true; /openapi.json is always served). In-process Jest tests
   * turn it off: @fastify/static needs require(esm), which Jest supports only from Node 24.9.
   */
  swaggerUi?: boolean;
  /** Overrides of the Open311 settings (default: from the environment, see open311/config.ts). */
  open311?: Partial<Open311Config>;
  /** Reference data (catalogue, divisions, units) for Open311. Default: the package's files. */
  referenceData?: ReferenceData;
  /** Overrides of the rate limits (default: from the environment, see rate-limit.ts). */
  rateLimits?: Partial<RateLimitSettings>;
  /** Which proxies' X-Forwarded-For to believe for request.ip (default: TONGBAN_TRUST_PROXY, see rate-limit.ts). */
  trustProxy?: boolean | string;
}

const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** The correlation id of a request: a well-formed `x-correlation-id` header, else a new UUID. */
export function correlationIdOf(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && CORRELATION_ID_PATTERN.test(value) ? value : randomUUID();
}

/** Sends a mapped problem as application/problem+json. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, mapped: MappedProblem): FastifyReply {
  const body = { ...mapped.problem, instance: request.url.split('?')[0] ?? request.url, correlationId: request.id };
  return reply.code(body.status).headers(mapped.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
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
  const key = signingKey(config.jwtSecret);
  const clients = createGrpcClients(config.addresses);

  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps FastifyInstance's default type parameters.
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: options.trustProxy ?? trustProxyOf(),
    genReqId: (req) => correlationIdOf(req.headers['x-correlation-id']),
    logController: new LogController({ requestIdLogLabel: 'correlationId' }),
    // Bodies are validated strictly: no coercion, unknown properties rejected (not silently removed).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false } },
    // Requests Node's HTTP parser refuses (oversized headers, malformed request lines): still a
    // problem+json answer, then the connection is closed.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) { socket.destroy(); return; }
      const problem = err.code === 'HPE_HEADER_OVERFLOW'
        ? problemDocument(431, 'headers_too_large', 'the HTTP request could not be parsed')
        : problemDocument(400, 'malformed_request', 'the HTTP request could not be parsed');
      const body = JSON.stringify(problem);
      socket.end(`HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    // Requests fastify refuses before routing (a malformed URL): an Open311 document under /open311,
    // problem+json elsewhere — never fastify's own body.
    frameworkErrors: (err, request, reply) => {
      if (request.url.startsWith('/open311')) {
        return sendOpen311Errors(reply, formatOfPath(request.url), open311Errors.badRequest(`the request is malformed: ${err.message}`));
      }
      return sendProblem(request, reply, toProblem(err, { ifMatchSent: false }));
    },
  });

  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-correlation-id', request.id);
  });
  app.addHook('onClose', async () => closeGrpcClients(clients));

  // Only JSON is accepted (anything else → 415). An empty JSON body counts as no body (routes without
  // required fields accept it); the rest is fastify's own parser (prototype-poisoning safe).
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    defaultJsonParser(request, text, done);
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

  const rateLimits: RateLimitSettings = { ...loadRateLimits(), ...options.rateLimits };
  registerRateLimits(app, rateLimits);
  registerDocs(app, { ui: options.swaggerUi ?? true });

  const ctx: GatewayContext = {
    clients,
    key,
    clock,
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    auth: authHooks(key),
  };

  app.register(async (api) => {
    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    registerHealthRoutes(api, clients);
    registerDeviceRoutes(api, ctx);
    registerTicketRoutes(api, ctx);
    registerCommandRoutes(api, ctx);
    registerInboxRoutes(api, ctx);
    registerReferenceRoutes(api, ctx);
    registerAuditRoutes(api, ctx);
  });
  registerOpen311(app, ctx, {
    config: { ...loadOpen311Config(), ...options.open311 },
    ref: options.referenceData ?? loadReferenceData(),
    rateLimits,
  });

  if (config.testClock) {
    app.register(async (api) => {
      let control = options.testClock;
      if (!control) {
        const owned = await natsTestClock(config.natsUrl, config.namespace, log);
        api.addHook('onClose', async () => owned.close());
        control = owned;
      }
      registerTestClockRoutes(api, control);
    });
  }

  return app;
}
