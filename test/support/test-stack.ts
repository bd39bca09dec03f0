import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { signToken, signingKey } from '@tongban/auth';
import { loadReferenceData, seededStaff } from '@tongban/reference-data';
import { DEV_JWT_SECRET } from '@tongban/runtime';
import { createTestDatabase, natsUrl, uniqueName, waitFor } from '@tongban/testing';
import { type ProcessName, type Stack, startStack } from '../../scripts/stack';

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
  /** A token for the seeded staff member (same rules as `npm run token`). */
  staffToken(role: string, division: string, department?: string): Promise<string>;
  /** A new citizen device and its token (POST /api/v1/devices). */
  device(): Promise<{ deviceId: string; token: string }>;
  /** Sets the platform's test clock (PUT /api/v1/test/clock). */
  setClock(instant: string): Promise<void>;
  /** Polls GET /api/v1/tickets/{id} until `predicate` holds. */
  waitForTicket(id: string, token: string, predicate: (view: any) => boolean, timeoutMs?: number): Promise<any>;
  kill(name: ProcessName, signal?: NodeJS.Signals): Promise<void>;
  restart(name: ProcessName): Promise<void>;
  stop(): Promise<void>;
}

const ref = loadReferenceData();
const key = signingKey(DEV_JWT_SECRET);

/** Starts the stack with the test clock on, each process a real process, against real NATS and PostgreSQL. */
export async function startTestStack(extraEnv: NodeJS.ProcessEnv = {}): Promise<TestStack> {
  const db = await createTestDatabase();
  const ns = uniqueName('e2e').replace(/[^A-Za-z0-9_]/g, '_');
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: db.url,
    NATS_URL: natsUrl(),
    TONGBAN_TEST_CLOCK: '1',
    TONGBAN_NAMESPACE: ns,
    TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`,
    TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
    TONGBAN_POLL_MS: '50',
    TONGBAN_JWT_SECRET: DEV_JWT_SECRET,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const logs: string[] = [];
  let stack: Stack;
  try {
    const echo = process.env['TONGBAN_TEST_LOGS'] === '1';
    stack = await startStack({ env, randomPorts: true, output: (name, line) => {
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
      logs.push(`[${name}] ${line}`);
      if (logs.length > 2000) logs.shift();
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
  return {
    url: stack.gatewayUrl,
    api,
    staffToken: (role, division, department) => signToken(seededStaff(ref, role, division, department), key, new Date()),
    async device() {
      const res = await api('POST', '/api/v1/devices');
      if (res.status !== 201) throw new Error(`device: ${res.status} ${JSON.stringify(res.body)}`);
      return { deviceId: res.body.deviceId, token: res.body.token };
    },
    async setClock(instant) {
      const res = await api('PUT', '/api/v1/test/clock', { body: { now: instant } });
      if (res.status !== 200) throw new Error(`clock: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async waitForTicket(id, token, predicate, timeoutMs = 15_000) {
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
    },
    kill: (name, signal) => stack.kill(name, signal),
    restart: (name) => stack.restart(name),
    async stop() {
      await stack.stop();
      const nc = await connect({ servers: natsUrl() });
      const jsm = await jetstreamManager(nc);
      for (const s of [`${ns}_EVENTS`, `${ns}_EVENTS_DEADLETTER`, `KV_${ns}_test_clock`]) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
      await db.drop();
    },
  };
}
