import { singleMetric } from '@tongban/messaging';
import { Counter, Gauge, Histogram } from 'prom-client';
import type pg from 'pg';
import type { Timer } from './schedule';

/**
 * Issue 12 item 3: the deadline service's series. `tongban_deadline_timers_due` (due now, not yet fired:
 * the backlog) and `tongban_deadline_timers_scheduled` are read from `sla_timers` at each scrape; fired
 * timers and how late they fired are recorded as they fire.
 */
export function deadlineMetrics(pool: pg.Pool, now: () => Date) {
  return {
    fired: singleMetric('tongban_deadline_timers_fired_total', () => new Counter({
      name: 'tongban_deadline_timers_fired_total', help: 'SLA timers fired, by kind (warning, breach, …) and outcome (ok, error)', labelNames: ['kind', 'outcome'] as const,
    })),
    lateBy: singleMetric('tongban_deadline_timer_late_seconds', () => new Histogram({
      name: 'tongban_deadline_timer_late_seconds', help: 'How long after its due time a timer fired, seconds',
      labelNames: ['kind'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    })),
    due: singleMetric('tongban_deadline_timers_due', () => new Gauge({
      name: 'tongban_deadline_timers_due', help: 'SLA timers due now and not yet fired (the backlog)',
      async collect() { this.set(await countTimers(pool, now(), true)); },
    })),
    scheduled: singleMetric('tongban_deadline_timers_scheduled', () => new Gauge({
      name: 'tongban_deadline_timers_scheduled', help: 'SLA timers waiting (due or not)',
      async collect() { this.set(await countTimers(pool, now(), false)); },
    })),
  };
}

async function countTimers(pool: pg.Pool, now: Date, dueOnly: boolean): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM sla_timers${dueOnly ? ' WHERE due_at <= $1' : ''}`, dueOnly ? [now] : []);
  return rows[0]?.n ?? 0;
}

/** `fire` recorded in `metrics`: fired by kind and outcome, and how late (now − due time). */
export function measuredFire(metrics: ReturnType<typeof deadlineMetrics>, now: () => Date, fire: (t: Timer) => Promise<void>): (t: Timer) => Promise<void> {
  return async (t) => {
    const late = Math.max(0, (now().getTime() - Date.parse(t.dueAt)) / 1000);
    try {
      await fire(t);
      metrics.fired.inc({ kind: t.kind, outcome: 'ok' });
      metrics.lateBy.observe({ kind: t.kind }, late);
    } catch (err) {
      metrics.fired.inc({ kind: t.kind, outcome: 'error' });
      throw err;
    }
  };
}
