import { CALLBACK_ASSIGNEES, type CallbackAssignee, DEFAULT_WORKFLOW_SETTINGS } from '@tongban/domain';

/** The service names of the platform, in start order. */
export const SERVICE_NAMES = ['identity', 'intake', 'routing', 'casework', 'deadline', 'notification', 'query'] as const;

/** A service of the platform (the gateway is the HTTP edge, not in this list). */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default gRPC ports, one per service. */
export const DEFAULT_GRPC_PORTS: Readonly<Record<ServiceName, number>> = {
  intake: 50051, routing: 50052, casework: 50053, deadline: 50054, notification: 50055, query: 50056, identity: 50057,
};

/** Process configuration, from the environment (12-factor). */
export interface Config {
  /** PostgreSQL URL (DATABASE_URL), default postgres://postgres@127.0.0.1:5432/tongban. */
  databaseUrl: string;
  /** NATS URL (NATS_URL), default nats://127.0.0.1:4222. */
  natsUrl: string;
  /** True only when TONGBAN_TEST_CLOCK=1: enables the settable test clock. */
  testClock: boolean;
  /** JetStream stream for ticket events (TONGBAN_EVENTS_STREAM, default TICKET_EVENTS). */
  eventsStream: string;
  /** Subject prefix for ticket events (TONGBAN_EVENTS_SUBJECT, default tickets.events). */
  eventsSubject: string;
  /** Prefix for durable consumer names and the test clock subject/bucket, for isolated test stacks. */
  namespace: string;
  /** gRPC address of each service (e.g. INTAKE_ADDR=127.0.0.1:50051). */
  addresses: Readonly<Record<ServiceName, string>>;
  /**
   * Host a service's gRPC server binds (TONGBAN_GRPC_HOST, e.g. 0.0.0.0 or :: in a pod); unset: the host of
   * its own *_ADDR (127.0.0.1 locally). The port is always the one in its *_ADDR.
   */
  grpcHost?: string;
  /**
   * Port of a service process's HTTP health listener (/healthz, /readyz, /metrics; TONGBAN_HEALTH_PORT,
   * 0 = any free port); unset: none. Bound on TONGBAN_GRPC_HOST, else 127.0.0.1. The Helm chart sets 9464.
   */
  healthPort?: number;
  /**
   * Gateway HTTP port (PORT, default 8080) and host (HOST, default 127.0.0.1: loopback only, so that a
   * fresh installation is not reachable from the network until it is configured; see the README).
   */
  port: number;
  host: string;
  /** Fallback poll interval of timers, the relay and the webhook outbox, ms (TONGBAN_POLL_MS, default 1000). */
  pollMs: number;
  /** Days after resolution before automatic close (TONGBAN_AUTO_CLOSE_DAYS, default 7). */
  autoCloseDays: number;
  /** Total cap on announced-deadline extensions per ticket, hours (TONGBAN_MAX_EXTENSION_HOURS, default 2160 = 90 days). */
  maxExtensionHours: number;
  /**
   * Issue 14 item 4: working days after a resolution within which the callback is due
   * (TONGBAN_CALLBACK_DUE_DAYS, default 3), unreached attempts before closing as not reached
   * (TONGBAN_CALLBACK_MAX_ATTEMPTS, default 3), working days of a rectification's resolution leg
   * (TONGBAN_RECTIFICATION_DAYS, default 15). Not positive: the process does not start.
   */
  callbackDueWorkingDays: number;
  callbackMaxAttempts: number;
  rectificationWorkingDays: number;
  /**
   * Who the callback of a resolution goes to (TONGBAN_CALLBACK_BY, issue 14 item 4): `first-responder` (default,
   * the first responder's unit) or `hotline` (hotline staff of the ticket's area). Anything else: the process does not start.
   */
  callbackBy: CallbackAssignee;
  /**
   * Path of an SLA configuration file (TONGBAN_SLA_CONFIG; the format of packages/domain/data/calendars/sla-config.json),
   * read and validated with parseSlaConfig at start; unset: the shipped configuration.
   */
  slaConfigPath?: string;
  /**
   * SLA policy set for new tickets (TONGBAN_SLA_POLICY_SET: `default` — the article's 24 h / 72 h — or
   * `sichuan` — Sichuan's 12345 measures; issue 14 item 1); overrides the configuration's `policySet`.
   * Unknown: the process does not start.
   */
  slaPolicySet?: string;
  /** Log level (LOG_LEVEL, default info). */
  logLevel: string;
  /**
   * JetStream replicas of the ticket event stream, its dead-letter stream, their consumers and the KV
   * buckets (TONGBAN_NATS_REPLICAS, 1–5, default 1; 3 on a production cluster). Existing streams are
   * scaled to it at start.
   */
  natsReplicas: number;
  /**
   * The gateway's /readyz is 503 while the relay's oldest unpublished event has waited longer than this, s
   * (TONGBAN_RELAY_LAG_MAX_SECONDS, default 30).
   */
  relayLagMaxSeconds: number;
  /** A consumer further behind than this logs a warning (TONGBAN_CONSUMER_LAG_WARN_SECONDS, default 30). */
  consumerLagWarnSeconds: number;
}

