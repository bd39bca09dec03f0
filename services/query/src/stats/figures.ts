/**
 * The answer of the in-memory table built from its counters: each group's figures (definitions.ts) with
 * its display name, groups without tickets left out, sorted by received then key, and the total.
 */
import type { ReferenceData } from '@tongban/reference-data';
import { type Counters, type MedianCandidates, type MedianTargets, sumOf } from './counting';
import { type GroupFigures, type StatsQuery, type StatsResult, byReceivedThenKey, rate, statsResult } from './definitions';
import { groupName } from './group-names';
import { medianFrom } from './medians';

const HOUR_MS = 3_600_000;

function hours(ms: number | null): number | null {
  return ms === null ? null : ms / HOUR_MS;
}

/** The counts of one group, or of the total. */
interface Tally {
  received: number; closed: number; frDue: number; frOnTime: number; resDue: number; resOnTime: number;
  open: number; overdue: number; rated: number; ratingSum: number;
}

function figures(key: string, name: string, t: Tally, frMedianMs: number | null, resMedianMs: number | null): GroupFigures {
  return {
    key, name, received: t.received, closed: t.closed, closeRate: t.received > 0 ? t.closed / t.received : null,
    firstRepliesOnTime: rate(t.frOnTime, t.frDue), resolutionsOnTime: rate(t.resOnTime, t.resDue),
    openNow: t.open, overdueNow: t.overdue,
    medianHoursToFirstReply: hours(frMedianMs),
    medianHoursToResolution: hours(resMedianMs),
    satisfaction: { average: t.rated > 0 ? t.ratingSum / t.rated : null, rated: t.rated },
  };
}

/** The tally of the counters, each read by `pick` (one group's entry, or the sum over the groups). */
function tally(c: Counters, pick: (counter: Float64Array) => number): Tally {
  return {
    received: pick(c.received), closed: pick(c.closed), frDue: pick(c.frDue), frOnTime: pick(c.frOnTime), resDue: pick(c.resDue),
    resOnTime: pick(c.resOnTime), open: pick(c.open), overdue: pick(c.overdue), rated: pick(c.rated), ratingSum: pick(c.ratingSum),
  };
}

/**
 * The result of query q from the counters and the median targets and candidates: one group per key of
 * `keys` (the dictionary of the `groupBy` key; undefined for `none`: no groups), named from `ref`.
 */
export function resultOf(
  q: StatsQuery, ref: ReferenceData | undefined, keys: readonly string[] | undefined, c: Counters, t: MedianTargets, cand: MedianCandidates,
): StatsResult {
  const out: GroupFigures[] = [];
  for (let g = 0; keys && g < keys.length; g++) {
    if (c.received[g] === 0) continue;
    const key = keys[g]!;
    out.push(figures(key, groupName(q.groupBy, key, ref), tally(c, (counter) => counter[g]!), medianFrom(t.fr[g], cand.fr[g]), medianFrom(t.res[g], cand.res[g])));
  }
  out.sort(byReceivedThenKey);
  return statsResult(q, figures('*', 'total', tally(c, sumOf), medianFrom(t.frTotal, cand.frTotal), medianFrom(t.resTotal, cand.resTotal)), keys ? out : []);
}
