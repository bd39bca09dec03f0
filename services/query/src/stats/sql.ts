/**
 * The same statistics computed by PostgreSQL over `ticket_stats` (definitions.ts), with exact medians
 * (percentile_cont). The reference the in-memory table is tested against, and the baseline of the
 * benchmark; fine for small divisions, too slow for the whole prefecture at a million tickets.
 */
import type { ReferenceData } from '@tongban/reference-data';
import type pg from 'pg';
import { CLOSED_STATUSES, type GroupFigures, OPEN_STATUSES, type StatsResult, byReceivedThenKey, rate, statsResult } from './definitions';
import { MERGED_STATUS } from './facts';
import type { StatsQuery } from './definitions';
import { groupName } from './group-names';

const KEY_EXPR: Record<StatsQuery['groupBy'], string> = {
  unit: 'accountable_unit_id',
  handler: 'handler_id',
  category: 'service_code',
  county: 'CASE WHEN length(division) >= 6 THEN left(division, 6) ELSE division END',
  none: `'*'`,
};

interface Row {
  key: string; is_total: boolean; received: number; closed: number; fr_due: number; fr_on_time: number; res_due: number; res_on_time: number;
  open_now: number; overdue_now: number; median_fr: number | null; median_res: number | null; avg_rating: number | null; rated: number;
}

function list(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
}

/** Statistics by SQL; `grouping sets` give the groups and the total in one statement. */
export async function statsBySql(db: pg.Pool | pg.PoolClient, q: StatsQuery, ref?: ReferenceData, table = 'ticket_stats'): Promise<StatsResult> {
  const key = KEY_EXPR[q.groupBy];
  const { rows } = await db.query<Row>(
    `WITH t AS (
       SELECT ${key} AS key, *, coalesce(closed_at, $4::timestamptz) AS end_at FROM ${table}
       WHERE division LIKE $1 AND status <> '${MERGED_STATUS}' AND ($2::timestamptz IS NULL OR submitted_at >= $2) AND ($3::timestamptz IS NULL OR submitted_at < $3)
     )
     SELECT coalesce(key, '*') AS key, (key IS NULL) AS is_total,
       count(*)::int AS received,
       count(*) FILTER (WHERE status IN (${list(CLOSED_STATUSES)}))::int AS closed,
       count(*) FILTER (WHERE first_replied_at IS NOT NULL OR first_response_due_at < end_at)::int AS fr_due,
       count(*) FILTER (WHERE first_replied_at <= first_response_due_at)::int AS fr_on_time,
       count(*) FILTER (WHERE resolved_at IS NOT NULL OR (NOT resolution_paused AND resolution_due_at < end_at))::int AS res_due,
       count(*) FILTER (WHERE resolved_at <= resolution_due_at)::int AS res_on_time,
       count(*) FILTER (WHERE status IN (${list(OPEN_STATUSES)}))::int AS open_now,
       count(*) FILTER (WHERE status IN (${list(OPEN_STATUSES)}) AND ((first_replied_at IS NULL AND first_response_due_at < $4)
         OR (resolved_at IS NULL AND NOT resolution_paused AND resolution_due_at < $4)))::int AS overdue_now,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_replied_at - submitted_at)) / 3600)::float8 AS median_fr,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - submitted_at)) / 3600)::float8 AS median_res,
       avg(rating)::float8 AS avg_rating,
       count(rating)::int AS rated
     FROM t GROUP BY GROUPING SETS ((key), ())`,
    [`${q.division}%`, q.fromMs !== undefined ? new Date(q.fromMs) : null, q.toMs !== undefined ? new Date(q.toMs) : null, new Date(q.nowMs)],
  );
  const toFigures = (r: Row, name: string): GroupFigures => ({
    key: r.key,
    name,
    received: r.received,
    closed: r.closed,
    closeRate: r.received > 0 ? r.closed / r.received : null,
    firstRepliesOnTime: rate(r.fr_on_time, r.fr_due),
    resolutionsOnTime: rate(r.res_on_time, r.res_due),
    openNow: r.open_now,
    overdueNow: r.overdue_now,
    medianHoursToFirstReply: r.median_fr,
    medianHoursToResolution: r.median_res,
    satisfaction: { average: r.avg_rating, rated: r.rated },
  });
  const totalRow = rows.find((r) => r.is_total);
  const empty: Row = { key: '*', is_total: true, received: 0, closed: 0, fr_due: 0, fr_on_time: 0, res_due: 0, res_on_time: 0, open_now: 0, overdue_now: 0, median_fr: null, median_res: null, avg_rating: null, rated: 0 };
  const groups = q.groupBy === 'none' ? [] : rows
    .filter((r) => !r.is_total)
    .map((r) => toFigures(r, groupName(q.groupBy, r.key, ref)))
    .sort(byReceivedThenKey);
  return statsResult(q, toFigures({ ...(totalRow ?? empty), key: '*' }, 'total'), groups);
}
