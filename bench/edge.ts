/**
 * `npm run bench:edge` (issue 13; not part of npm test): the CPU of the submission's request plumbing
 * alone — the gateway (fastify, authentication, validation, rate limits, metrics, the gRPC client) and
 * a service's gRPC side (grpc-js server, `unary`: token verification, handling context, metrics) —
 * without PostgreSQL, NATS or the submission's business logic, so that a change to the edge can be
 * measured in seconds on a busy machine.
 *
 * Three processes: this one (the load: `POST /api/v1/tickets` on 32 keep-alive connections), the
 * gateway (buildGateway, no NATS) and an upstream (fake identity and the other fakes of
 * services/gateway/src/testing, plus an intake whose SubmitTicket is the real `unary` wrapper around a
 * handler that answers at once). Prints, per round, the submissions per second and the CPU of the
 * gateway and of the upstream per submission (ms, from /proc: what holds on a shared machine).
 *
 * Environment: BENCH_EDGE_SECONDS — seconds per round (default 8); BENCH_EDGE_ROUNDS (default 3);
 * BENCH_EDGE_CONNECTIONS (default 32); BENCH_EDGE_RATE — submissions per second sent on a fixed schedule
 * (open loop, at most BENCH_EDGE_CONNECTIONS at once) instead of as fast as the answers come; BENCH_EDGE_RATE_LIMITS=1 — the default rate limits, raised so
 * that none is reached (default: off, as in bench:path); BENCH_EDGE_NODE_ARGS — node arguments of the
 * two servers (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { intake as IntakeTypes } from '@tongban/contracts';
import { nowMs, round, table } from './lib';

const role = process.argv[2];
const log = (m: string) => process.stderr.write(`[bench:edge ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** CPU ticks (user + system, 1/100 s) of a process. */
function ticksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The upstream: every fake service on one server, and intake's SubmitTicket behind the real `unary`. */
async function upstream(): Promise<void> {
  const { startFakeUpstreams } = await import('../services/gateway/src/testing/fake-upstreams');
  const { createLogger, identityVerificationKeys, startGrpcServer, unary } = await import('@tongban/runtime');
  const { intake } = await import('@tongban/contracts');
  const fakes = await startFakeUpstreams();
  // Keep no record of the calls (the fakes remember each one for the tests).
  fakes.calls.push = () => 0;
  const keys = identityVerificationKeys(fakes.address);
  const log = createLogger('intake', 'warn');
  let n = 0;
  const handler = unary(keys.keys, log, async (): Promise<IntakeTypes.SubmitTicketResponse> => ({
    ticketId: randomUUID(), reference: `LS-2026-${String(++n).padStart(6, '0')}`, revision: 1, replayed: false, status: 'routed',
  }));
  const none = unary(keys.keys, log, async () => { throw new Error('not in this benchmark'); });
  const grpc = await startGrpcServer('127.0.0.1:0', intake.IntakeServiceService, {
    submitTicket: handler, executeReporterCommand: none, verifyApiKey: none, addAttachment: none, eraseReporter: none,
  });
  process.send!({ fakes: fakes.address, intake: `127.0.0.1:${grpc.port}` });
}

