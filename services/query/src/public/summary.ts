/**
 * The public transparency figures (issue 14 item 8), served without authentication by the gateway at
 * `GET /public/v1/summary` and `GET /public/v1/feed.atom`:
 * - summary: per county and month (Asia/Shanghai) of submission — received, resolved, resolved on time and
 *   satisfaction — from `ticket_stats` (a ticket merged into another counts once, on its lead);
 * - feed: the latest tickets whose reporter chose `public` visibility: reference, category, place, status,
 *   title and the latest public reply; never the reporter's identity, contact or description.
 */
import type { TicketState } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import type pg from 'pg';
import { fail } from '@tongban/runtime';
import { MERGED_STATUS } from '../stats/facts';

/** Below this many rated tickets a month's satisfaction is shown as "not enough data" (rate null). */
const MIN_PUBLIC_SAMPLE = 5;

/** The formulas of the public figures (in the answer as `definitions`). */
const PUBLIC_DEFINITIONS: Readonly<Record<string, string>> = {
  received: 'reports submitted in the month (Asia/Shanghai) in the county; a report merged into another (并单) counts once, on that one',
  resolved: 'of those, reports resolved since (the latest resolution)',
  resolvedOnTime: 'of those received, resolved at or before the resolution due time (moved by pauses and announced deadlines) / received',
  satisfaction: 'ratings at basically satisfied (3 of 5) or better / ratings; null ("not enough data") below 5 ratings',
};

/** One county-month of the public summary. */
export interface PublicMonth {
  county: string;
  countyName: string;
  month: string;
  received: number;
  resolved: number;
  resolvedOnTime: { count: number; of: number; rate: number | null };
  satisfaction: { count: number; of: number; rate: number | null; enoughData: boolean };
}

/** The summary of a division subtree (all of Liangshan when `division` is ''). */
export async function publicSummary(db: pg.Pool, ref: ReferenceData, division: string, now: Date): Promise<{
  division: string; generatedAt: string; definitions: Readonly<Record<string, string>>; minimumSample: number; months: PublicMonth[];
}> {
  const { rows } = await db.query<{ county: string; month: string; received: number; resolved: number; on_time: number; rated: number; satisfied: number }>(
    `SELECT CASE WHEN length(division) >= 6 THEN left(division, 6) ELSE division END AS county,
            to_char(submitted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
            count(*)::int AS received,
            count(*) FILTER (WHERE resolved_at IS NOT NULL)::int AS resolved,
            count(*) FILTER (WHERE resolved_at <= resolution_due_at)::int AS on_time,
            count(rating)::int AS rated,
            count(*) FILTER (WHERE rating >= 3)::int AS satisfied
       FROM ticket_stats WHERE division LIKE $1 AND status <> $2
      GROUP BY 1, 2 ORDER BY 2 DESC, 1`,
    [`${division}%`, MERGED_STATUS],
  );
  return {
    division,
    generatedAt: now.toISOString(),
    definitions: PUBLIC_DEFINITIONS,
    minimumSample: MIN_PUBLIC_SAMPLE,
    months: rows.map((r) => {
      const enoughData = r.rated >= MIN_PUBLIC_SAMPLE;
      return {
        county: r.county,
        countyName: ref.divisions.get(r.county)?.name ?? r.county,
        month: r.month,
        received: r.received,
        resolved: r.resolved,
        resolvedOnTime: { count: r.on_time, of: r.received, rate: r.received > 0 ? r.on_time / r.received : null },
        satisfaction: { count: r.satisfied, of: r.rated, rate: enoughData ? r.satisfied / r.rated : null, enoughData },
      };
    }),
  };
}

/** One entry of the public feed: nothing about who reported it. */
export interface PublicFeedEntry {
  id: string;
  reference: string;
  title: string;
  serviceCode: string;
  division: string;
  divisionName: string;
  status: string;
  submittedAt: string;
  updatedAt: string;
  lastPublicReply: string;
}

/** At most this many entries in the feed. */
const PUBLIC_FEED_SIZE = 50;

/** The latest public-visibility tickets of a division subtree, most recently changed first. */
export async function publicFeed(db: pg.Pool, ref: ReferenceData, division: string): Promise<PublicFeedEntry[]> {
  const { rows } = await db.query<{ state: TicketState; updated_at: Date }>(
    `SELECT state, updated_at FROM ticket_views
      WHERE division LIKE $1 AND state->>'visibility' = 'public' AND NOT (state ? 'mergedInto')
      ORDER BY updated_at DESC, ticket_id LIMIT ${PUBLIC_FEED_SIZE}`,
    [`${division}%`],
  );
  return rows.map(({ state: s, updated_at }) => ({
    id: s.ticketId,
    reference: s.reference,
    title: s.title,
    serviceCode: s.serviceCode,
    division: s.division,
    divisionName: ref.divisions.get(s.division)?.name ?? s.division,
    status: s.status,
    submittedAt: s.submittedAt,
    updatedAt: updated_at.toISOString(),
    lastPublicReply: s.lastPublicReply ?? '',
  }));
}

/**
 * The division of a public request: '' (all) or a known division code.
 * @throws ServiceFailure NOT_FOUND (unknown_division).
 */
export function publicDivision(division: string, ref: ReferenceData): string {
  if (division && !ref.divisions.get(division)) throw fail.notFound('unknown_division', `unknown division ${division}`);
  return division;
}
