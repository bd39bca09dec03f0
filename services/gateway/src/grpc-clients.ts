import { Metadata, credentials, type CallOptions, type Client, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { casework, identity, intake, notification, query, routing } from '@tongban/contracts';
import type { ServiceName } from '@tongban/runtime';

/** The services the gateway calls (deadline has no API of its own). */
export type GatewayUpstream = Extract<ServiceName, 'identity' | 'intake' | 'routing' | 'casework' | 'query' | 'notification'>;

/** The upstreams, in the order readiness reports them. */
export const GATEWAY_UPSTREAMS: readonly GatewayUpstream[] = ['identity', 'intake', 'routing', 'casework', 'query', 'notification'];

/** One gRPC client per upstream service. */
export interface GrpcClients {
  identity: identity.IdentityServiceClient;
  intake: intake.IntakeServiceClient;
  routing: routing.RoutingServiceClient;
  casework: casework.CaseworkServiceClient;
  query: query.QueryServiceClient;
  notification: notification.NotificationServiceClient;
}

/** Who a call is made for: the caller's bearer token and the request's correlation id. */
export interface CallContext {
  /**
   * The raw bearer token, forwarded as metadata `authorization: Bearer <token>`; absent for the public
   * methods that need none (reference data, API key checks).
   */
  token?: string;
  correlationId: string;
}

/** Largest message the gateway receives from an upstream, bytes (an attachment and its envelope). */
const UPSTREAM_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Default deadline of one upstream call, ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

/**
 * Reconnect backoff of the channels to the services, ms. grpc-js defaults to 1 s growing to 120 s, so
 * after a restart the gateway kept answering 503 for seconds after the service was ready (issue 16
 * item 8). With 100 ms growing to at most 250 ms (±20 % jitter) a restarted service is used within
 * about 0.3 s of accepting connections; the cost is one connection attempt per 0.25 s while it is down.
 */
const RECONNECT_BACKOFF_MS = { initial: 100, max: 250 } as const;

/** Channel options shared by every upstream (see {@link RECONNECT_BACKOFF_MS}). */
const CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_MS.initial,
  'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MS.max,
} as const;

/**
 * Creates the clients (insecure channels: the services sit on the cluster network behind the gateway).
 * Channels connect lazily, so the gateway starts even when a service is not up yet, and reconnect
 * promptly after a service restarts ({@link CHANNEL_OPTIONS}).
 */
export function createGrpcClients(addresses: Readonly<Record<GatewayUpstream, string>>): GrpcClients {
  const insecure = credentials.createInsecure();
  return {
    identity: new identity.IdentityServiceClient(addresses.identity, insecure, CHANNEL_OPTIONS),
    intake: new intake.IntakeServiceClient(addresses.intake, insecure, CHANNEL_OPTIONS),
    routing: new routing.RoutingServiceClient(addresses.routing, insecure, CHANNEL_OPTIONS),
    casework: new casework.CaseworkServiceClient(addresses.casework, insecure, CHANNEL_OPTIONS),
    // Attachments (≤ 5 MB) come back from query.GetAttachment.
    query: new query.QueryServiceClient(addresses.query, insecure, { ...CHANNEL_OPTIONS, 'grpc.max_receive_message_length': UPSTREAM_MAX_MESSAGE_BYTES }),
    notification: new notification.NotificationServiceClient(addresses.notification, insecure, CHANNEL_OPTIONS),
  };
}

/** Closes every channel. */
export function closeGrpcClients(clients: GrpcClients): void {
  for (const name of GATEWAY_UPSTREAMS) clients[name].close();
}

/** The metadata of a call: `authorization` (when there is a token) and `x-correlation-id`. */
function callMetadata(ctx: CallContext): Metadata {
  const metadata = new Metadata();
  if (ctx.token) metadata.set('authorization', `Bearer ${ctx.token}`);
  metadata.set('x-correlation-id', ctx.correlationId);
  return metadata;
}

type UnaryMethod<Req, Res> = (
  request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/**
 * Calls a unary method of a ts-proto client with the caller's metadata and a deadline.
 * Usage: `unaryCall(clients.query, clients.query.getTicket, { ticketId }, ctx)`.
 * @throws ServiceError (mapped to problem+json by problem.ts).
 */
export function unaryCall<C extends Client, Req, Res>(
  client: C, method: UnaryMethod<Req, Res>, request: Req, ctx: CallContext, timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    method.call(client, request, callMetadata(ctx), { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/** Waits until the channel of a client is connected, up to `timeoutMs`; resolves false when it is not. */
export function channelReady(client: Client, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    client.waitForReady(Date.now() + timeoutMs, (err) => resolve(!err));
  });
}
