import type { NatsConnection } from '@nats-io/transport-node';
import type { VerificationKeys } from '@tongban/auth';
import { readFileSync } from 'node:fs';
import { DEFAULT_SLA_CONFIG, DEFAULT_WORKFLOW_SETTINGS, POLICY_SETS, SlaConfigError, type Clock, type SlaConfig, type WorkflowSettings, parseSlaConfig } from '@tongban/domain';
import { createPool, isTransientError, type EventStore } from '@tongban/eventstore';
import { connectNats } from '@tongban/messaging';
import { loadReferenceData, type ReferenceData } from '@tongban/reference-data';
import type pg from 'pg';
import { TestClock, followTestClock, systemClock } from './clock';
import { ConfigError, loadConfig, type Config } from './config';
import { isProcessName, loadSettings } from './settings';
import { Health, startHealthServer } from './health';
import { identityVerificationKeys } from './identity-keys';
import { createLogger, type Logger } from './logger';
import { startHeartbeat } from './heartbeat';
import { gracefulShutdown } from './shutdown';
import { measuredEventStore } from './metrics';
import { eventStoreChoice, openEventStore } from './event-store';

/** What a service process holds: configuration, connections, the clock, reference data. */
export interface ServiceHost {
  name: string;
  config: Config;
  log: Logger;
  clock: Clock;
  pool: pg.Pool;
  store: EventStore;
  nc: NatsConnection;
  ref: ReferenceData;
  /**
   * Token verification keys: the public keys of identity (IDENTITY_ADDR), fetched on first use and
   * cached; identity itself replaces them with its own.
   */
  keys: VerificationKeys;
  /** Workflow settings (auto-close window, extension cap) from configuration. */
  settings: WorkflowSettings;
  /** SLA configuration for new tickets (TONGBAN_SLA_CONFIG, validated at start; else the shipped one). */
  slaConfig: SlaConfig;
  /**
   * Readiness checks of this process (PostgreSQL and NATS from the start; services add theirs), served
   * by the HTTP health listener (TONGBAN_HEALTH_PORT) and the gRPC health service.
   */
  health: Health;
  /** Process-specific fields of its NATS heartbeat (the relay sets its leadership and lag); set by `main`. */
  heartbeatDetail?: () => Promise<Record<string, unknown>>;
  /** Registers a function run on clock changes (test clock only). */
  onClockChange(listener: () => void): void;
  /** Registers a shutdown step; steps run in reverse order. */
  onStop(step: () => Promise<void> | void): void;
  /** Stops everything registered, then closes the connections. */
  stop(): Promise<void>;
}

/**
 * Connects a service process: PostgreSQL, the event store (TONGBAN_EVENT_STORE: PostgreSQL, whose migrations
 * run at start, or KurrentDB), NATS, reference data, and the clock — the settable test clock only when TONGBAN_TEST_CLOCK=1.
 * @throws the connection error when PostgreSQL or NATS is unreachable.
 */
