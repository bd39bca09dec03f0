/**
 * Pre-aggregated settled tickets of the in-memory table (table.ts): one cell per (county, key a, key b,
 * period of submission) — the table keeps three such sets: a = unit and b = handler; a = category; no
 * keys — with columnar counters and, per cell, the durations to the first reply / resolution
 * (cell-durations.ts). Each ticket is in the cell of its month and in the cell of its year (Asia/Shanghai).
 * A query adds up, in the counties of its division subtree (a division down to county level; deeper ones
 * are counted row by row), the year cells of the years wholly inside its range and the month cells of
 * the other months wholly inside it.
 */
import { SHANGHAI_OFFSET_MS } from '@tongban/domain';
import { type Column, grown } from './columns';
import type { CellCounts, Counters } from './counting';
import { CellDurations } from './cell-durations';
import { BUCKETS, type MedianTarget } from './medians';

/**
 * The period of submission (epoch ms) the settled cells are kept by: its calendar month in Asia/Shanghai
 * (UTC+8, no daylight saving; year × 12 + month). A day grain was measured first: on a generated
 * 100,000-ticket workload it gave 97,714 cells for 98,197 settled tickets (one ticket per cell — nothing
 * gained); a month lets cells hold many tickets, at the price of going row by row through the (at most
 * two) months a range cuts.
 */
