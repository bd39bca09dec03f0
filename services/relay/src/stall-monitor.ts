/**
 * Makes a frozen event pipeline visible (issue 16 item 10): committed events that stay unreadable
 * because an older transaction that could still write to this database is open. Checked every
 * `intervalMs`; once the same events have waited `boundMs`, the relay logs a warning naming the
 * blocking backend (database, pid, transaction age, state), sets `tongban_relay_stalled_seconds`, and
 * its readiness check `pipeline` fails with the same text until the events move.
 */
import { pipelineStall, type PipelineHold } from '@tongban/eventstore';
import { singleMetric } from '@tongban/messaging';
import type { Logger } from '@tongban/runtime';
import type pg from 'pg';
import { Gauge } from 'prom-client';

/** Options of {@link startStallMonitor}. */
export interface StallMonitorOptions {
  pool: pg.Pool;
  log: Logger;
  /** Check interval, ms (default 1000). */
  intervalMs?: number;
  /** How long the same events may wait before it is a stall, ms (default 3000). */
  boundMs?: number;
  /** Called at every check that finds committed events held back (not yet readable), however briefly. */
  onHeldBack?: () => void;
}

/** A running monitor. */
export interface StallMonitor {
  /** Throws a description of the stall while there is one (a readiness check). */
  check(): void;
  stop(): void;
}

function stalledGauge(): Gauge {
  return singleMetric('tongban_relay_stalled_seconds', () => new Gauge({
    name: 'tongban_relay_stalled_seconds', help: 'How long committed events have been held back by an open transaction (0: moving)',
  }));
}

/** Describes a hold for logs and readiness. */
function describeHold(hold: PipelineHold, stalledMs: number): string {
  const who = hold.holder
    ? `pid ${hold.holder.pid} in database ${hold.holder.database ?? '(unknown)'}, transaction open ${hold.holder.ageSeconds ?? '?'} s, ${hold.holder.state ?? 'state unknown'}`
    : 'a transaction not visible in pg_stat_activity (a prepared transaction, or another role without pg_read_all_stats)';
  return `${hold.waiting} committed event(s) held back ${Math.round(stalledMs / 1000)} s by ${who}`;
}

/** Starts checking. Errors (PostgreSQL away) are ignored: other checks report them. */
export function startStallMonitor(options: StallMonitorOptions): StallMonitor {
  const boundMs = options.boundMs ?? 3000;
  const gauge = stalledGauge();
  let since = 0;
  let first: string | null = null;
  let current: string | undefined;
  let lastLog = 0;
  const timer = setInterval(() => {
    void pipelineStall(options.pool).then((hold) => {
      if (hold.waiting > 0) options.onHeldBack?.();
      if (hold.waiting === 0 || hold.firstPosition !== first) {
        if (current) options.log.info({ stalledSeconds: Math.round((Date.now() - since) / 1000) }, 'event pipeline moving again');
        first = hold.waiting === 0 ? null : hold.firstPosition;
        since = Date.now();
        current = undefined;
        gauge.set(0);
        return;
      }
      const stalledMs = Date.now() - since;
      if (stalledMs < boundMs) return;
      current = describeHold(hold, stalledMs);
      gauge.set(stalledMs / 1000);
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        options.log.warn({
          waitingEvents: hold.waiting, stalledSeconds: Math.round(stalledMs / 1000), blockingPid: hold.holder?.pid, blockingDatabase: hold.holder?.database,
          blockingTransactionAgeSeconds: hold.holder?.ageSeconds, blockingState: hold.holder?.state, blockingApplication: hold.holder?.applicationName,
        }, 'event pipeline stalled by an open transaction: %s (end it, or set idle_in_transaction_session_timeout)', current);
      }
    }, () => undefined);
  }, options.intervalMs ?? 1000);
  timer.unref();
  return {
    check() { if (current) throw new Error(current); },
    stop() { clearInterval(timer); },
  };
}
