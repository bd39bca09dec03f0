import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';

/** The processes of the platform: six services, the relay role and the gateway. */
export const PROCESSES = ['intake', 'routing', 'casework', 'deadline', 'notification', 'query', 'relay', 'gateway'] as const;

/** A process name. */
export type ProcessName = (typeof PROCESSES)[number];

const ROOT = join(__dirname, '..');

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Environment for every process (DATABASE_URL, NATS_URL, TONGBAN_* …), merged over process.env. */
  env?: NodeJS.ProcessEnv;
  /** Pick free ports for the gateway and every gRPC service (for tests running side by side). */
  randomPorts?: boolean;
  /** Where process output goes: 'inherit' (the terminal) or a function per line. */
  output?: 'inherit' | ((name: ProcessName, line: string) => void);
  /** How long to wait for every process to be ready, ms (default 60 s). */
  readyTimeoutMs?: number;
}

/** A running stack. */
export interface Stack {
  gatewayUrl: string;
  env: NodeJS.ProcessEnv;
  /** Stops every process (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Kills one process with a signal (e.g. SIGKILL to simulate a crash). */
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed process again and waits until it is ready. */
  restart(name: ProcessName): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Creates the database named in `url` when it does not exist (connecting to the `postgres` database). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
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
 * tsx) and resolves when all are ready: a service when it reports {ready} over IPC, the gateway when
 * GET /healthz answers.
 * @throws Error when a process exits or is not ready in time (the others are stopped first).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  env['DATABASE_URL'] ??= 'postgres://postgres@127.0.0.1:5432/tongban';
  if (options.randomPorts) {
    for (const name of ['INTAKE', 'ROUTING', 'CASEWORK', 'DEADLINE', 'NOTIFICATION', 'QUERY']) env[`${name}_ADDR`] = `127.0.0.1:${await freePort()}`;
    env['PORT'] = String(await freePort());
  }
  env['PORT'] ??= '8080';
  await ensureDatabase(env['DATABASE_URL']);
  const host = env['HOST'] && env['HOST'] !== '0.0.0.0' ? env['HOST'] : '127.0.0.1';
  const gatewayUrl = `http://${host}:${env['PORT']}`;
  const children = new Map<ProcessName, ChildProcess>();
  const timeout = options.readyTimeoutMs ?? 60_000;

  const launch = (name: ProcessName) => new Promise<void>((resolve, reject) => {
    const entry = join(ROOT, 'services', name, 'src', 'main.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    children.set(name, child);
    let ready = false;
    const timer = setTimeout(() => { if (!ready) reject(new Error(`${name} not ready within ${timeout} ms`)); }, timeout);
    const onLine = (line: string) => {
      if (options.output === 'inherit') process.stdout.write(`[${name}] ${line}\n`);
      else options.output?.(name, line);
    };
    child.on('message', (message: { ready?: string }) => {
      if (!ready && message.ready === name) { ready = true; clearTimeout(timer); resolve(); }
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

  const stopOne = async (name: ProcessName, signal: NodeJS.Signals = 'SIGTERM') => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(force); resolve(); });
      child.kill(signal);
    });
  };
  const stop = async () => { await Promise.all([...children.keys()].map((n) => stopOne(n))); };

  try {
    await Promise.all(PROCESSES.filter((p) => p !== 'gateway').map(launch));
    await launch('gateway');
  } catch (err) {
    await stop();
    throw err;
  }
  return { gatewayUrl, env, stop, kill: stopOne, restart: launch };
}
