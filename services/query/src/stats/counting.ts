/**
 * The definitions of definitions.ts applied to the rows of the in-memory table: the flags a row carries
 * from its facts (what does not depend on "now"), what a row adds to its group's counters (with "now"),
 * what a settled row adds to its cell (the same rules, for a ticket whose figures no longer depend on "now"), and the
 * per-row loops that count and that collect the durations lying in the median buckets (medians.ts).
 */
import { CLOSED_STATUSES, OPEN_STATUSES } from './definitions';
import type { FactsRecord } from './facts';
import { BUCKETS, type MedianTarget, medianTarget } from './medians';

/** Row flag: in a final status (closed, rejected, duplicate, withdrawn). */
const F_CLOSED = 1;
/** Row flag: open now (submitted, routed, in progress, awaiting information). */
const F_OPEN = 2;
/** Row flag: first reply given. */
export const F_REPLIED = 4;
const F_REPLIED_ON_TIME = 8;
/** Row flag: resolved. */
export const F_RESOLVED = 16;
const F_RESOLVED_ON_TIME = 32;
const F_PAUSED = 64;

const STATUS_CLOSED = new Set(CLOSED_STATUSES);
const STATUS_OPEN = new Set(OPEN_STATUSES);

/** The flags of a ticket's row: status class, replied/resolved and whether on time, resolution paused. */
export function rowFlags(r: FactsRecord): number {
  const replied = !Number.isNaN(r.firstRepliedMs);
  const resolved = !Number.isNaN(r.resolvedMs);
  return (STATUS_CLOSED.has(r.status) ? F_CLOSED : 0) | (STATUS_OPEN.has(r.status) ? F_OPEN : 0)
    | (replied ? F_REPLIED : 0) | (replied && r.firstRepliedMs <= r.firstResponseDueMs ? F_REPLIED_ON_TIME : 0)
    | (resolved ? F_RESOLVED : 0) | (resolved && r.resolvedMs <= r.resolutionDueMs ? F_RESOLVED_ON_TIME : 0)
    | (r.resolutionPaused ? F_PAUSED : 0);
}

/**
 * Whether a row's figures are independent of "now" (settled): not open, and either ended (`closedMs`
 * known, not NaN) or with its first reply given and its resolution given or paused — a resolved ticket
 * waiting for its close, whose first reply and resolution were due whatever "now" is (see countRows).
 */
export function isSettled(flags: number, closedMs: number): boolean {
  return (flags & F_OPEN) === 0
    && (!Number.isNaN(closedMs) || ((flags & F_REPLIED) !== 0 && (flags & (F_RESOLVED | F_PAUSED)) !== 0));
}

/** What one settled row adds to its cell's counters (each 0 or 1, `ratingSum` the score 0–5). */
export interface CellCounts {
  closed: number; frDue: number; frOnTime: number; resDue: number; resOnTime: number; rated: number; ratingSum: number;
}

/**
 * What a settled row adds to its cell: the settled case of {@link countRows} (not open; ended at
 * `closedMs`, or replied and resolved or paused, so "now" plays no part). Instants in epoch ms; `rating` 1–5 or 0.
 */
export function settledCounts(flags: number, frDueMs: number, resDueMs: number, closedMs: number, rating: number): CellCounts {
  const replied = (flags & F_REPLIED) !== 0;
  const resolved = (flags & F_RESOLVED) !== 0;
  return {
    closed: (flags & F_CLOSED) !== 0 ? 1 : 0,
    frDue: replied || frDueMs < closedMs ? 1 : 0,
    frOnTime: (flags & F_REPLIED_ON_TIME) !== 0 ? 1 : 0,
    resDue: resolved || ((flags & F_PAUSED) === 0 && resDueMs < closedMs) ? 1 : 0,
    resOnTime: (flags & F_RESOLVED_ON_TIME) !== 0 ? 1 : 0,
    rated: rating > 0 ? 1 : 0,
    ratingSum: rating,
  };
}

/** Counters per group (and per group × bucket, `g * BUCKETS + bucket`, for the duration histograms). */
export interface Counters {
  received: Float64Array; closed: Float64Array; frDue: Float64Array; frOnTime: Float64Array; resDue: Float64Array; resOnTime: Float64Array;
  open: Float64Array; overdue: Float64Array; rated: Float64Array; ratingSum: Float64Array; frCount: Int32Array; resCount: Int32Array;
  frHist: Int32Array; resHist: Int32Array;
}

/** Zeroed counters for `groups` groups. */
export function newCounters(groups: number): Counters {
  const f = () => new Float64Array(groups);
  return {
    received: f(), closed: f(), frDue: f(), frOnTime: f(), resDue: f(), resOnTime: f(), open: f(), overdue: f(), rated: f(), ratingSum: f(),
    frCount: new Int32Array(groups), resCount: new Int32Array(groups), frHist: new Int32Array(groups * BUCKETS), resHist: new Int32Array(groups * BUCKETS),
  };
}

