import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { signToken, type SigningKey } from '@tongban/auth';
import { createPool } from '@tongban/eventstore';
import { loadReferenceData, seededStaff } from '@tongban/reference-data';
import { createTestDatabase, natsUrl, uniqueName, waitFor } from '@tongban/testing';
import pg from 'pg';
import { type ProcessName, type Stack, startStack } from '../../scripts/stack';
import { loadKeyRing } from '../../services/identity/src/signing-keys';

/** An HTTP answer: status, headers and the parsed body. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A whole platform started for one test file: fresh database, isolated NATS stream and namespace. */
export interface TestStack {
  url: string;
  /** Calls the gateway through a real socket. */
  api<T = any>(method: string, path: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  /**
   * A token for the seeded staff member (same rules as `npm run token`); with `id`, for another person in
   * the same role and unit (e.g. a second officer of a township).
   */
  staffToken(role: string, division: string, department?: string, id?: string): Promise<string>;
  /** A new citizen device and its token (POST /api/v1/devices). */
  device(): Promise<{ deviceId: string; token: string }>;
  /** Sets the platform's test clock (PUT /api/v1/test/clock). */
  setClock(instant: string): Promise<void>;
  /** Submits a report (water supply, 513431) with a device `token` (201 expected) and waits until it is routed; its id. */
  submitRouted(token: string): Promise<string>;
  /**
   * Polls GET /api/v1/tickets/{id} until `predicate` holds. The answer is read from the stream when the read model is
   * behind, and a submission is routed in its own append: `status === 'routed'` does not show the event pipeline at
   * work — {@link waitForProjected} does.
   */
  waitForTicket(id: string, token: string, predicate: (view: any) => boolean, timeoutMs?: number): Promise<any>;
  /** Polls the read model (ticket_views) until the ticket is there, routed: its events went through the relay, NATS and query. */
  waitForProjected(id: string, timeoutMs?: number): Promise<void>;
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  restart(name: ProcessName): Promise<void>;
  /** See Stack.signal (SIGSTOP/SIGCONT to freeze a process). */
  signal: Stack['signal'];
  /** See Stack.addReplica. */
  addReplica: Stack['addReplica'];
  /** Processes that exited without being told to. */
  unexpectedExits: Stack['unexpectedExits'];
  /** See Stack.metricsUrl (start the stack with TONGBAN_HEALTH_PORT=0 for the services' and relay's). */
  metricsUrl: Stack['metricsUrl'];
  /** The last lines of every process's output (at most 2000), `[name] line`. */
  logs(): string[];
  /** The environment every process got (DATABASE_URL, NATS_URL, TONGBAN_NAMESPACE, …). */
  env: NodeJS.ProcessEnv;
  /**
   * A pool on the stack's database for the test's own queries (at most `max` connections, default 2).
   * A lost connection (a PostgreSQL restart, the database dropped) is not an unhandled error; `stop()`
   * ends the pool before the database is dropped.
   */
  pool(max?: number): pg.Pool;
  /** Stops the processes, ends the pools of `pool()`, deletes the streams and drops the database. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startTestStack} beside the environment. */
export interface TestStackOptions {
  /** Server on which the test database is created (default: the shared test server). */
  databaseBaseUrl?: string;
  /** Lines kept by logs() (default 2000). */
  keepLogLines?: number;
  /** Run the compiled entries of this folder (`npm run build:dist`) instead of the sources with tsx. */
  compiled?: string;
}

const ref = loadReferenceData();

/** How long a stack may take to start, ms: generous, since test files start stacks side by side on busy machines. */
export const STACK_START_TIMEOUT_MS = 150_000;

/**
 * Every stack started by this test file, finished starting or not. A `beforeAll` that times out leaves
 * its start running; without this the processes would outlive the file (and keep jest from exiting).
 */
const starts = new Set<Promise<TestStack | undefined>>();
afterAll(async () => {
  for (const start of starts) await (await start)?.stop();
}, STACK_START_TIMEOUT_MS + 30_000);

/**
 * Starts the stack with the test clock on, each process a real process, against real NATS and PostgreSQL.
 * Stopped when the test file ends even when the test forgot to (or its `beforeAll` gave up waiting).
 */
export function startTestStack(extraEnv: NodeJS.ProcessEnv = {}, options: TestStackOptions = {}): Promise<TestStack> {
  const start = launchTestStack(extraEnv, options);
  starts.add(start.catch(() => undefined));
  return start;
}

async function launchTestStack(extraEnv: NodeJS.ProcessEnv, options: TestStackOptions): Promise<TestStack> {
  const db = await createTestDatabase(options.databaseBaseUrl);
  const ns = uniqueName('e2e').replace(/[^A-Za-z0-9_]/g, '_');
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: db.url,
    NATS_URL: natsUrl(),
    TONGBAN_TEST_CLOCK: '1',
    TONGBAN_NAMESPACE: ns,
    TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`,
    TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
    TONGBAN_POLL_MS: '50',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const logs: string[] = [];
  let stack: Stack;
  try {
    const echo = process.env['TONGBAN_TEST_LOGS'] === '1';
    stack = await startStack({ env, randomPorts: true, ...(options.compiled ? { compiled: options.compiled } : {}), readyTimeoutMs: STACK_START_TIMEOUT_MS, output: (name, line) => {
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
      logs.push(`[${name}] ${line}`);
      if (logs.length > (options.keepLogLines ?? 2000)) logs.shift();
    } });
  } catch (err) {
    console.error(logs.slice(-50).join('\n'));
    await db.drop();
    throw err;
  }
  const api = async (method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${stack.gatewayUrl}${path}`, {
      method, headers, ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body: body as any };
  };
  // Staff tokens are signed as `npm run token` signs them: with the installation key that identity
  // generated in the database the stack runs on (its own, or the test's DATABASE_URL; or TONGBAN_JWT_SECRET
  // when the test sets one).
  let signing: Promise<SigningKey> | undefined;
  const signingKey = () => {
    signing ??= (async () => {
      const pool = createPool(env['DATABASE_URL'] ?? db.url, { max: 1 });
      try {
        return (await loadKeyRing(env, pool)).signing;
      } finally {
        await pool.end();
      }
    })();
    return signing;
  };
  const waitForTicket: TestStack['waitForTicket'] = async (id, token, predicate, timeoutMs = 15_000) => {
    let last: unknown;
    try {
      return await waitFor(async () => {
        const res = await api('GET', `/api/v1/tickets/${id}`, { token });
        last = res.body;
        return res.status === 200 && predicate(res.body) ? res.body : undefined;
      }, { timeoutMs, intervalMs: 50 });
    } catch (err) {
      throw new Error(`ticket ${id} never matched; last view: ${JSON.stringify(last)}`, { cause: err });
    }
  };
  let stopped = false;
  const pools: pg.Pool[] = [];
  return {
    url: stack.gatewayUrl,
    api,
    staffToken: async (role, division, department, id) =>
      signToken({ ...seededStaff(ref, role, division, department), ...(id ? { id } : {}) }, await signingKey(), new Date()),
    async device() {
      const res = await api('POST', '/api/v1/devices');
      if (res.status !== 201) throw new Error(`device: ${res.status} ${JSON.stringify(res.body)}`);
      return { deviceId: res.body.deviceId, token: res.body.token };
    },
    async setClock(instant) {
      const res = await api('PUT', '/api/v1/test/clock', { body: { now: instant } });
      if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async submitRouted(token) {
      const res = await api('POST', '/api/v1/tickets', {
        token, body: { service_code: 'water-supply', division: '513431', title: '停水三天', description: '村里停水三天了。' },
      });
      if (res.status !== 201) throw new Error(`submission: ${res.status} ${JSON.stringify(res.body)}`);
      await waitForTicket(res.body.id, token, (v) => v.status === 'routed');
      return res.body.id as string;
    },
    waitForTicket,
    async waitForProjected(id, timeoutMs = 15_000) {
      const pool = new pg.Pool({ connectionString: env['DATABASE_URL'], max: 1 });
      pool.on('error', () => undefined);
      try {
        await waitFor(async () => (await pool.query("SELECT 1 FROM ticket_views WHERE ticket_id = $1 AND status = 'routed'", [id])).rowCount === 1 || undefined,
          { timeoutMs, intervalMs: 50, description: `ticket ${id} projected, routed` });
      } finally {
        await pool.end();
      }
    },
    kill: (name, signal) => stack.kill(name, signal),
    restart: (name) => stack.restart(name),
    signal: (name, signal) => stack.signal(name, signal),
    addReplica: (name, replicaEnv) => stack.addReplica(name, replicaEnv),
    unexpectedExits: () => stack.unexpectedExits(),
    metricsUrl: (name) => stack.metricsUrl(name),
    logs: () => [...logs],
    env,
    pool(max = 2) {
      // The stack's database: the one given as DATABASE_URL (e.g. an Open311 test's own), else the one created here.
      const pool = new pg.Pool({ connectionString: env['DATABASE_URL'], max });
      // Idle clients see the server go away (restarts in resilience tests, the drop at the end).
      pool.on('error', () => undefined);
      pools.push(pool);
      return pool;
    },
    async stop() {
      if (stopped) return; // idempotent: the file's own afterAll and the safety net above
      stopped = true;
      await stack.stop();
      // The safety net above may run before the file's own afterAll: end the test's clients first.
      await Promise.all(pools.map((p) => (p.ended ? undefined : p.end().catch(() => undefined))));
      const nc = await connect({ servers: (env['NATS_URL'] ?? natsUrl()).split(',') });
      const jsm = await jetstreamManager(nc);
      for (const s of [`${ns}_EVENTS`, `${ns}_EVENTS_DEADLETTER`, `KV_${ns}_test_clock`]) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
      await db.drop();
    },
  };
}