/** An invalid configuration value (the process does not start on it). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}

/** A positive number from the environment, or `fallback` when unset or empty. @throws ConfigError otherwise. */
export function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number (got "${raw}")`);
  return value;
}

/** TONGBAN_NATS_REPLICAS: an integer 1–5 (JetStream's limit), default 1. @throws ConfigError otherwise. */
/** TONGBAN_CALLBACK_BY: first-responder (default) or hotline. @throws ConfigError otherwise. */
function callbackAssignee(env: NodeJS.ProcessEnv): CallbackAssignee {
  const raw = env['TONGBAN_CALLBACK_BY']?.trim() || DEFAULT_WORKFLOW_SETTINGS.callbackBy;
  const found = CALLBACK_ASSIGNEES.find((a) => a === raw);
  if (!found) throw new ConfigError(`TONGBAN_CALLBACK_BY must be one of ${CALLBACK_ASSIGNEES.join(', ')} (got "${raw}")`);
  return found;
}

function replicas(env: NodeJS.ProcessEnv): number {
  const value = positiveNumber(env, 'TONGBAN_NATS_REPLICAS', 1);
  if (!Number.isInteger(value) || value > 5) throw new ConfigError(`TONGBAN_NATS_REPLICAS must be an integer from 1 to 5 (got "${env['TONGBAN_NATS_REPLICAS']}")`);
  return value;
}

/** A TCP port 0–65535 (0: any free port). @throws ConfigError otherwise. */
function portNumber(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name] ?? '';
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value > 65535) throw new ConfigError(`${name} must be a port number from 0 to 65535 (got "${raw}")`);
  return value;
}

/**
 * The address a service's gRPC server binds: its *_ADDR, with the host replaced by TONGBAN_GRPC_HOST when
 * set (a pod binds 0.0.0.0 while callers dial the Kubernetes Service name).
 */
export function grpcListenAddress(config: Pick<Config, 'addresses' | 'grpcHost'>, name: ServiceName): string {
  const address = config.addresses[name];
  if (!config.grpcHost) return address;
  const port = address.slice(address.lastIndexOf(':') + 1);
  return config.grpcHost.includes(':') ? `[${config.grpcHost}]:${port}` : `${config.grpcHost}:${port}`;
}

/**
 * Reads the configuration from an environment map.
 * @throws ConfigError for a TONGBAN_MAX_EXTENSION_HOURS or TONGBAN_CONSUMER_LAG_WARN_SECONDS that is not a
 *   positive number, or a TONGBAN_NATS_REPLICAS that is not an integer from 1 to 5.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const addresses = Object.fromEntries(
    Object.entries(DEFAULT_GRPC_PORTS).map(([name, port]) => [name, env[`${name.toUpperCase()}_ADDR`] ?? `127.0.0.1:${port}`]),
  ) as Record<ServiceName, string>;
  return {
    databaseUrl: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/tongban',
    natsUrl: env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
    testClock: env['TONGBAN_TEST_CLOCK'] === '1',
    eventsStream: env['TONGBAN_EVENTS_STREAM'] ?? 'TICKET_EVENTS',
    eventsSubject: env['TONGBAN_EVENTS_SUBJECT'] ?? 'tickets.events',
    namespace: env['TONGBAN_NAMESPACE'] ?? 'tongban',
    addresses,
    port: Number(env['PORT'] ?? 8080),
    host: env['HOST'] || '127.0.0.1',
    ...(env['TONGBAN_GRPC_HOST'] ? { grpcHost: env['TONGBAN_GRPC_HOST'] } : {}),
    ...(env['TONGBAN_HEALTH_PORT'] !== undefined && env['TONGBAN_HEALTH_PORT'] !== '' ? { healthPort: portNumber(env, 'TONGBAN_HEALTH_PORT') } : {}),
    pollMs: positiveNumber(env, 'TONGBAN_POLL_MS', 1000),
    autoCloseDays: positiveNumber(env, 'TONGBAN_AUTO_CLOSE_DAYS', 7),
    maxExtensionHours: positiveNumber(env, 'TONGBAN_MAX_EXTENSION_HOURS', DEFAULT_WORKFLOW_SETTINGS.maxExtensionHours),
    callbackDueWorkingDays: positiveNumber(env, 'TONGBAN_CALLBACK_DUE_DAYS', 3),
    callbackMaxAttempts: positiveNumber(env, 'TONGBAN_CALLBACK_MAX_ATTEMPTS', 3),
    rectificationWorkingDays: positiveNumber(env, 'TONGBAN_RECTIFICATION_DAYS', 15),
    callbackBy: callbackAssignee(env),
    ...(env['TONGBAN_SLA_CONFIG'] ? { slaConfigPath: env['TONGBAN_SLA_CONFIG'] } : {}),
    ...(env['TONGBAN_SLA_POLICY_SET'] ? { slaPolicySet: env['TONGBAN_SLA_POLICY_SET'] } : {}),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    natsReplicas: replicas(env),
    consumerLagWarnSeconds: positiveNumber(env, 'TONGBAN_CONSUMER_LAG_WARN_SECONDS', 30),
    relayLagMaxSeconds: positiveNumber(env, 'TONGBAN_RELAY_LAG_MAX_SECONDS', 30),
  };
}
