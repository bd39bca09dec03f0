import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Health } from './health';

/** How often a running service process announces itself on NATS, ms. */
export const HEARTBEAT_INTERVAL_MS = 1000;

/** The subject of a process's heartbeat: `<namespace>.heartbeat.<process>`. */
export function heartbeatSubject(namespace: string, process: string): string {
  return `${namespace}.heartbeat.${process}`;
}

/**
 * What a service process announces every {@link HEARTBEAT_INTERVAL_MS} (JSON on
 * `<namespace>.heartbeat.<process>`): that it runs, whether its own checks pass, and process-specific
 * detail (the relay: `leader`, `lagSeconds`).
 */
export interface Heartbeat {
  process: string;
  /** `<hostname>:<pid>` of the replica. */
  instance: string;
  ready: boolean;
  /** Each check's `ok` or failure reason (see Health). */
  checks: Record<string, string>;
  detail?: Record<string, unknown>;
}

/**
 * Publishes this process's heartbeat until stopped. `detail` adds process-specific fields.
 * @returns a function that stops it.
 */
export function startHeartbeat(nc: NatsConnection, namespace: string, process: string, health: Health, detail?: () => Promise<Record<string, unknown>> | Record<string, unknown>): () => void {
  const instance = `${hostname()}:${globalThis.process.pid}`;
  let busy = false;
  const beat = async () => {
    if (busy) return;
    busy = true;
    try {
      // Evaluated even with NATS closed: the gRPC health status follows these reports (Health.onReport).
      const report = await health.evaluate();
      if (nc.isClosed()) return;
      const extra = detail ? await Promise.resolve(detail()).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })) : undefined;
      const message: Heartbeat = { process, instance, ready: report.ready, checks: report.checks, ...(extra ? { detail: extra } : {}) };
      nc.publish(heartbeatSubject(namespace, process), JSON.stringify(message));
    } catch {
      // NATS away: nothing to announce on; the missing heartbeat is the signal.
    } finally {
      busy = false;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
