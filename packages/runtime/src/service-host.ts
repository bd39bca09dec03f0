import type { NatsConnection } from '@nats-io/transport-node';
import { signingKey } from '@tongban/auth';
import { readFileSync } from 'node:fs';
import { DEFAULT_SLA_CONFIG, DEFAULT_WORKFLOW_SETTINGS, type Clock, type SlaConfig, type WorkflowSettings, parseSlaConfig } from '@tongban/domain';
import { PostgresEventStore, type EventStore } from '@tongban/eventstore';
import { connectNats } from '@tongban/messaging';
import { loadReferenceData, type ReferenceData } from '@tongban/reference-data';
import pg from 'pg';
import { TestClock, followTestClock, systemClock } from './clock';
import { loadConfig, type Config } from './config';
import { createLogger, type Logger } from './logger';

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
  /** Token verification key (HS256). */
  key: Uint8Array;
  /** Workflow settings (auto-close window, extension cap) from configuration. */
  settings: WorkflowSettings;
  /** SLA configuration for new tickets (TONGBAN_SLA_CONFIG, validated at start; else the shipped one). */
  slaConfig: SlaConfig;
  /** Registers a function run on clock changes (test clock only). */
  onClockChange(listener: () => void): void;
  /** Registers a shutdown step; steps run in reverse order. */
  onStop(step: () => Promise<void> | void): void;
  /** Stops everything registered, then closes the connections. */
  stop(): Promise<void>;
}

/**
 * Connects a service process: PostgreSQL (event store migrations run at start), NATS, reference data,
 * and the clock — the settable test clock only when TONGBAN_TEST_CLOCK=1.
 * @throws the connection error when PostgreSQL or NATS is unreachable.
 */
export async function startServiceHost(name: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceHost> {
  const config = loadConfig(env);
  const log = createLogger(name, config.logLevel);
  const ref = loadReferenceData();
  const slaConfig = config.slaConfigPath ? loadSlaConfig(config.slaConfigPath, ref) : DEFAULT_SLA_CONFIG;
  const testClock = config.testClock ? new TestClock() : undefined;
  const clock: Clock = testClock ?? systemClock;
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
  pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL client error'));
  const store = await PostgresEventStore.create(pool, clock);
  const nc = await connectNats(config.natsUrl, { name: `tongban-${name}` });
  const listeners: (() => void)[] = [];
  const stops: (() => Promise<void> | void)[] = [];
  if (testClock) {
    const unfollow = await followTestClock(nc, testClock, name, config.namespace, () => listeners.forEach((l) => l()));
    stops.push(unfollow);
    log.warn('TEST CLOCK ENABLED (TONGBAN_TEST_CLOCK=1): time can be set through the gateway');
  }
  const host: ServiceHost = {
    name, config, log, clock, pool, store, nc,
    ref,
    key: signingKey(config.jwtSecret),
    settings: { ...DEFAULT_WORKFLOW_SETTINGS, autoCloseDays: config.autoCloseDays, maxExtensionHours: config.maxExtensionHours },
    slaConfig,
    onClockChange: (l) => void listeners.push(l),
    onStop: (s) => void stops.push(s),
    async stop() {
      for (const step of stops.reverse()) {
        try { await step(); } catch (err) { log.warn({ err }, 'error while stopping'); }
      }
      await nc.drain().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
  return host;
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

/** Runs `main` and stops the host cleanly on SIGINT/SIGTERM; exits non-zero when start fails. */
export function runService(name: string, main: (host: ServiceHost) => Promise<void>): void {
  void (async () => {
    let host: ServiceHost | undefined;
    try {
      host = await startServiceHost(name);
      await main(host);
      host.log.info('%s started', name);
      // Tells a supervising parent (scripts/stack.ts) that this process is ready, whatever the log level.
      process.send?.({ ready: name });
    } catch (err) {
      console.error(`${name} failed to start`, err);
      await host?.stop();
      process.exit(1);
    }
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      host?.log.info({ signal }, 'stopping');
      await host?.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  })();
}