/** The sum of a counter over every group. */
export function sumOf(a: Float64Array | Int32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** The table's columns the per-row loops read (indexed by row; instants and durations in epoch ms, NaN = none). */
export interface RowColumns {
  flags: Uint8Array; rating: Uint8Array; frDue: Float64Array; resDue: Float64Array; closedAt: Float64Array;
  frDur: Float64Array; resDur: Float64Array; frBucket: Uint16Array; resBucket: Uint16Array;
}

/**
 * Adds every listed row with a group (`gOf[k]` ≥ 0 for row `list[k]`, k < m) to its counters and duration
 * histograms, by the definitions (definitions.ts) at `now` (epoch ms).
 */
export function countRows(list: Int32Array, m: number, gOf: Int32Array, rows: RowColumns, now: number, c: Counters): void {
  const { flags, rating, frDue, resDue, closedAt, frBucket, resBucket } = rows;
  const { received, closed, frDue: frDueCount, frOnTime, resDue: resDueCount, resOnTime, open, overdue, rated, ratingSum, frCount, resCount, frHist, resHist } = c;
  const stride = BUCKETS; // a local: under tsx an imported binding is read through a getter, measurably slower in this loop
  for (let k = 0; k < m; k++) {
    const g = gOf[k]!;
    if (g < 0) continue;
    const i = list[k]!;
    const f = flags[i]!;
    received[g]! += 1;
    if ((f & F_CLOSED) !== 0) closed[g]! += 1;
    if ((f & F_REPLIED) !== 0) {
      frDueCount[g]! += 1;
      if ((f & F_REPLIED_ON_TIME) !== 0) frOnTime[g]! += 1;
      frCount[g]! += 1;
      frHist[g * stride + frBucket[i]!]! += 1;
    } else {
      const closedMs = closedAt[i]!;
      if (frDue[i]! < (closedMs === closedMs ? closedMs : now)) frDueCount[g]! += 1;
    }
    if ((f & F_RESOLVED) !== 0) {
      resDueCount[g]! += 1;
      if ((f & F_RESOLVED_ON_TIME) !== 0) resOnTime[g]! += 1;
      resCount[g]! += 1;
      resHist[g * stride + resBucket[i]!]! += 1;
    } else if ((f & F_PAUSED) === 0) {
      const closedMs = closedAt[i]!;
      if (resDue[i]! < (closedMs === closedMs ? closedMs : now)) resDueCount[g]! += 1;
    }
    if ((f & F_OPEN) !== 0) {
      open[g]! += 1;
      if (((f & F_REPLIED) === 0 && frDue[i]! < now) || ((f & (F_RESOLVED | F_PAUSED)) === 0 && resDue[i]! < now)) overdue[g]! += 1;
    }
    const score = rating[i]!;
    if (score > 0) {
      rated[g]! += 1;
      ratingSum[g]! += score;
    }
  }
}

/** Where the medians lie, per group and for the total, for the first reply and the resolution. */
export interface MedianTargets {
  fr: (MedianTarget | undefined)[];
  res: (MedianTarget | undefined)[];
  frTotal: MedianTarget | undefined;
  resTotal: MedianTarget | undefined;
}

/** The median targets of counted histograms (`groups` groups; the total adds up every group's histogram). */
export function medianTargets(c: Counters, groups: number): MedianTargets {
  const stride = BUCKETS; // a local, as in countRows
  const frTotalHist = new Int32Array(stride);
  const resTotalHist = new Int32Array(stride);
  const { frHist, resHist, frCount, resCount } = c;
  for (let g = 0; g < groups; g++) {
    if (frCount[g] !== 0) for (let b = 0; b < stride; b++) frTotalHist[b]! += frHist[g * stride + b]!;
    if (resCount[g] !== 0) for (let b = 0; b < stride; b++) resTotalHist[b]! += resHist[g * stride + b]!;
  }
  const fr: (MedianTarget | undefined)[] = [];
  const res: (MedianTarget | undefined)[] = [];
  for (let g = 0; g < groups; g++) {
    fr.push(medianTarget(frHist, g * stride, frCount[g]!));
    res.push(medianTarget(resHist, g * stride, resCount[g]!));
  }
  return { fr, res, frTotal: medianTarget(frTotalHist, 0, sumOf(c.frCount)), resTotal: medianTarget(resTotalHist, 0, sumOf(c.resCount)) };
}

/** The durations (ms) lying in the median buckets, per group (undefined: none) and for the total. */
export interface MedianCandidates {
  fr: (number[] | undefined)[];
  res: (number[] | undefined)[];
  frTotal: number[];
  resTotal: number[];
}

/** Adds the durations of the listed rows with a group (as in {@link countRows}) lying in the median buckets to `out`. */
export function collectCandidates(list: Int32Array, m: number, gOf: Int32Array, rows: RowColumns, t: MedianTargets, out: MedianCandidates): void {
  const { flags, frDur, resDur, frBucket, resBucket } = rows;
  const { fr, res, frTotal: frAll, resTotal: resAll } = out;
  const frLo = Int32Array.from(t.fr, (x) => x?.lo ?? -1);
  const frHi = Int32Array.from(t.fr, (x) => x?.hi ?? -1);
  const resLo = Int32Array.from(t.res, (x) => x?.lo ?? -1);
  const resHi = Int32Array.from(t.res, (x) => x?.hi ?? -1);
  const [ftLo, ftHi, rtLo, rtHi] = [t.frTotal?.lo ?? -1, t.frTotal?.hi ?? -1, t.resTotal?.lo ?? -1, t.resTotal?.hi ?? -1];
  for (let k = 0; k < m; k++) {
    const g = gOf[k]!;
    if (g < 0) continue;
    const i = list[k]!;
    const f = flags[i]!;
    if ((f & F_REPLIED) !== 0) {
      const b = frBucket[i]!;
      if (b === frLo[g] || b === frHi[g]) (fr[g] ??= []).push(frDur[i]!);
      if (b === ftLo || b === ftHi) frAll.push(frDur[i]!);
    }
    if ((f & F_RESOLVED) !== 0) {
      const b = resBucket[i]!;
      if (b === resLo[g] || b === resHi[g]) (res[g] ??= []).push(resDur[i]!);
      if (b === rtLo || b === rtHi) resAll.push(resDur[i]!);
    }
  }
}
