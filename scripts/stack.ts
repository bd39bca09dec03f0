import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { connectNats } from '@tongban/messaging';
import { ConfigError, PROCESS_NAMES, SERVICE_NAMES, loadSettings } from '@tongban/runtime';
import { checkNotificationSettings } from '../services/notification/src/settings-check';
import { freePort } from '@tongban/testing';
import pg from 'pg';

export { freePort };

/** The processes of the platform: seven services, the relay role and the gateway. */
export const PROCESSES = ['identity', 'intake', 'routing', 'casework', 'deadline', 'notification', 'query', 'relay', 'gateway'] as const;

/** A process name. */
export type ProcessName = (typeof PROCESSES)[number];

const ROOT = join(__dirname, '..');

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Environment for every process (DATABASE_URL, NATS_URL, TONGBAN_* …), merged over process.env. */
  env?: NodeJS.ProcessEnv;
  /** Pick free ports for the gateway (unless env.PORT is given) and every gRPC service (for tests running side by side). */
  randomPorts?: boolean;
  /** Where process output goes: 'inherit' (the terminal) or a function per line. */
  output?: 'inherit' | ((name: string, line: string) => void);
  /** How long to wait for every process to be ready, ms (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * Called when a process exits after start without being told to (a crash); `npm start` stops the
   * whole stack then. Not called for kill()/stop().
   */
  onUnexpectedExit?: (exit: { name: string; code: number | null; signal: NodeJS.Signals | null }) => void;
  /**
   * A folder of compiled entries (`npm run build:dist`: `<folder>/<process>.js`) to run with plain
   * `node` instead of the TypeScript sources with tsx — what the production image runs.
   */
  compiled?: string;
  /** Extra arguments for node before the entry of every process (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: readonly string[];
}

/** A start refused before any process ran: one line naming the setting and what is wrong. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/** A URL with its password replaced by `***`, for messages. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** How long each dependency check of {@link preflight} waits, ms. */
export const PREFLIGHT_TIMEOUT_MS = 5000;

