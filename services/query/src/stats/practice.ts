/**
 * Figures of the 12345 practice (issue 14 items 3–5, 7), beside the figures of definitions.ts: returns (退单)
 * per returning unit, sign-fors missed and the sign-for timeliness rate (签收及时率), callbacks, overdue callbacks and their satisfaction over the five levels,
 * rectifications (发回重办), tickets closed as "not reached", and the me-too count (followers).
 *
 * Computed per request from the read model (`ticket_views.state`) for the same division subtree and
 * submission range as the main figures — fine for a county or a year of a prefecture; not yet kept in the
 * in-memory StatsTable. Each figure's formula is in PRACTICE_DEFINITIONS (also in the API answer), and a
 * rate with fewer than MIN_PRACTICE_SAMPLE cases in its denominator is `null` with `enoughData: false`.
 */
import type { TicketState } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import type pg from 'pg';
import { type GroupBy, countyOf } from './definitions';
import type { StatsQuery } from './definitions';
import { groupName } from './group-names';

/** Below this many cases in its denominator a rate is shown as "not enough data" (rate null). */
export const MIN_PRACTICE_SAMPLE = 5;

/** The formula of every practice figure (returned with the figures as `definitions`). */
export const PRACTICE_DEFINITIONS: Readonly<Record<string, string>> = {
  returns: 'returns (退单) recorded by the group: with groupBy=unit, the unit that returned the ticket; otherwise the ticket\'s group. approved / refused / pending: their review outcome.',
  signForOnTime: '签收及时率 = sign-fors (签收) done at or before their due time / (sign-fors done + sign-fors missed and never signed); each receipt of a ticket by a unit that had not accepted it is one sign-for (with groupBy=unit, the receiving unit\'s); null below the minimum sample.',
  signForMissed: 'SignForBreached events: a receiving unit did not sign for (签收) the ticket within its class\'s limit (with groupBy=unit, the unit that missed it).',
  callbacks: 'callbacks recorded (回访); reached: the reporter was reached.',
  callbacksOverdue: 'CallbackOverdue events: a callback task not done by its due time (default 3 working days after the resolution, TONGBAN_CALLBACK_DUE_DAYS); each resolution\'s task counted at most once, in the ticket\'s group.',
  callbackSatisfaction: '满意率 of callbacks = (very_satisfied + satisfied + basically_satisfied) / reached callbacks with a rating (unreached attempts excluded); null below the minimum sample.',
  ratingSatisfaction: '满意率 of the reporters\' own ratings = ratings at basically_satisfied or better / ratings; null below the minimum sample.',
  rectifications: '发回重办: tickets sent back after a dissatisfied rating or callback (each time counted).',
  closedNotReached: 'tickets closed because the reporter was not reached after the allowed callback attempts (kept apart from resolved).',
  followers: 'me-too count: citizens following a ticket instead of reporting it again (TicketFollowed), and the reporters of duplicates merged into it.',
  merged: '并单: duplicates merged into the group\'s tickets (DuplicateMerged on the lead). A merged ticket counts once, on its lead: it is left out of every other figure here and in the main figures.',
};

/** A rate with its sample size and whether the sample is large enough. */
interface PracticeRate {
  count: number;
  of: number;
  rate: number | null;
  enoughData: boolean;
}

/** The practice figures of one group (or of the total). */
interface PracticeFigures {
  key: string;
  name: string;
  returns: { total: number; approved: number; refused: number; pending: number };
  signForMissed: number;
  signForOnTime: PracticeRate;
  callbacks: { total: number; reached: number };
  callbacksOverdue: number;
  callbackSatisfaction: PracticeRate;
  ratingSatisfaction: PracticeRate;
  rectifications: number;
  closedNotReached: number;
  followers: number;
  merged: number;
}

/** The answer's `practice` section. */
export interface PracticeResult {
  definitions: Readonly<Record<string, string>>;
  minimumSample: number;
  total: PracticeFigures;
  groups: PracticeFigures[];
}

const SATISFIED = ['very_satisfied', 'satisfied', 'basically_satisfied'];

function practiceRate(count: number, of: number): PracticeRate {
  const enoughData = of >= MIN_PRACTICE_SAMPLE;
  return { count, of, rate: enoughData ? count / of : null, enoughData };
}

/** The raw counts of a group (before rates are formed). */
export interface Counts {
  returns: { total: number; approved: number; refused: number; pending: number };
  signForMissed: number;
  signForOnTime: number;
  signForDue: number;
  callbacks: number;
  callbacksOverdue: number;
  reached: number;
  cbSatisfied: number;
  cbRated: number;
  rated: number;
  ratedSatisfied: number;
  rectifications: number;
  closedNotReached: number;
  followers: number;
  merged: number;
}

