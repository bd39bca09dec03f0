/**
 * The platform's processes in readiness (issue 12 item 2): every service process announces itself on
 * NATS every second (`<namespace>.heartbeat.<process>`, see `startHeartbeat`); the gateway keeps the
 * latest heartbeat per process and is ready only while each is fresh, reports ready, and — for the
 * relay — the publishing replica's lag is within bound. So a dead or frozen relay, deadline, routing,
 * notification or query turns /readyz 503 within {@link HEARTBEAT_STALE_MS} (+ the request).
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { HEARTBEAT_INTERVAL_MS, type Heartbeat, SERVICE_NAMES, heartbeatSubject } from '@tongban/runtime';

/** A process whose last heartbeat is older than this is not ready, ms (well under the 10 s promised). */
const HEARTBEAT_STALE_MS = 5000;

/** The processes the gateway needs: the six services and the relay. */
const REQUIRED_PROCESSES: readonly string[] = [...SERVICE_NAMES, 'relay'];

/** One process as readiness reports it: `ready`, or why not (e.g. `no heartbeat`). */
export type ProcessState = string;

/** The latest heartbeats per process, from a subscription on the gateway's NATS connection. */
export class ProcessBeats {
  private readonly latest = new Map<string, { at: number; beat: Heartbeat }[]>();
  private sub: Subscription | undefined;
  private since = Date.now();

  /**
   * @param namespace subjects' prefix (TONGBAN_NAMESPACE)
   * @param relayLagMaxSeconds the relay is not ready when its leader reports a larger lag (s)
   */
  constructor(private readonly namespace: string, private readonly relayLagMaxSeconds: number) {}

  /** Subscribes on `nc` (call once connected). */
  attach(nc: NatsConnection): void {
    this.since = Date.now();
    this.sub = nc.subscribe(heartbeatSubject(this.namespace, '*'), {
      callback: (err, msg) => {
        if (err) return;
        try {
          const beat = msg.json<Heartbeat>();
          const now = Date.now();
          const kept = (this.latest.get(beat.process) ?? []).filter((b) => b.beat.instance !== beat.instance && now - b.at < HEARTBEAT_STALE_MS);
          this.latest.set(beat.process, [...kept, { at: now, beat }]);
        } catch { /* not a heartbeat */ }
      },
    });
  }

  /**
   * Each required process's state: `ready`, or the reason (`no heartbeat for 6 s`, `not ready:
   * postgresql: …`, `lag 42 s > 30 s`, `no publishing replica`). Waits (up to 2 heartbeat intervals
   * after attaching) for processes not heard from yet.
   */
  async check(): Promise<Record<string, ProcessState>> {
    const settle = this.since + 2 * HEARTBEAT_INTERVAL_MS - Date.now();
    if (settle > 0 && REQUIRED_PROCESSES.some((p) => !this.latest.has(p))) await new Promise((r) => setTimeout(r, settle));
    const now = Date.now();
    return Object.fromEntries(REQUIRED_PROCESSES.map((name) => [name, this.stateOf(name, now)]));
  }

  private stateOf(name: string, now: number): ProcessState {
    const fresh = (this.latest.get(name) ?? []).filter((b) => now - b.at <= HEARTBEAT_STALE_MS);
    if (fresh.length === 0) {
      const last = Math.max(0, ...(this.latest.get(name) ?? []).map((b) => b.at));
      return last ? `no heartbeat for ${Math.round((now - last) / 1000)} s` : 'no heartbeat';
    }
    const ready = fresh.filter((b) => b.beat.ready);
    if (ready.length === 0) {
      const failed = Object.entries(fresh[0]!.beat.checks).filter(([, v]) => v !== 'ok').map(([k, v]) => `${k}: ${v}`);
      return `not ready: ${failed.join('; ')}`;
    }
    if (name !== 'relay') return 'ready';
    const leader = ready.find((b) => b.beat.detail?.['leader'] === true);
    if (!leader) return 'no publishing replica';
    const lag = Number(leader.beat.detail?.['lagSeconds'] ?? 0);
    return lag > this.relayLagMaxSeconds ? `lag ${lag} s > ${this.relayLagMaxSeconds} s` : 'ready';
  }

  /** Stops listening. */
  close(): void {
    this.sub?.unsubscribe();
  }
}
