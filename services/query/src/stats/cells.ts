/**
 * The pre-aggregated settled tickets of the in-memory table (table.ts): one cell per (division,
 * accountable unit, handler, category, month of submission in Asia/Shanghai), with columnar counters
 * and, per cell, the sorted durations to the first reply / resolution with their buckets (medians.ts).
 * A query adds up the cells lying wholly inside its range and division subtree.
 */
import { SHANGHAI_OFFSET_MS } from '@tongban/domain';
import { type Column, grown } from './columns';
import type { CellCounts, Counters } from './counting';
import type { GroupBy } from './definitions';
import { BUCKETS, type MedianTarget, durationBucket } from './medians';

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

/** The periods a range [from, to) of epoch ms cuts (starts or ends inside of): at most two; infinite ends cut none. */
export function periodsCut(from: number, to: number): Set<number> {
  const cut = new Set<number>();
  if (Number.isFinite(from) && periodStart(periodOf(from)) < from) cut.add(periodOf(from));
  if (Number.isFinite(to) && periodStart(periodOf(to)) < to) cut.add(periodOf(to));
  return cut;
}

/** Index of the first element ≥ x in a sorted array. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts a duration (and its bucket) into a cell's sorted lists. */
function insertSorted(values: number[], buckets: number[], v: number): void {
  const at = lowerBound(values, v);
  values.splice(at, 0, v);
  buckets.splice(at, 0, durationBucket(v));
}

/** Removes one occurrence of a duration (and its bucket) from a cell's sorted lists. */
function removeSorted(values: number[], buckets: number[], v: number): void {
  const at = lowerBound(values, v);
  if (values[at] !== v) throw new Error(`stats cell: duration ${v} not found`);
  values.splice(at, 1);
  buckets.splice(at, 1);
}

/**
 * The cells: the dictionary indexes of their key, counters, and the sorted durations (ms) with their
 * buckets. Cells are never removed (an emptied cell counts nothing).
 */
export class Cells {
  /** Number of cells. */
  count = 0;
  private capacity = 0;
  private readonly index = new Map<string, number>();
  private div = new Uint32Array(0);
  private unit = new Uint32Array(0);
  private handler = new Uint32Array(0);
  private svc = new Uint32Array(0);
  private period = new Float64Array(0);
  private start = new Float64Array(0);
  private end = new Float64Array(0);
  private received = new Float64Array(0);
  private closed = new Float64Array(0);
  private frDue = new Float64Array(0);
  private frOnTime = new Float64Array(0);
  private resDue = new Float64Array(0);
  private resOnTime = new Float64Array(0);
  private rated = new Float64Array(0);
  private ratingSum = new Float64Array(0);
  private fr: number[][] = [];
  private frB: number[][] = [];
  private res: number[][] = [];
  private resB: number[][] = [];
  private groupScratch = new Int32Array(0);