export async function startServiceHost(name: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceHost> {
  // Issue 12 item 1: the process's declared schema, validated once before anything is connected.
  if (isProcessName(name)) loadSettings(name, env);
  const config = loadConfig(env);
  const storeChoice = eventStoreChoice(name, env);
  const log = createLogger(name, config.logLevel);
  const ref = loadReferenceData();
  const slaConfig = withPolicySet(config.slaConfigPath ? loadSlaConfig(config.slaConfigPath, ref) : DEFAULT_SLA_CONFIG, config.slaPolicySet);
  const testClock = config.testClock ? new TestClock() : undefined;
  const clock: Clock = testClock ?? systemClock;
  // Guarded: a lost connection fails the pending query (answered UNAVAILABLE, retried by consumers)
  // instead of ending the process; the pool reconnects when PostgreSQL is back.
  const pool = createPool(config.databaseUrl, { max: 10, onError: (err) => log.warn({ err: err.message }, 'PostgreSQL connection lost') });
  // Started while a dependency is briefly away (a restart): wait for it instead of exiting.
  const store = measuredEventStore(await untilAvailable(storeChoice.kind === 'kurrentdb' ? 'KurrentDB' : 'PostgreSQL', () => openEventStore(storeChoice, pool, clock), log));
  const nc = await untilAvailable('NATS', () => connectNats(config.natsUrl, { name: `tongban-${name}` }), log);
  const health = new Health();
  health.add('postgresql', async () => { await pool.query('SELECT 1'); });
  // A connection that reconnects forever is never closed during an outage: ask for a round trip.
  health.add('nats', async () => {
    if (nc.isClosed()) throw new Error(`connection to ${config.natsUrl} closed`);
    await nc.rtt();
  });
  const listeners: (() => void)[] = [];
  const stops: (() => Promise<void> | void)[] = [];
  const remoteKeys = identityVerificationKeys(config.addresses.identity);
  stops.push(() => remoteKeys.close());
  if (testClock) {
    // A just-created replicated bucket (a cluster electing its leaders) answers with timeouts for a while.
    const unfollow = await untilAvailable('the test clock bucket', () => followTestClock(nc, testClock, name, config.namespace, {
      onChange: () => listeners.forEach((l) => l()), replicas: config.natsReplicas,
    }), log);
    stops.push(unfollow);
    log.warn('TEST CLOCK ENABLED (TONGBAN_TEST_CLOCK=1): time can be set through the gateway');
  }
  const host: ServiceHost = {
    name, config, log, clock, pool, store, nc,
    ref,
    keys: remoteKeys.keys,
    settings: {
      ...DEFAULT_WORKFLOW_SETTINGS, autoCloseDays: config.autoCloseDays, maxExtensionHours: config.maxExtensionHours,
      callbackDueWorkingDays: config.callbackDueWorkingDays, callbackMaxAttempts: config.callbackMaxAttempts, rectificationWorkingDays: config.rectificationWorkingDays,
      callbackBy: config.callbackBy,
    },
    slaConfig,
    health,
    onClockChange: (l) => void listeners.push(l),
    onStop: (s) => void stops.push(s),
    async stop() {
      for (const step of stops.reverse()) {
        try { await step(); } catch (err) { log.warn({ err }, 'error while stopping'); }
      }
      await nc.drain().catch(() => undefined);
      // PostgreSQL: the pool is ours, not the store's (a no-op); KurrentDB: disposes of the client.
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
  return host;
}

/** How long a starting service waits for PostgreSQL or NATS to come back before giving up, ms. */
export const STARTUP_WAIT_MS = 120_000;

/**
 * Runs `attempt` until it succeeds; a transient failure (see `isTransientError`) is logged and retried
 * with backoff (0.5 s … 5 s) for up to `forMs`, anything else is thrown at once.
 * @throws the last error after `forMs`, or the first deterministic one.
 */
export async function untilAvailable<T>(what: string, attempt: () => Promise<T>, log: Logger, forMs = STARTUP_WAIT_MS): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransientError(err) || Date.now() > deadline) throw err;
      log.warn({ err: err instanceof Error ? err.message : String(err), attempt: n }, '%s unavailable at start; retrying', what);
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * n, 5000)));
    }
  }
}

/**
 * Reads and validates an SLA configuration file against the catalogue's policy.
 * @throws SlaConfigError (unknown calendar, invalid hours) or the read/JSON error, naming the file.
 */
export function loadSlaConfig(path: string, ref: ReferenceData): SlaConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`TONGBAN_SLA_CONFIG: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return parseSlaConfig(json, ref.catalogue.slaPolicy);
}

/**
 * The configuration with the policy set named by TONGBAN_SLA_POLICY_SET (issue 14 item 1), if any.
 * @throws SlaConfigError for a set that is not shipped (POLICY_SETS), so the process does not start.
 */
export function withPolicySet(config: SlaConfig, policySet: string | undefined): SlaConfig {
  if (!policySet) return config;
  if (!POLICY_SETS[policySet]) throw new SlaConfigError([`TONGBAN_SLA_POLICY_SET: unknown policy set "${policySet}" (known: ${Object.keys(POLICY_SETS).join(', ')})`]);
  return { ...config, policySet };
}

/**
 * Runs `main` and stops the host cleanly (see `gracefulShutdown`: SIGINT/SIGTERM, the supervisor gone, an
 * uncaught error; at most 10 s); exits 1 with one line naming the failure when start fails.
 */
export function runService(name: string, main: (host: ServiceHost) => Promise<void>): void {
  void (async () => {
    let host: ServiceHost | undefined;
    const early = createLogger(name);
    gracefulShutdown(early, async () => { await host?.stop(); });
    try {
      host = await startServiceHost(name);
      let started = false;
      host.health.add('started', () => { if (!started) throw new Error('starting'); });
      let healthPort: number | undefined;
      if (host.config.healthPort !== undefined) {
        const listener = await startHealthServer(host.config.healthPort, host.config.grpcHost ?? '127.0.0.1', host.health, host.log);
        healthPort = listener.port;
        host.onStop(listener.stop);
        host.log.info({ healthPort: listener.port }, 'health listener on /healthz, /readyz, /metrics');
      }
      await main(host);
      started = true;
      host.onStop(startHeartbeat(host.nc, host.config.namespace, name, host.health, host.heartbeatDetail));
      host.log.info('%s started', name);
      // Tells a supervising parent (scripts/stack.ts) that this process is ready, whatever the log level,
      // and where its health listener is (TONGBAN_HEALTH_PORT=0: a free port).
      process.send?.({ ready: name, ...(healthPort !== undefined ? { healthPort } : {}) });
    } catch (err) {
      console.error(`${name} failed to start: ${startFailure(err)}`);
      if (process.env['LOG_LEVEL'] === 'debug') console.error(err);
      await host?.stop().catch(() => undefined);
      process.exit(1);
    }
  })();
}

/** One line for a start failure: a ConfigError's message, else the error's code and message. */
export function startFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof ConfigError) return err.message;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
