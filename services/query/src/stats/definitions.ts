/**
 * The figures the administration is judged by, for a set of tickets (submitted in a range, in a
 * division subtree), overall or per group:
 * - received: tickets submitted; closed: those now in a final status (closed, rejected, duplicate,
 *   withdrawn); closeRate = closed / received;
 * - first replies on time: tickets with a first reply (the unit's first message to the reporter: a public
 *   reply, a question, an announced deadline or the resolution) at or before its due time, out of the
 *   tickets whose first reply was due (answered, or the due time passed — before the ticket ended, or
 *   before now — without an answer);
 * - resolutions on time: resolutions at or before the resolution due time (as moved by pauses and
 *   announced deadlines), out of the tickets whose resolution was due (resolved, or the due time passed
 *   unpaused before the ticket ended or before now without a resolution);
 * - openNow: tickets submitted, routed, in progress or awaiting information; overdueNow: those of them
 *   with an unanswered first reply or an unpaused resolution past due now;
 * - medians: hours from submission to the first reply / to the (latest) resolution;
 * - satisfaction: the average score (1–5) of rated tickets.
 * Rates and medians are null when there is nothing to measure.
 */

/** How results are grouped: by accountable unit, county of the division, handler (first responder), category, or not. */
export type GroupBy = 'unit' | 'county' | 'handler' | 'category' | 'none';

/** What to compute: the figures of the tickets submitted in [fromMs, toMs) in a division subtree, at nowMs. Instants are epoch milliseconds. */
export interface StatsQuery {
  /** Division subtree ("" = all). */
  division: string;
  fromMs?: number;
  toMs?: number;
  groupBy: GroupBy;
  nowMs: number;
}

/** Every GroupBy value accepted by the API (`none` is the default: one total). */
export const GROUP_BYS: readonly GroupBy[] = ['unit', 'county', 'handler', 'category', 'none'];

/** Statuses counted as open now. */
export const OPEN_STATUSES: readonly string[] = ['submitted', 'routed', 'in_progress', 'awaiting_information'];

/** Statuses counted as closed (concluded). */
export const CLOSED_STATUSES: readonly string[] = ['closed', 'rejected', 'duplicate', 'withdrawn'];

/** A ratio with its parts. */
export interface Rate {
  /** Tickets meeting the rule. */
  count: number;
  /** Tickets it applied to. */
  of: number;
  /** count / of, or null when of = 0. */
  rate: number | null;
}

/** The figures of one group (or of the total). */
export interface GroupFigures {
  /** Group key (unit id, county code, staff id, service code; "" for none/unknown; "*" for the total). */
  key: string;
  /** Display name of the group. */
  name: string;
  received: number;
  closed: number;
  closeRate: number | null;
  firstRepliesOnTime: Rate;
  resolutionsOnTime: Rate;
  openNow: number;
  overdueNow: number;
  /** Median hours from submission to the first reply (public reply, question, announced deadline or resolution). */
  medianHoursToFirstReply: number | null;
  /** Median hours from submission to the resolution. */
  medianHoursToResolution: number | null;
  /** Average satisfaction score (1–5) and how many tickets were rated. */
  satisfaction: { average: number | null; rated: number };
}

/** The statistics answer. */
export interface StatsResult {
  /** Division code the figures cover (its subtree); "" = everything. */
  division: string;
  /** Range of submission times (UTC ISO), when bounded. */
  from?: string;
  to?: string;
  groupBy: GroupBy;
  /** The instant "now" figures were computed at (UTC ISO). */
  generatedAt: string;
  total: GroupFigures;
  groups: GroupFigures[];
}

/** A rate from its parts. */
export function rate(count: number, of: number): Rate {
  return { count, of, rate: of > 0 ? count / of : null };
}

/** The order of groups in a result: most received first, then by key. */
export function byReceivedThenKey(a: GroupFigures, b: GroupFigures): number {
  return b.received - a.received || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** A result of a query, with its total and groups (the range and "now" are taken from the query). */
export function statsResult(
  q: StatsQuery,
  total: GroupFigures,
  groups: GroupFigures[],
): StatsResult {
  return {
    division: q.division,
    ...(q.fromMs !== undefined ? { from: new Date(q.fromMs).toISOString() } : {}),
    ...(q.toMs !== undefined ? { to: new Date(q.toMs).toISOString() } : {}),
    groupBy: q.groupBy,
    generatedAt: new Date(q.nowMs).toISOString(),
    total,
    groups,
  };
}

/** The county key of a division code: its first 6 digits (the prefecture's 4-digit code stays as is). */
export function countyOf(division: string): string {
  return division.length >= 6 ? division.slice(0, 6) : division;
}
