import { singleMetric } from '@tongban/messaging';
import { Gauge } from 'prom-client';
import type pg from 'pg';
import { OPEN_STATUSES } from './stats/definitions';

/** How long one business-gauge query may stay cached between scrapes, ms (scrapes of several Prometheus replicas share it). */
const CACHE_MS = 5000;

/**
 * Issue 12 item 3: business gauges of the query side, per county (the first 6 digits of the division),
 * read from `ticket_stats` at scrape time (cached 5 s): open tickets (submitted, routed, in progress,
 * awaiting information) and those of them breached now (an unanswered first reply or an unpaused
 * resolution past due at the platform's clock) — the `openNow`/`overdueNow` of GET /api/v1/stats.
 */
export function registerBusinessGauges(pool: pg.Pool, now: () => Date): void {
  let cached: { at: number; rows: Promise<{ county: string; open: number; breached: number }[]> } | undefined;
  const rows = () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const list = OPEN_STATUSES.map((s) => `'${s}'`).join(', ');
      cached = {
        at: Date.now(),
        rows: pool.query<{ county: string; open: number; breached: number }>(
          `SELECT left(division, 6) AS county, count(*)::int AS open,
             count(*) FILTER (WHERE (first_replied_at IS NULL AND first_response_due_at < $1)
               OR (resolved_at IS NULL AND NOT resolution_paused AND resolution_due_at < $1))::int AS breached
           FROM ticket_stats WHERE status IN (${list}) GROUP BY 1`, [now()],
        ).then((r) => r.rows, (err: unknown) => { cached = undefined; throw err; }),
      };
    }
    return cached.rows;
  };
  singleMetric('tongban_tickets_open', () => new Gauge({
    name: 'tongban_tickets_open', help: 'Open tickets (submitted, routed, in progress, awaiting information), by county', labelNames: ['county'] as const,
    async collect() {
      this.reset();
      for (const r of await rows()) this.set({ county: r.county }, r.open);
    },
  }));
  singleMetric('tongban_tickets_breached', () => new Gauge({
    name: 'tongban_tickets_breached', help: 'Open tickets past a due time now (first reply or resolution), by county', labelNames: ['county'] as const,
    async collect() {
      this.reset();
      for (const r of await rows()) this.set({ county: r.county }, r.breached);
    },
  }));
}