/** Resolves when `port` can be bound on `host`, rejects with the error code (EADDRINUSE …) otherwise. */
function canBind(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Checks before starting anything, each failure one line naming the setting: every process's settings
 * (loadSettings, and the notification service's webhooks, unit contacts and SMS settings in full),
 * the gateway's PORT and every service's *_ADDR port are free (EADDRINUSE → "PORT=8080: port already in
 * use"), PostgreSQL (DATABASE_URL) and NATS (NATS_URL) answer within {@link PREFLIGHT_TIMEOUT_MS}.
 * The database named in DATABASE_URL is created when missing.
 * @throws StartError naming the variable, its value (password masked) and the cause.
 */
export async function preflight(env: NodeJS.ProcessEnv, options: { ports?: boolean } = {}): Promise<void> {
  // Every process's declared settings (issue 12 item 1), before anything is bound or connected.
  for (const name of PROCESS_NAMES) {
    try {
      loadSettings(name, env);
    } catch (err) {
      throw err instanceof ConfigError ? new StartError(err.message) : err;
    }
  }
  // The notification service's structured settings in full (webhooks, unit contacts, SMS), as it checks them at start.
  try {
    checkNotificationSettings(env);
  } catch (err) {
    throw new StartError(`notification: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (options.ports !== false) {
    const wanted: [string, string, number][] = [['PORT', env['HOST'] ?? '0.0.0.0', Number(env['PORT'] ?? 8080)]];
    for (const name of SERVICE_NAMES) {
      if (name === 'deadline') continue; // opens no gRPC port
      const variable = `${name.toUpperCase()}_ADDR`;
      const addr = env[variable];
      if (!addr) continue;
      const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
      wanted.push([variable, env['TONGBAN_GRPC_HOST'] ?? addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, ''), port]);
    }
    for (const [variable, host, port] of wanted) {
      await canBind(host, port).catch((err: Error) => {
        const value = variable === 'PORT' ? String(port) : env[variable];
        throw new StartError(`${variable}=${value}: ${err.message === 'EADDRINUSE' ? `port ${port} already in use (another Tongban or program)` : `cannot listen on ${host}:${port} (${err.message})`}`);
      });
    }
  }
  const databaseUrl = env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/tongban';
  await ensureDatabase(databaseUrl).catch((err: Error & { code?: string }) => {
    const u = new URL(databaseUrl);
    throw new StartError(`DATABASE_URL=${maskUrl(databaseUrl)}: PostgreSQL unreachable at ${u.hostname}:${u.port || 5432} (${err.code ?? err.message})`);
  });
  const natsUrl = env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const nc = await connectNats(natsUrl, { name: 'tongban-start', timeout: PREFLIGHT_TIMEOUT_MS, maxReconnectAttempts: 0, reconnect: false }).catch((err: Error & { code?: string }) => {
    throw new StartError(`NATS_URL=${maskUrl(natsUrl)}: NATS unreachable (${err.code ?? err.message})`);
  });
  await nc.close();
}

/** A running stack. */
export interface Stack {
  gatewayUrl: string;
  env: NodeJS.ProcessEnv;
  /** Stops every process (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Kills one process with a signal (e.g. SIGKILL to simulate a crash). */
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal to a running process without waiting (e.g. SIGSTOP/SIGCONT to freeze one); false when it is not running. */
  signal(name: ProcessName, signal: NodeJS.Signals): boolean;
  /** Starts a killed process again and waits until it is ready. */
  restart(name: ProcessName): Promise<void>;
  /**
   * Starts another replica of a service (its own gRPC port unless `env` sets one), ready when this
   * resolves; `stop()` stops it too. Returns its replica name, e.g. `notification#2`.
   */
  addReplica(name: Exclude<ProcessName, 'gateway'>, env?: NodeJS.ProcessEnv): Promise<string>;
  /** Processes that exited without being told to (not by kill()/stop()): what a supervisor would restart. */
  unexpectedExits(): { name: string; code: number | null; signal: NodeJS.Signals | null }[];
  /**
   * The Prometheus URL of a process (or replica, `notification#2`): the gateway's `/metrics`, a service's or
   * the relay's health listener (TONGBAN_HEALTH_PORT, reported when it was ready); undefined without one.
   */
  metricsUrl(name: string): string | undefined;
}

/** Creates the database named in `url` when it does not exist (connecting to the `postgres` database). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: PREFLIGHT_TIMEOUT_MS });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
      if (err.code !== '42P04') throw err; // created concurrently
    });
  } finally {
    await client.end();
  }
}

/**
 * Starts every process of the platform (each its own Node.js process running its TypeScript with
 * tsx, or its compiled entry: options.compiled) and resolves when all are ready: a service when it reports {ready} over IPC, the gateway when
 * GET /healthz answers.
 * @throws Error when a process exits or is not ready in time (the others are stopped first).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  env['DATABASE_URL'] ??= 'postgres://postgres@127.0.0.1:5432/tongban';
  if (options.randomPorts) {
    for (const name of ['IDENTITY', 'INTAKE', 'ROUTING', 'CASEWORK', 'DEADLINE', 'NOTIFICATION', 'QUERY']) env[`${name}_ADDR`] = `127.0.0.1:${await freePort()}`;
    // A test may choose the gateway's port itself (e.g. for a redirect URL it must know in advance).
    env['PORT'] = options.env?.['PORT'] ?? String(await freePort());
  }
  env['PORT'] ??= '8080';
  await preflight(env, { ports: !options.randomPorts });
  const host = env['HOST'] && env['HOST'] !== '0.0.0.0' ? env['HOST'] : '127.0.0.1';
  const gatewayUrl = `http://${host}:${env['PORT']}`;
  const children = new Map<string, ChildProcess>();
  const healthPorts = new Map<string, number>();
  const told = new Set<ChildProcess>();
  const exits: { name: string; code: number | null; signal: NodeJS.Signals | null }[] = [];
  const timeout = options.readyTimeoutMs ?? 60_000;

  const launch = (name: ProcessName, instance: string = name, instanceEnv: NodeJS.ProcessEnv = env) => new Promise<void>((resolve, reject) => {
    const args = [...options.nodeArgs ?? [], ...options.compiled ? [join(options.compiled, `${name}.js`)] : ['--import', 'tsx', join(ROOT, 'services', name, 'src', 'main.ts')]];
    const child = spawn(process.execPath, args, {
      cwd: ROOT, env: instanceEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.set(instance, child);
    child.once('exit', (code, signal) => {
      if (told.has(child)) return;
      exits.push({ name: instance, code, signal });
      if (ready) options.onUnexpectedExit?.({ name: instance, code, signal });
    });
    let ready = false;
    const timer = setTimeout(() => { if (!ready) reject(new Error(`${name} not ready within ${timeout} ms`)); }, timeout);
    const onLine = (line: string) => {
      if (options.output === 'inherit') process.stdout.write(`[${instance}] ${line}\n`);
      else options.output?.(instance, line);
    };
    child.on('message', (message: { ready?: string; healthPort?: number }) => {
      if (!ready && message.ready === name) {
        if (message.healthPort !== undefined) healthPorts.set(instance, message.healthPort);
        ready = true; clearTimeout(timer); resolve();
      }
    });
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    child.once('exit', (code, signal) => {
      if (!ready) { clearTimeout(timer); reject(new Error(`${name} exited (${code ?? signal}) before it was ready`)); }
    });
    if (name === 'gateway') {
      const poll = async () => {
        while (!ready && child.exitCode === null) {
          try {
            const res = await fetch(`${gatewayUrl}/healthz`);
            if (res.ok) { ready = true; clearTimeout(timer); resolve(); return; }
          } catch { /* not listening yet */ }
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      void poll();
    }
  });

  const stopOne = async (name: string, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    told.add(child);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(force); resolve(); });
      child.kill(signal);
    });
  };
  const stop = async () => { await Promise.all([...children.keys()].map((n) => stopOne(n))); };

  try {
    await Promise.all(PROCESSES.filter((p) => p !== 'gateway').map((p) => launch(p)));
    await launch('gateway');
  } catch (err) {
    await stop();
    throw err;
  }
  let replicas = 1;
  const addReplica = async (name: Exclude<ProcessName, 'gateway'>, extra: NodeJS.ProcessEnv = {}): Promise<string> => {
    replicas += 1;
    const instance = `${name}#${replicas}`;
    const addr = `${name.toUpperCase()}_ADDR`;
    const instanceEnv = { ...env, ...(name === 'relay' ? {} : { [addr]: `127.0.0.1:${await freePort()}` }), ...extra };
    await launch(name, instance, instanceEnv);
    return instance;
  };
  return {
    gatewayUrl, env, stop, kill: stopOne, restart: (name) => launch(name), addReplica,
    signal: (name, signal) => {
      const child = children.get(name);
      return !!child && child.exitCode === null && child.signalCode === null && child.kill(signal);
    },
    unexpectedExits: () => [...exits],
    metricsUrl: (name) => {
      if (name === 'gateway') return `${gatewayUrl}/metrics`;
      const port = healthPorts.get(name);
      return port === undefined ? undefined : `http://127.0.0.1:${port}/metrics`;
    },
  };
}