/** Counts of nothing yet. */
export function emptyCounts(): Counts {
  return {
    returns: { total: 0, approved: 0, refused: 0, pending: 0 }, signForMissed: 0, signForOnTime: 0, signForDue: 0, callbacks: 0, callbacksOverdue: 0, reached: 0, cbSatisfied: 0, cbRated: 0,
    rated: 0, ratedSatisfied: 0, rectifications: 0, closedNotReached: 0, followers: 0, merged: 0,
  };
}

/** The group key of a ticket (as the main figures: accountable unit, county, handler, category). */
function ticketKey(groupBy: GroupBy, s: TicketState): string {
  switch (groupBy) {
    case 'unit': return s.firstResponder?.unitId || s.routedUnitId || '';
    case 'county': return countyOf(s.division);
    case 'handler': return s.firstResponder?.staffId ?? '';
    case 'category': return s.serviceCode;
    case 'none': return '*';
  }
}

/** Adds one ticket's practice facts to the groups (and the total). */
export function addTicket(groups: Map<string, Counts>, total: Counts, groupBy: GroupBy, s: TicketState): void {
  // A ticket merged into a lead (并单) is counted once, as the lead's.
  if (s.mergedInto) return;
  const at = (key: string): Counts => {
    let c = groups.get(key);
    if (!c) groups.set(key, (c = emptyCounts()));
    return c;
  };
  const own = at(ticketKey(groupBy, s));
  for (const r of s.returns ?? []) {
    // Returns and missed sign-fors are the acting unit's, when grouping by unit.
    for (const c of [groupBy === 'unit' ? at(r.fromUnitId) : own, total]) {
      c.returns.total += 1;
      c.returns[r.outcome] += 1;
    }
  }
  for (const b of s.signForBreaches ?? []) {
    for (const c of [groupBy === 'unit' ? at(b.unitId) : own, total]) {
      c.signForMissed += 1;
      // A missed sign-for never signed afterwards is due and not on time; one signed late counts with the signed ones.
      if (!(s.signFors ?? []).some((f) => f.unitId === b.unitId && f.dueAt === b.dueAt)) c.signForDue += 1;
    }
  }
  for (const f of s.signFors ?? []) {
    for (const c of [groupBy === 'unit' ? at(f.unitId) : own, total]) {
      c.signForDue += 1;
      if (Date.parse(f.signedAt) <= Date.parse(f.dueAt)) c.signForOnTime += 1;
    }
  }
  for (const c of [own, total]) {
    for (const cb of s.callbacks ?? []) {
      c.callbacks += 1;
      if (!cb.reached) continue;
      c.reached += 1;
      if (cb.rating) {
        c.cbRated += 1;
        if (SATISFIED.includes(cb.rating)) c.cbSatisfied += 1;
      }
    }
    if (s.rating) {
      c.rated += 1;
      if (s.rating.score >= 3) c.ratedSatisfied += 1;
    }
    c.callbacksOverdue += (s.callbackOverdues ?? []).length;
    c.rectifications += s.rectifications ?? 0;
    if (s.closedBy === 'not_reached') c.closedNotReached += 1;
    c.followers += (s.followers ?? []).length;
    c.merged += (s.merged ?? []).length;
  }
}

function figures(key: string, name: string, c: Counts): PracticeFigures {
  return {
    key, name, returns: c.returns, signForMissed: c.signForMissed, signForOnTime: practiceRate(c.signForOnTime, c.signForDue), callbacks: { total: c.callbacks, reached: c.reached },
    callbacksOverdue: c.callbacksOverdue,
    callbackSatisfaction: practiceRate(c.cbSatisfied, c.cbRated), ratingSatisfaction: practiceRate(c.ratedSatisfied, c.rated),
    rectifications: c.rectifications, closedNotReached: c.closedNotReached, followers: c.followers, merged: c.merged,
  };
}

/** The practice figures of a statistics query (same scope and grouping as the main figures). */
export async function practiceFigures(db: pg.Pool, q: StatsQuery, ref?: ReferenceData): Promise<PracticeResult> {
  const { rows } = await db.query<{ state: TicketState }>(
    `SELECT state FROM ticket_views
      WHERE division LIKE $1 AND ($2::timestamptz IS NULL OR submitted_at >= $2) AND ($3::timestamptz IS NULL OR submitted_at < $3)`,
    [`${q.division}%`, q.fromMs !== undefined ? new Date(q.fromMs) : null, q.toMs !== undefined ? new Date(q.toMs) : null],
  );
  const groups = new Map<string, Counts>();
  const total = emptyCounts();
  for (const { state } of rows) addTicket(groups, total, q.groupBy, state);
  return {
    definitions: PRACTICE_DEFINITIONS,
    minimumSample: MIN_PRACTICE_SAMPLE,
    total: figures('*', 'total', total),
    groups: q.groupBy === 'none' ? [] : [...groups].map(([key, c]) => figures(key, groupName(q.groupBy, key, ref), c))
      .sort((a, b) => b.returns.total - a.returns.total || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
}