/** The gateway, its upstreams at the addresses of the upstream process. */
async function gateway(): Promise<void> {
  const { buildGateway } = await import('../services/gateway/src/server');
  const { createLogger } = await import('@tongban/runtime');
  const { fakes, intake } = JSON.parse(process.env['BENCH_EDGE_UPSTREAMS']!) as { fakes: string; intake: string };
  const limits = process.env['BENCH_EDGE_RATE_LIMITS'] === '1'
    ? { perDevice: 1e9, perStaff: 1e9, perIp: 1e9, perApiKey: 1e9 }
    : { perDevice: 0, perStaff: 0, perIp: 0, perApiKey: 0 };
  const app = buildGateway({
    config: {
      addresses: { identity: fakes, intake, routing: fakes, casework: fakes, deadline: fakes, notification: fakes, query: fakes },
    },
    logger: createLogger('gateway', 'warn'),
    natsReadiness: false,
    liveFeed: false,
    swaggerUi: false,
    rateLimits: limits,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send!({ port: (app.server.address() as { port: number }).port });
}

/** Starts this file in `role` and waits for its first message. */
function child<T>(name: string, env: Record<string, string> = {}): Promise<{ process: ChildProcess; message: T }> {
  const nodeArgs = (process.env['BENCH_EDGE_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', __filename, name], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    proc.once('message', (message: T) => resolve({ process: proc, message }));
    proc.once('exit', (code) => reject(new Error(`${name} exited ${code}`)));
  });
}

const BODY = JSON.stringify({
  service_code: 'dangerous-structure', division: '513437100001', title: '西街30号围墙成危墙', description: '围墙出现裂缝，随时可能倒塌，请尽快处理。',
});

/** One POST; resolves with the status. */
function post(agent: http.Agent, port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Submissions on `connections` loops for `ms`; the count of answers 201 and of others. */
async function load(agent: http.Agent, port: number, token: string, ms: number, connections: number, rate: number): Promise<{ ok: number; failed: number }> {
  const start = nowMs();
  const until = start + ms;
  let ok = 0;
  let failed = 0;
  let sent = 0;
  const one = async () => {
    const res = await post(agent, port, '/api/v1/tickets', BODY, { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() });
    if (res.status === 201) ok++;
    else if (++failed === 1) log(`answered ${res.status}: ${res.body.slice(0, 200)}`);
  };
  if (rate > 0) {
    // Open loop: each submission at its instant (start + i / rate), whatever the answers' pace.
    const pending: Promise<void>[] = [];
    while (nowMs() < until) {
      const due = start + (sent * 1000) / rate;
      const wait = due - nowMs();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sent++;
      pending.push(one());
    }
    await Promise.all(pending);
    return { ok, failed };
  }
  await Promise.all(Array.from({ length: connections }, async () => {
    while (nowMs() < until) await one();
  }));
  return { ok, failed };
}

async function main(): Promise<void> {
  const seconds = Number(process.env['BENCH_EDGE_SECONDS'] ?? 8);
  const rounds = Number(process.env['BENCH_EDGE_ROUNDS'] ?? 3);
  const connections = Number(process.env['BENCH_EDGE_CONNECTIONS'] ?? 32);
  const rate = Number(process.env['BENCH_EDGE_RATE'] ?? 0);
  const up = await child<{ fakes: string; intake: string }>('upstream');
  const gw = await child<{ port: number }>('gateway', { BENCH_EDGE_UPSTREAMS: JSON.stringify(up.message) });
  const port = gw.message.port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  try {
    const device = await post(agent, port, '/api/v1/devices', '{}', {});
    const token = (JSON.parse(device.body) as { token: string }).token;
    log('warm-up: 3 s');
    await load(agent, port, token, 3000, connections, 0);
    const rows: Record<string, string | number>[] = [];
    for (let r = 1; r <= rounds; r++) {
      const before = { gateway: ticksOf(gw.process.pid!), upstream: ticksOf(up.process.pid!), self: process.cpuUsage(), at: nowMs() };
      const { ok, failed } = await load(agent, port, token, seconds * 1000, connections, rate);
      const elapsed = (nowMs() - before.at) / 1000;
      const gwMs = (ticksOf(gw.process.pid!) - before.gateway) * 10;
      const upMs = (ticksOf(up.process.pid!) - before.upstream) * 10;
      const self = process.cpuUsage(before.self);
      rows.push({
        round: r, 'submissions/s': round(ok / elapsed), failed,
        'gateway CPU ms/submission': round(gwMs / ok), 'upstream CPU ms/submission': round(upMs / ok),
        'load CPU ms/submission': round((self.user + self.system) / 1000 / ok),
      });
      log(JSON.stringify(rows.at(-1)));
    }
    process.stdout.write(`${table(rows)}\n`);
  } finally {
    agent.destroy();
    gw.process.kill('SIGTERM');
    up.process.kill('SIGTERM');
  }
}

// --cpu-prof writes its profile only on a normal exit.
if (role !== undefined) process.on('SIGTERM', () => process.exit(0));
if (role === 'upstream') void upstream();
else if (role === 'gateway') void gateway();
else void main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