export function periodOf(ms: number): number {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/** The first instant (epoch ms) of a period: midnight of the month's first day in Asia/Shanghai. */
function periodStart(period: number): number {
  return Date.UTC(Math.floor(period / 12), period % 12, 1) - SHANGHAI_OFFSET_MS;
}

/** The year cell's period of a month's period (negative: -1 − year, so never a month's). */
export function yearPeriodOf(period: number): number {
  return -1 - Math.floor(period / 12);
}

/** The range [start, end) of epoch ms of a period (month or year) and of the year around a month ([NaN, NaN) for a year). */
function bounds(period: number): { start: number; end: number; outerStart: number; outerEnd: number } {
  if (period >= 0) {
    const year = Math.floor(period / 12) * 12;
    return { start: periodStart(period), end: periodStart(period + 1), outerStart: periodStart(year), outerEnd: periodStart(year + 12) };
  }
  const year = (-1 - period) * 12;
  return { start: periodStart(year), end: periodStart(year + 12), outerStart: Number.NaN, outerEnd: Number.NaN };
}

/** The periods a range [from, to) of epoch ms cuts (starts or ends inside of): at most two; infinite ends cut none. */
export function periodsCut(from: number, to: number): Set<number> {
  const cut = new Set<number>();
  if (Number.isFinite(from) && periodStart(periodOf(from)) < from) cut.add(periodOf(from));
  if (Number.isFinite(to) && periodStart(periodOf(to)) < to) cut.add(periodOf(to));
  return cut;
}

/** What a query groups cells by: one of their keys, their county, or nothing (one group). */
export type CellGrouping = 'a' | 'b' | 'county' | 'none';

/**
 * The cells: their key (dictionary indexes the table gives: county, a, b; and the period), counters and
 * durations. Cells are never removed (an emptied cell counts nothing).
 */
export class Cells {
  /** Number of cells. */
  count = 0;
  private capacity = 0;
  private readonly index = new Map<string, number>();
  private county = new Uint32Array(0);
  private a = new Uint32Array(0);
  private b = new Uint32Array(0);
  private period = new Float64Array(0);
  private start = new Float64Array(0);
  private end = new Float64Array(0);
  /** A month cell's year (NaN for a year cell): the month is left to the year cell when the year is wholly in a range. */
  private outerStart = new Float64Array(0);
  private outerEnd = new Float64Array(0);
  private received = new Float64Array(0);
  private closed = new Float64Array(0);
  private frDue = new Float64Array(0);
  private frOnTime = new Float64Array(0);
  private resDue = new Float64Array(0);
  private resOnTime = new Float64Array(0);
  private rated = new Float64Array(0);
  private ratingSum = new Float64Array(0);
  private readonly fr = new CellDurations();
  private readonly res = new CellDurations();
  private groupScratch = new Int32Array(0);

  /** Removes every cell. */
  clear(): void {
    this.count = 0;
    this.index.clear();
    this.fr.clear();
    this.res.clear();
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const g = <T extends Column>(old: T): T => grown(old, capacity);
    this.county = g(this.county); this.a = g(this.a); this.b = g(this.b);
    this.period = g(this.period); this.start = g(this.start); this.end = g(this.end); this.outerStart = g(this.outerStart); this.outerEnd = g(this.outerEnd); this.received = g(this.received); this.closed = g(this.closed); this.frDue = g(this.frDue);
    this.frOnTime = g(this.frOnTime); this.resDue = g(this.resDue); this.resOnTime = g(this.resOnTime);
    this.rated = g(this.rated); this.ratingSum = g(this.ratingSum);
    this.groupScratch = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** The cell of a key (dictionary indexes and a period of {@link periodOf} or {@link yearPeriodOf}), created empty when new. */
  id(county: number, a: number, b: number, period: number): number {
    const key = `${county}|${a}|${b}|${period}`;
    let c = this.index.get(key);
    if (c !== undefined) return c;
    if (this.count === this.capacity) this.grow();
    c = this.count++;
    this.index.set(key, c);
    this.county[c] = county; this.a[c] = a; this.b[c] = b;
    const range = bounds(period);
    this.period[c] = period; this.start[c] = range.start; this.end[c] = range.end; this.outerStart[c] = range.outerStart; this.outerEnd[c] = range.outerEnd;
    this.received[c] = 0; this.closed[c] = 0; this.frDue[c] = 0; this.frOnTime[c] = 0; this.resDue[c] = 0; this.resOnTime[c] = 0;
    this.rated[c] = 0; this.ratingSum[c] = 0;
    this.fr.ensure(c);
    this.res.ensure(c);
    return c;
  }

  /** Adds a settled row to cell c: its counts and its durations (ms; undefined = not replied / not resolved). */
  add(c: number, k: CellCounts, frMs: number | undefined, resMs: number | undefined): void {
    this.count1(c, k, 1);
    if (frMs !== undefined) this.fr.add(c, frMs);
    if (resMs !== undefined) this.res.add(c, resMs);
  }

  /** Takes a row out of cell c: the same counts and durations it was added with (throws when a duration is not there). */
  remove(c: number, k: CellCounts, frMs: number | undefined, resMs: number | undefined): void {
    this.count1(c, k, -1);
    if (frMs !== undefined) this.fr.remove(c, frMs);
    if (resMs !== undefined) this.res.remove(c, resMs);
  }

  /** Adds (sign 1) or removes (sign -1) a row's counts. */
  private count1(c: number, k: CellCounts, sign: 1 | -1): void {
    this.received[c]! += sign;
    this.closed[c]! += sign * k.closed;
    this.frDue[c]! += sign * k.frDue;
    this.frOnTime[c]! += sign * k.frOnTime;
    this.resDue[c]! += sign * k.resDue;
    this.resOnTime[c]! += sign * k.resOnTime;
    this.rated[c]! += sign * k.rated;
    this.ratingSum[c]! += sign * k.ratingSum;
  }

  /**
   * The group of every cell for a query (-1: a county outside `countyMask`, outside the range [from, to)
   * of epoch ms, a period the range cuts, or a month whose year is wholly inside the range): its key a
   * or b, its county (the county dictionary's index), or 0. The array returned is reused by the next call.
   */
  assignGroups(grouping: CellGrouping, countyMask: Uint8Array, from: number, to: number, cut: ReadonlySet<number>): Int32Array {
    const cellG = this.groupScratch;
    const key = grouping === 'a' ? this.a : grouping === 'b' ? this.b : grouping === 'county' ? this.county : undefined;
    const { start, end, outerStart, outerEnd } = this;
    for (let c = 0; c < this.count; c++) {
      const inside = countyMask[this.county[c]!] === 1 && start[c]! >= from && end[c]! <= to
        && !(outerStart[c]! >= from && outerEnd[c]! <= to) && !cut.has(this.period[c]!);
      cellG[c] = !inside ? -1 : key === undefined ? 0 : key[c]!;
    }
    return cellG;
  }

  /** Adds the cells with a group (of {@link assignGroups}) to the counters and duration histograms. */
  countInto(cellG: Int32Array, k: Counters): void {
    const stride = BUCKETS; // a local, as in countRows (counting.ts)
    for (let c = 0; c < this.count; c++) {
      const g = cellG[c]!;
      if (g < 0) continue;
      k.received[g]! += this.received[c]!;
      k.closed[g]! += this.closed[c]!;
      k.frDue[g]! += this.frDue[c]!;
      k.frOnTime[g]! += this.frOnTime[c]!;
      k.resDue[g]! += this.resDue[c]!;
      k.resOnTime[g]! += this.resOnTime[c]!;
      k.rated[g]! += this.rated[c]!;
      k.ratingSum[g]! += this.ratingSum[c]!;
      k.frCount[g]! += this.fr.count(c);
      this.fr.addHistogram(c, k.frHist, g * stride);
      k.resCount[g]! += this.res.count(c);
      this.res.addHistogram(c, k.resHist, g * stride);
    }
  }

  /**
   * Adds the durations of the cells with a group lying in the median buckets to the first reply's
   * (`which` = 'fr') or the resolution's candidates.
   */
  collect(
    which: 'fr' | 'res', cellG: Int32Array, targets: (MedianTarget | undefined)[], total: MedianTarget | undefined,
    out: (number[] | undefined)[], outTotal: number[],
  ): void {
    const durations = which === 'fr' ? this.fr : this.res;
    for (let c = 0; c < this.count; c++) {
      const g = cellG[c]!;
      if (g < 0 || durations.count(c) === 0) continue;
      const t = targets[g];
      if (t) durations.collect(c, t.lo, t.hi, (out[g] ??= []));
      if (total) durations.collect(c, total.lo, total.hi, outTotal);
    }
  }
}
