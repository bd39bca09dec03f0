/**
 * Serving gRPC: the unary wrappers every service's handlers go through (token, handling context, metrics,
 * failures as gRPC statuses), and the server with its health service.
 */
import { Server, ServerCredentials, status, type ServiceDefinition, type ServiceError, type UntypedServiceImplementation, type sendUnaryData, type ServerUnaryCall, type Metadata } from '@grpc/grpc-js';
import { bearerToken, verifyToken, verifyTokenSubject, type Principal, type TokenSubject, type VerificationKeys } from '@tongban/auth';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { HealthImplementation } from 'grpc-health-check';
import { grpcListenAddress, type ServiceName } from './config';
import { toServiceError } from './grpc-errors';
import { handlingContext, withHandlingContext } from './context';
import type { Health } from './health';
import { observeGrpcCall } from './metrics';
import type { ServiceHost } from './service-host';

/**
 * The correlation id of a call: the one being handled (set once per call by the unary wrappers), else
 * metadata `x-correlation-id`, else a new one.
 */
export function correlationId(metadata: Metadata): string {
  return handlingContext()?.correlationId ?? metadataCorrelationId(metadata);
}

/** Metadata `x-correlation-id` when well-formed (1–128 characters), else a new UUID. */
function metadataCorrelationId(metadata: Metadata): string {
  const value = metadata.get('x-correlation-id')[0];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : randomUUID();
}

/** A unary handler: request and the caller's verified principal → response. */
export type UnaryHandler<Req, Res> = (request: Req, principal: Principal, metadata: Metadata) => Promise<Res>;

/**
 * Wraps a unary handler for @grpc/grpc-js: verifies the bearer token in metadata `authorization`,
 * runs the handler and maps any failure through `toServiceError`. Unexpected errors are logged.
 */
export function unary<Req, Res>(keys: VerificationKeys, log: Logger, handler: UnaryHandler<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => answerUnary(call, done, log, async () =>
    handler(call.request, await verifyToken(callerToken(call.metadata), keys), call.metadata));
}

/**
 * As {@link unary}, for the few methods a signed-in person without a ticket role may call too (a
 * directory-admin erasing a reporter): the handler gets the token's subject (staff or person) and the raw
 * token, to ask identity what the person holds.
 */
export function subjectUnary<Req, Res>(keys: VerificationKeys, log: Logger, handler: (request: Req, subject: TokenSubject, token: string) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => answerUnary(call, done, log, async () => {
    const token = callerToken(call.metadata);
    return handler(call.request, await verifyTokenSubject(token, keys), token);
  });
}

/** A unary handler that needs no caller identity (public reference data). Failures are mapped as in `unary`. */
export function publicUnary<Req, Res>(log: Logger, handler: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => answerUnary(call, done, log, () => handler(call.request));
}

/**
 * A unary handler for methods that serve anonymous callers too (public files): the principal when the
 * call carries a valid bearer token, undefined without one; an invalid token is UNAUTHENTICATED.
 */
export function optionalAuthUnary<Req, Res>(keys: VerificationKeys, log: Logger, handler: (request: Req, principal: Principal | undefined) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => answerUnary(call, done, log, async () => {
    const raw = call.metadata.get('authorization')[0];
    const principal = typeof raw === 'string' && raw !== '' ? await verifyToken(bearerToken(raw) ?? '', keys) : undefined;
    return handler(call.request, principal);
  });
}

/**
 * What every unary wrapper does with a call (the ones above, and identity's): runs `handle` (token checks
 * and the handler) with the call's correlation id as what is being handled (see {@link correlationId}),
 * answers its result (logged at debug, "call handled") or its failure mapped by `toError` (default
 * `toServiceError`; an INTERNAL one logged as an error, UNAVAILABLE as a warning), and records the call in
 * `tongban_grpc_server_*` (method, status code).
 */
