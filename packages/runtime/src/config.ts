import { DEFAULT_WORKFLOW_SETTINGS } from '@tongban/domain';

/** The service names of the platform, in start order. */
export const SERVICE_NAMES = ['intake', 'routing', 'casework', 'deadline', 'notification', 'query'] as const;

/** A service of the platform (the gateway is the HTTP edge, not in this list). */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Default gRPC ports, one per service. */
export const DEFAULT_GRPC_PORTS: Readonly<Record<ServiceName, number>> = {
  intake: 50051, routing: 50052, casework: 50053, deadline: 50054, notification: 50055, query: 50056,
};

/** Process configuration, from the environment (12-factor). */
export interface Config {
  /** PostgreSQL URL (DATABASE_URL), default postgres://postgres@127.0.0.1:5432/tongban. */
  databaseUrl: string;
  /** NATS URL (NATS_URL), default nats://127.0.0.1:4222. */
  natsUrl: string;
  /** HS256 secret for tokens (TONGBAN_JWT_SECRET). A development default is used when unset. */
  jwtSecret: string;
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
  /** Gateway HTTP port (PORT, default 8080) and host (HOST, default 0.0.0.0). */
  port: number;
  host: string;
  /** Poll interval of timers and the relay, ms (TONGBAN_POLL_MS, default 200). */
  pollMs: number;
  /** Days after resolution before automatic close (TONGBAN_AUTO_CLOSE_DAYS, default 7). */
  autoCloseDays: number;
  /** Total cap on announced-deadline extensions per ticket, hours (TONGBAN_MAX_EXTENSION_HOURS, default 2160 = 90 days). */
  maxExtensionHours: number;
  /**
   * Path of an SLA configuration file (TONGBAN_SLA_CONFIG; the format of packages/domain/data/calendars/sla-config.json),
   * read and validated with parseSlaConfig at start; unset: the shipped configuration.
   */
  slaConfigPath?: string;
  /** Log level (LOG_LEVEL, default info). */
  logLevel: string;
}

/** An invalid configuration value (the process does not start on it). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
}

/** A positive number from the environment, or `fallback` when unset or empty. @throws ConfigError otherwise. */
function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number (got "${raw}")`);
  return value;
}

/** The development default secret. Never used when TONGBAN_JWT_SECRET is set (the Helm chart sets it). */
export const DEV_JWT_SECRET = 'tongban-development-secret-change-me-0123456789';

/**
 * Reads the configuration from an environment map.
 * @throws ConfigError for a TONGBAN_MAX_EXTENSION_HOURS that is not a positive number.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const addresses = Object.fromEntries(
    Object.entries(DEFAULT_GRPC_PORTS).map(([name, port]) => [name, env[`${name.toUpperCase()}_ADDR`] ?? `127.0.0.1:${port}`]),
  ) as Record<ServiceName, string>;
  return {
    databaseUrl: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/tongban',
    natsUrl: env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
    jwtSecret: env['TONGBAN_JWT_SECRET'] ?? DEV_JWT_SECRET,
    testClock: env['TONGBAN_TEST_CLOCK'] === '1',
    eventsStream: env['TONGBAN_EVENTS_STREAM'] ?? 'TICKET_EVENTS',
    eventsSubject: env['TONGBAN_EVENTS_SUBJECT'] ?? 'tickets.events',
    namespace: env['TONGBAN_NAMESPACE'] ?? 'tongban',
    addresses,
    port: Number(env['PORT'] ?? 8080),
    host: env['HOST'] ?? '0.0.0.0',
    pollMs: Number(env['TONGBAN_POLL_MS'] ?? 200),
    autoCloseDays: Number(env['TONGBAN_AUTO_CLOSE_DAYS'] ?? 7),
    maxExtensionHours: positiveNumber(env, 'TONGBAN_MAX_EXTENSION_HOURS', DEFAULT_WORKFLOW_SETTINGS.maxExtensionHours),
    ...(env['TONGBAN_SLA_CONFIG'] ? { slaConfigPath: env['TONGBAN_SLA_CONFIG'] } : {}),
    logLevel: env['LOG_LEVEL'] ?? 'info',
  };
}
