import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, register } from 'prom-client';
import type { Logger } from './logger';

/** One readiness check: resolves when the dependency is usable, throws (the reason) when not. */
export type HealthCheck = () => Promise<void> | void;

/** The outcome of {@link Health.evaluate}: ready, and each check's `ok` or failure reason. */
export interface HealthReport {
  ready: boolean;
  checks: Record<string, string>;
}

/** How long one readiness check may take before it counts as failed, ms. */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;

/**
 * A process's readiness checks (PostgreSQL, NATS, its consumers, the relay loop …), shared by the HTTP
 * health listener (/readyz) and the gRPC `grpc.health.v1.Health` status of a service.
 */
export class Health {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly listeners = new Set<(report: HealthReport) => void>();

  /** Adds (or replaces) the check `name`. */
  add(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /**
   * Calls `listener` with every report {@link evaluate} produces (the heartbeat evaluates every second,
   * /readyz on each request), so that a status can follow the checks without running them again.
   * @returns a function removing the listener.
   */
  onReport(listener: (report: HealthReport) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Runs every check (each at most {@link HEALTH_CHECK_TIMEOUT_MS}); ready when all pass. Tells the {@link onReport} listeners. */
  async evaluate(): Promise<HealthReport> {
    const entries = await Promise.all([...this.checks].map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(check),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`)), HEALTH_CHECK_TIMEOUT_MS); }),
        ]);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, err instanceof Error ? err.message : String(err)] as const;
      } finally {
        clearTimeout(timer);
      }
    }));
    const report: HealthReport = { ready: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
    for (const listener of this.listeners) listener(report);
    return report;
  }
}

let collecting = false;

/**
 * How often the event-loop delay histogram (`nodejs_eventloop_lag_p99_seconds` …) samples, ms. prom-client's
 * default, 10, wakes an idle process 100 times a second: ~7 ms of CPU per second, against ~1.7 at 100 (issue 13).
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/** Starts prom-client's default process metrics (CPU, memory, event-loop lag, GC) once per process. */
export function collectProcessMetrics(): void {
  if (collecting) return;
  collecting = true;
  collectDefaultMetrics({ eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}

/** The HTTP health listener of a process without (or besides) a gRPC server. */
export interface HealthServer {
  server: Server;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the small HTTP listener of a service process (TONGBAN_HEALTH_PORT):
 * - GET /healthz → 200 `{"status":"ok"}` while the process runs (liveness);
 * - GET /readyz → 200 `{"status":"ready","checks":{…}}` when every check passes, else 503
 *   application/problem+json `{type, title, status, detail: "not ready: <check>: <reason>", checks}`;
 * - GET /metrics → Prometheus text of prom-client's default registry.
 * @throws Error naming TONGBAN_HEALTH_PORT when the port cannot be bound (EADDRINUSE …).
 */
export async function startHealthServer(port: number, host: string, health: Health, log?: Logger): Promise<HealthServer> {
  collectProcessMetrics();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      void health.evaluate().then((report) => {
        if (report.ready) return send(200, 'application/json', JSON.stringify({ status: 'ready', checks: report.checks }));
        const failed = Object.entries(report.checks).filter(([, v]) => v !== 'ok').map(([k, v]) => `${k}: ${v}`);
        send(503, 'application/problem+json', JSON.stringify({
          type: 'about:blank', title: 'Not ready', status: 503, code: 'not_ready', detail: `not ready: ${failed.join('; ')}`, checks: report.checks,
        }));
      });
      return undefined;
    }
    if (path === '/metrics') {
      void register.metrics().then((text) => send(200, register.contentType, text), (err: unknown) => {
        log?.error({ err }, 'metrics collection failed');
        send(500, 'text/plain', 'metrics collection failed\n');
      });
      return undefined;
    }
    return send(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(
      `TONGBAN_HEALTH_PORT=${port}: cannot listen on ${host}:${port} (${err.code ?? err.message})`, { cause: err },
    )));
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