export function answerUnary<Req, Res>(
  call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>, log: Logger, handle: () => Promise<Res>,
  toError: (err: unknown) => Partial<ServiceError> = toServiceError,
): void {
  const end = observeGrpcCall(call.getPath());
  const callback: sendUnaryData<Res> = (error, value) => {
    end(error ? (error as Partial<ServiceError>).code : status.OK);
    done(error, value);
  };
  void withHandlingContext({ correlationId: metadataCorrelationId(call.metadata) }, async () => {
    try {
      callback(null, await handle());
      log.debug({ method: call.getPath() }, 'call handled');
    } catch (err) {
      const mapped = toError(err);
      if (mapped.code === status.INTERNAL) log.error({ err }, 'unexpected error in %s', call.getPath());
      else if (mapped.code === status.UNAVAILABLE) log.warn({ err: err instanceof Error ? err.message : String(err) }, 'dependency unavailable in %s', call.getPath());
      callback(mapped, null);
    }
  });
}

/** The bearer token of metadata `authorization` (`Bearer <token>`), '' when there is none (which no verification accepts). */
export function callerToken(metadata: Metadata): string {
  const raw = metadata.get('authorization')[0];
  return bearerToken(typeof raw === 'string' ? raw : undefined) ?? '';
}

/** Largest gRPC message a server accepts by default, bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Starts a gRPC server on `address` (host:port) with one service. Resolves once bound. Requests larger
 * than `maxMessageBytes` (default 4 MiB; intake raises it for attachments) are refused RESOURCE_EXHAUSTED.
 * @throws Error when the port cannot be bound.
 */
export async function startGrpcServer(
  address: string, definition: ServiceDefinition, implementation: UntypedServiceImplementation, options: { maxMessageBytes?: number; health?: Health } = {},
): Promise<{ server: Server; port: number; stop(): Promise<void> }> {
  // Channelz (grpc-js's introspection service, which nothing here serves) would count every call.
  const server = new Server({ 'grpc.max_receive_message_length': options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, 'grpc.enable_channelz': 0 });
  server.addService(definition, implementation);
  const stopHealth = options.health ? serveHealth(server, definition, options.health) : () => undefined;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    server,
    port,
    stop: () => new Promise<void>((resolve) => {
      stopHealth();
      const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, 3000);
      server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    }),
  };
}

/**
 * Adds the standard `grpc.health.v1.Health` service (grpc-health-check) to `server`: the overall status
 * ("") and the served service's full name are SERVING while every check of `health` passes, else
 * NOT_SERVING. The status follows each evaluation of `health` (the process's heartbeat runs one every
 * second, see `startHeartbeat`) instead of running the checks on a timer of its own.
 * Returns a function that stops following.
 */
function serveHealth(server: Server, definition: ServiceDefinition, health: Health): () => void {
  const first = Object.values(definition)[0]?.path ?? '';
  const serviceName = first.split('/')[1] ?? '';
  const impl = new HealthImplementation({ '': 'NOT_SERVING', [serviceName]: 'NOT_SERVING' });
  impl.addToServer(server);
  return health.onReport((report) => {
    const status = report.ready ? 'SERVING' : 'NOT_SERVING';
    impl.setStatus('', status);
    impl.setStatus(serviceName, status);
  });
}

/**
 * Serves a service's gRPC API on its listen address (see `grpcListenAddress`), with the gRPC health
 * service reflecting `host.health`; stopped with the host.
 */
export async function serveGrpc(
  host: ServiceHost, name: ServiceName, definition: ServiceDefinition, implementation: UntypedServiceImplementation, options: { maxMessageBytes?: number } = {},
): Promise<{ server: Server; port: number; stop(): Promise<void> }> {
  const address = grpcListenAddress(host.config, name);
  const grpc = await startGrpcServer(address, definition, implementation, { ...options, health: host.health }).catch((err: Error) => {
    const variable = `${name.toUpperCase()}_ADDR`;
    throw new Error(`${variable}=${host.config.addresses[name]}: cannot listen on ${address} (${/in use/i.test(err.message) ? 'port already in use' : err.message})`, { cause: err });
  });
  host.onStop(grpc.stop);
  return grpc;
}
