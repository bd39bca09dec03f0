import { Server, ServerCredentials, status, type ServiceDefinition, type ServiceError, type UntypedServiceImplementation, type sendUnaryData, type ServerUnaryCall, type Metadata } from '@grpc/grpc-js';
import { bearerToken, verifyToken, type Principal } from '@tongban/auth';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { toServiceError } from './grpc-errors';

/** The correlation id of a call (metadata `x-correlation-id`), or a new one. */
export function correlationId(metadata: Metadata): string {
  const value = metadata.get('x-correlation-id')[0];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : randomUUID();
}

/** A unary handler: request and the caller's verified principal → response. */
export type UnaryHandler<Req, Res> = (request: Req, principal: Principal, metadata: Metadata) => Promise<Res>;

/**
 * Wraps a unary handler for @grpc/grpc-js: verifies the bearer token in metadata `authorization`,
 * runs the handler and maps any failure through `toServiceError`. Unexpected errors are logged.
 */
export function unary<Req, Res>(key: Uint8Array, log: Logger, handler: UnaryHandler<Req, Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    void (async () => {
      try {
        const raw = call.metadata.get('authorization')[0];
        const token = bearerToken(typeof raw === 'string' ? raw : undefined);
        const principal = await verifyToken(token ?? '', key);
        callback(null, await handler(call.request, principal, call.metadata));
      } catch (err) {
        callback(mapFailure(err, log, call.getPath()), null);
      }
    })();
  };
}

/** A unary handler that needs no caller identity (public reference data). Failures are mapped as in `unary`. */
export function publicUnary<Req, Res>(log: Logger, handler: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    handler(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(mapFailure(err, log, call.getPath()), null),
    );
  };
}

/** Maps a handler failure through `toServiceError`, logging the unexpected ones (INTERNAL). */
function mapFailure(err: unknown, log: Logger, path: string): Partial<ServiceError> {
  const mapped = toServiceError(err);
  if (mapped.code === status.INTERNAL) log.error({ err }, 'unexpected error in %s', path);
  return mapped;
}

/**
 * Starts a gRPC server on `address` (host:port) with one service. Resolves once bound.
 * @throws Error when the port cannot be bound.
 */
export async function startGrpcServer(
  address: string, definition: ServiceDefinition, implementation: UntypedServiceImplementation,
): Promise<{ server: Server; port: number; stop(): Promise<void> }> {
  const server = new Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    server,
    port,
    stop: () => new Promise<void>((resolve) => {
      const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, 3000);
      server.tryShutdown(() => { clearTimeout(timer); resolve(); });
    }),
  };
}