  /** Removes every cell. */
  clear(): void {
    this.count = 0;
    this.index.clear();
    this.fr = [];
    this.frB = [];
    this.res = [];
    this.resB = [];
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const g = <T extends Column>(old: T): T => grown(old, capacity);
    this.div = g(this.div); this.unit = g(this.unit); this.handler = g(this.handler); this.svc = g(this.svc);
    this.period = g(this.period); this.start = g(this.start); this.end = g(this.end); this.received = g(this.received); this.closed = g(this.closed); this.frDue = g(this.frDue);
    this.frOnTime = g(this.frOnTime); this.resDue = g(this.resDue); this.resOnTime = g(this.resOnTime);
    this.rated = g(this.rated); this.ratingSum = g(this.ratingSum);
    this.groupScratch = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** The cell of a key (dictionary indexes and a period of {@link periodOf}), created empty when new. */
  id(div: number, unit: number, handler: number, svc: number, period: number): number {
    const key = `${div}|${unit}|${handler}|${svc}|${period}`;
    let c = this.index.get(key);
    if (c !== undefined) return c;
    if (this.count === this.capacity) this.grow();
    c = this.count++;
    this.index.set(key, c);
    this.div[c] = div; this.unit[c] = unit; this.handler[c] = handler; this.svc[c] = svc;
    this.period[c] = period; this.start[c] = periodStart(period); this.end[c] = periodStart(period + 1);
    this.received[c] = 0; this.closed[c] = 0; this.frDue[c] = 0; this.frOnTime[c] = 0; this.resDue[c] = 0; this.resOnTime[c] = 0;
    this.rated[c] = 0; this.ratingSum[c] = 0;
    this.fr[c] = []; this.frB[c] = []; this.res[c] = []; this.resB[c] = [];
    return c;
  }

  /** Adds a settled row to cell c: its counts and its durations (ms; undefined = not replied / not resolved). */
  add(c: number, k: CellCounts, frMs: number | undefined, resMs: number | undefined): void {
    this.count1(c, k, 1);
    if (frMs !== undefined) insertSorted(this.fr[c]!, this.frB[c]!, frMs);
    if (resMs !== undefined) insertSorted(this.res[c]!, this.resB[c]!, resMs);
  }

  /** Takes a row out of cell c: the same counts and durations it was added with (throws when a duration is not there). */
  remove(c: number, k: CellCounts, frMs: number | undefined, resMs: number | undefined): void {
    this.count1(c, k, -1);
    if (frMs !== undefined) removeSorted(this.fr[c]!, this.frB[c]!, frMs);
    if (resMs !== undefined) removeSorted(this.res[c]!, this.resB[c]!, resMs);
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
   * The group of every cell for a query (-1: outside the division mask, outside the range [from, to) of
   * epoch ms, or a period the range cuts). Groups index the dictionary of the `groupBy` key; the county
   * of a division comes from `countyOfDivision`. The array returned is reused by the next call.
   */
  assignGroups(groupBy: GroupBy, divMask: Uint8Array, countyOfDivision: Uint32Array, from: number, to: number, cut: ReadonlySet<number>): Int32Array {
    const cellG = this.groupScratch;
    const key = groupBy === 'unit' ? this.unit : groupBy === 'handler' ? this.handler : groupBy === 'category' ? this.svc : undefined;
    const byCounty = groupBy === 'county';
    for (let c = 0; c < this.count; c++) {
      const d = this.div[c]!;
      if (divMask[d] === 0 || this.start[c]! < from || this.end[c]! > to || cut.has(this.period[c]!)) cellG[c] = -1;
      else cellG[c] = byCounty ? countyOfDivision[d]! : key === undefined ? 0 : key[c]!;
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
      const frB = this.frB[c]!;
      k.frCount[g]! += frB.length;
      for (let j = 0; j < frB.length; j++) k.frHist[g * stride + frB[j]!]! += 1;
      const resB = this.resB[c]!;
      k.resCount[g]! += resB.length;
      for (let j = 0; j < resB.length; j++) k.resHist[g * stride + resB[j]!]! += 1;
    }
  }

  /**
   * Adds the durations of the cells with a group lying in the median buckets (contiguous: the lists are
   * sorted), to the first reply's (`which` = 'fr') or the resolution's candidates.
   */
  collect(
    which: 'fr' | 'res', cellG: Int32Array, targets: (MedianTarget | undefined)[], total: MedianTarget | undefined,
    out: (number[] | undefined)[], outTotal: number[],
  ): void {
    const values = which === 'fr' ? this.fr : this.res;
    const buckets = which === 'fr' ? this.frB : this.resB;
    for (let c = 0; c < this.count; c++) {
      const g = cellG[c]!;
      if (g < 0) continue;
      const b = buckets[c]!;
      if (b.length === 0) continue;
      const v = values[c]!;
      const t = targets[g];
      if (t) {
        for (let j = 0; j < b.length; j++) {
          const x = b[j]!;
          if (x > t.hi) break;
          if (x === t.lo || x === t.hi) (out[g] ??= []).push(v[j]!);
        }
      }
      if (total) {
        for (let j = 0; j < b.length; j++) {
          const x = b[j]!;
          if (x > total.hi) break;
          if (x === total.lo || x === total.hi) outTotal.push(v[j]!);
        }
      }
    }
  }
}
