/**
 * An in-memory, columnar copy of `ticket_stats` and the statistics computed over it (definitions.ts).
 * What does not depend on "now" is prepared when a row is stored: flags (closed, open, replied and on
 * time, resolved and on time, paused), the durations to the first reply and to the resolution, and
 * their histogram bucket (log scale, 16 buckets per doubling).
 *
 * Settled tickets — not open and with a `closedAt` (closed, rejected, duplicate, withdrawn) — no longer
 * depend on "now": every figure of theirs is fixed until their next write (a reopen, a rating). They
 * are pre-aggregated into cells keyed by (division, accountable unit, handler, category, month of
 * submission in Asia/Shanghai): counters plus the cell's sorted durations and their buckets. A query
 * then adds up the cells (a month entirely inside the range, in the division subtree) and runs the
 * per-row loops only over the live rows (open, resolved, …) and the settled rows of the at most two
 * months the range cuts (kept per month). Medians stay exact: per group a histogram of duration buckets
 * (from the cells' bucket lists and the rows), then only the durations in each group's median bucket(s)
 * are collected (contiguous in a cell's sorted list) and sorted. `compute(q, ref, { path: 'rowwise' })`
 * runs the per-row loops over every row instead (the reference for tests and the bench baseline); by
 * default the aggregated path is taken only when cells hold several tickets each (see ComputeOptions):
 * on a generated workload the fine key gives about one settled ticket per cell, and then it is slower.
 */
import { SHANGHAI_OFFSET_MS } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { MERGED_STATUS, type TicketFacts } from './facts';
import { CLOSED_STATUSES, type GroupBy, type GroupFigures, OPEN_STATUSES, type StatsResult, byReceivedThenKey, countyOf, rate, statsResult } from './definitions';

const HOUR_MS = 3_600_000;

/** The division key of merged tickets' rows (issue 14 item 5): matched by no query, so they count nowhere. */
const MERGED_DIVISION = '#merged';

/** One ticket as the table stores it: its facts with instants as epoch milliseconds (NaN = none). */
export interface FactsRecord extends Pick<TicketFacts,
  'ticketId' | 'revision' | 'division' | 'serviceCode' | 'accountableUnitId' | 'handlerId' | 'status' | 'resolutionPaused'> {
  submittedMs: number;
  firstResponseDueMs: number;
  firstRepliedMs: number;
  resolutionDueMs: number;
  resolvedMs: number;
  closedMs: number;
  /** 1–5, or 0 when not rated. */
  rating: number;
}

/** What to compute. Instants are epoch milliseconds. */
export interface StatsQuery {
  /** Division subtree ("" = all). */
  division: string;
  fromMs?: number;
  toMs?: number;
  groupBy: GroupBy;
  nowMs: number;
}

/** A string ↔ index dictionary. */
class Dict {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();
  id(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}

/** Histogram buckets of durations: 0 for ≤ 0 ms, then 16 per doubling of (1 + seconds); monotonic. */
const BUCKETS = 512;

/** The bucket of a duration in ms (monotonic non-decreasing in the duration). */
function durationBucket(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(1 + ms / 1000) * 16));
}

const F_CLOSED = 1;
const F_OPEN = 2;
const F_REPLIED = 4;
const F_REPLIED_ON_TIME = 8;
const F_RESOLVED = 16;
const F_RESOLVED_ON_TIME = 32;
const F_PAUSED = 64;

const STATUS_CLOSED = new Set(CLOSED_STATUSES);
const STATUS_OPEN = new Set(OPEN_STATUSES);

/** The median of values (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return (sorted[(n - 1) >> 1]! + sorted[n >> 1]!) / 2;
}

/** Where a median lies in a histogram: the buckets of the two middle ranks and what lies below them. */
interface MedianTarget {
  lo: number;
  hi: number;
  /** Values in buckets below `lo`. */
  below: number;
  /** Ranks of the two middle values (equal for an odd count). */
  rankLo: number;
  rankHi: number;
}

function medianTarget(hist: Int32Array, offset: number, count: number): MedianTarget | undefined {
  if (count === 0) return undefined;
  const rankLo = (count - 1) >> 1;
  const rankHi = count >> 1;
  let seen = 0;
  let lo = -1;
  let below = 0;
  for (let b = 0; b < BUCKETS; b++) {
    const inBucket = hist[offset + b]!;
    if (lo < 0 && seen + inBucket > rankLo) {
      lo = b;
      below = seen;
    }
    if (seen + inBucket > rankHi) return { lo, hi: b, below, rankLo, rankHi };
    seen += inBucket;
  }
  return undefined;
}

/** The median from the candidates (every value in the target buckets). */
function medianFrom(t: MedianTarget | undefined, candidates: number[] | undefined): number | null {
  if (!t || !candidates) return null;
  const sorted = Float64Array.from(candidates).sort();
  return (sorted[t.rankLo - t.below]! + sorted[t.rankHi - t.below]!) / 2;
}

/**
 * Periods of submission the settled cells are kept by: calendar months in Asia/Shanghai (UTC+8, no
 * daylight saving; year × 12 + month). A day grain was measured first: on a generated 100,000-ticket
 * workload it gave 97,714 cells for 98,197 settled tickets (one ticket per cell — nothing gained); a
 * month lets cells hold many tickets, at the price of going row by row through the (at most two)
 * months a range cuts.
 */
function periodOf(ms: number): number {
  const d = new Date(ms + SHANGHAI_OFFSET_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}
function periodStart(period: number): number {
  return Date.UTC(Math.floor(period / 12), period % 12, 1) - SHANGHAI_OFFSET_MS;
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

/** Options of {@link StatsTable.compute}. */
export interface ComputeOptions {
  /**
   * `rowwise`: per-row loops over every row, without the cells (the reference, the benchmark baseline);
   * `aggregated`: cells + live rows; `auto` (default): aggregated when the cells hold at least
   * {@link MIN_ROWS_PER_CELL} settled tickets each on average, else rowwise (a cell costs about two rows).
   */
  path?: 'auto' | 'aggregated' | 'rowwise';
}

/** Settled tickets per cell from which the aggregated path pays off (measured: 1.1 per cell is 2× slower, 11 is 2× faster). */
const MIN_ROWS_PER_CELL = 4;

/** The columnar table. Rows are keyed by ticket id; `upsert` overwrites unless the stored revision is newer. */
export class StatsTable {
  private n = 0;
  private capacity = 0;
  private readonly rowOf = new Map<string, number>();
  private readonly divisions = new Dict();
  private readonly services = new Dict();
  private readonly units = new Dict();
  private readonly handlers = new Dict();
  private readonly counties = new Dict();
  private countyOfDivision = new Uint32Array(0);
  private revision = new Int32Array(0);
  private div = new Uint32Array(0);
  private svc = new Uint32Array(0);
  private unit = new Uint32Array(0);
  private handler = new Uint32Array(0);
  private flags = new Uint8Array(0);
  private rating = new Uint8Array(0);
  private submitted = new Float64Array(0);
  private frDue = new Float64Array(0);
  private resDue = new Float64Array(0);
  private closedAt = new Float64Array(0);
  private frDur = new Float64Array(0);
  private resDur = new Float64Array(0);
  private frBucket = new Uint16Array(0);
  private resBucket = new Uint16Array(0);
  private scratchGroup = new Int32Array(0);
  private scratchList = new Int32Array(0);
  /** The cell of a settled row, -1 for a live row. */
  private cellOf = new Int32Array(0);
  /** Live rows (not settled), with each row's position in the list (-1 when settled). */
  private live = new Int32Array(0);
  private liveCount = 0;
  private livePos = new Int32Array(0);
  /** Settled rows per period of submission (for the periods a range cuts). */
  private readonly settledByPeriod = new Map<number, Set<number>>();
  private readonly cells = new Cells();

  /** Number of tickets held. */
  get size(): number {
    return this.n;
  }

  /** How the rows are held: live (per-row loops), settled (in `cells` cells), and the path `auto` takes. */
  get layout(): { rows: number; live: number; settled: number; cells: number; path: 'aggregated' | 'rowwise' } {
    const settled = this.n - this.liveCount;
    return { rows: this.n, live: this.liveCount, settled, cells: this.cells.count, path: this.autoPath() };
  }

  /** The path `auto` takes now. */
  private autoPath(): 'aggregated' | 'rowwise' {
    return this.cells.count > 0 && this.n - this.liveCount >= MIN_ROWS_PER_CELL * this.cells.count ? 'aggregated' : 'rowwise';
  }

  /** Removes every row (keeps the dictionaries). */
  clear(): void {
    this.n = 0;
    this.rowOf.clear();
    this.liveCount = 0;
    this.settledByPeriod.clear();
    this.cells.clear();
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const g = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.revision = g(this.revision, (n) => new Int32Array(n));
    this.div = g(this.div, (n) => new Uint32Array(n));
    this.svc = g(this.svc, (n) => new Uint32Array(n));
    this.unit = g(this.unit, (n) => new Uint32Array(n));
    this.handler = g(this.handler, (n) => new Uint32Array(n));
    this.flags = g(this.flags, (n) => new Uint8Array(n));
    this.rating = g(this.rating, (n) => new Uint8Array(n));
    this.submitted = g(this.submitted, (n) => new Float64Array(n));
    this.frDue = g(this.frDue, (n) => new Float64Array(n));
    this.resDue = g(this.resDue, (n) => new Float64Array(n));
    this.closedAt = g(this.closedAt, (n) => new Float64Array(n));
    this.frDur = g(this.frDur, (n) => new Float64Array(n));
    this.resDur = g(this.resDur, (n) => new Float64Array(n));
    this.frBucket = g(this.frBucket, (n) => new Uint16Array(n));
    this.resBucket = g(this.resBucket, (n) => new Uint16Array(n));
    this.cellOf = g(this.cellOf, (n) => new Int32Array(n));
    this.live = g(this.live, (n) => new Int32Array(n));
    this.livePos = g(this.livePos, (n) => new Int32Array(n));
    this.scratchGroup = new Int32Array(capacity);
    this.scratchList = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** Adds or replaces a ticket's row (a row with a higher stored revision is kept). */
  upsert(r: FactsRecord): void {
    let i = this.rowOf.get(r.ticketId);
    if (i === undefined) {
      if (this.n === this.capacity) this.grow();
      i = this.n++;
      this.rowOf.set(r.ticketId, i);
      this.cellOf[i] = -1;
      this.livePos[i] = -1;
    } else if (this.revision[i]! > r.revision) {
      return;
    } else {
      this.detach(i);
    }
    // A merged ticket (并单) is filed under a division no query matches: it stays out of every figure.
    const d = this.divisions.id(r.status === MERGED_STATUS ? MERGED_DIVISION : r.division);
    if (d >= this.countyOfDivision.length) {
      const next = new Uint32Array(Math.max(64, this.countyOfDivision.length * 2, d + 1));
      next.set(this.countyOfDivision);
      this.countyOfDivision = next;
    }
    this.countyOfDivision[d] = this.counties.id(countyOf(r.division));
    const replied = !Number.isNaN(r.firstRepliedMs);
    const resolved = !Number.isNaN(r.resolvedMs);
    this.revision[i] = r.revision;
    this.div[i] = d;
    this.svc[i] = this.services.id(r.serviceCode);
    this.unit[i] = this.units.id(r.accountableUnitId);
    this.handler[i] = this.handlers.id(r.handlerId);
    this.flags[i] = (STATUS_CLOSED.has(r.status) ? F_CLOSED : 0) | (STATUS_OPEN.has(r.status) ? F_OPEN : 0)
      | (replied ? F_REPLIED : 0) | (replied && r.firstRepliedMs <= r.firstResponseDueMs ? F_REPLIED_ON_TIME : 0)
      | (resolved ? F_RESOLVED : 0) | (resolved && r.resolvedMs <= r.resolutionDueMs ? F_RESOLVED_ON_TIME : 0)
      | (r.resolutionPaused ? F_PAUSED : 0);
    this.rating[i] = r.rating;
    this.submitted[i] = r.submittedMs;
    this.frDue[i] = r.firstResponseDueMs;
    this.resDue[i] = r.resolutionDueMs;
    this.closedAt[i] = r.closedMs;
    this.frDur[i] = replied ? r.firstRepliedMs - r.submittedMs : Number.NaN;
    this.resDur[i] = resolved ? r.resolvedMs - r.submittedMs : Number.NaN;
    this.frBucket[i] = replied ? durationBucket(this.frDur[i]!) : 0;
    this.resBucket[i] = resolved ? durationBucket(this.resDur[i]!) : 0;
    this.attach(i);
  }

  /** Whether a row's figures are independent of "now": not open, and ended (closedAt known). */
  private settled(i: number): boolean {
    return (this.flags[i]! & F_OPEN) === 0 && !Number.isNaN(this.closedAt[i]!);
  }

  /** Files a stored row: into its cell and period (settled) or the live list. */
  private attach(i: number): void {
    if (!this.settled(i)) {
      this.livePos[i] = this.liveCount;
      this.live[this.liveCount++] = i;
      return;
    }
    const period = periodOf(this.submitted[i]!);
    const c = this.cells.id(this.div[i]!, this.unit[i]!, this.handler[i]!, this.svc[i]!, period);
    this.cellOf[i] = c;
    this.cells.add(c, this.contribution(i), 1);
    if ((this.flags[i]! & F_REPLIED) !== 0) insertSorted(this.cells.fr[c]!, this.cells.frB[c]!, this.frDur[i]!);
    if ((this.flags[i]! & F_RESOLVED) !== 0) insertSorted(this.cells.res[c]!, this.cells.resB[c]!, this.resDur[i]!);
    let rows = this.settledByPeriod.get(period);
    if (!rows) this.settledByPeriod.set(period, (rows = new Set()));
    rows.add(i);
  }

  /** Takes a stored row out of its cell and period, or out of the live list (before it is overwritten). */
  private detach(i: number): void {
    const c = this.cellOf[i]!;
    if (c < 0) {
      const at = this.livePos[i]!;
      const last = this.live[--this.liveCount]!;
      this.live[at] = last;
      this.livePos[last] = at;
      this.livePos[i] = -1;
      return;
    }
    this.cells.add(c, this.contribution(i), -1);
    if ((this.flags[i]! & F_REPLIED) !== 0) removeSorted(this.cells.fr[c]!, this.cells.frB[c]!, this.frDur[i]!);
    if ((this.flags[i]! & F_RESOLVED) !== 0) removeSorted(this.cells.res[c]!, this.cells.resB[c]!, this.resDur[i]!);
    this.settledByPeriod.get(periodOf(this.submitted[i]!))?.delete(i);
    this.cellOf[i] = -1;
  }

  /** What a settled row adds to the counters (the settled case of countRows: ended, never open). */
  private contribution(i: number): CellCounts {
    const f = this.flags[i]!;
    const end = this.closedAt[i]!;
    const replied = (f & F_REPLIED) !== 0;
    const resolved = (f & F_RESOLVED) !== 0;
    return {
      closed: (f & F_CLOSED) !== 0 ? 1 : 0,
      frDue: replied || this.frDue[i]! < end ? 1 : 0,
      frOnTime: (f & F_REPLIED_ON_TIME) !== 0 ? 1 : 0,
      resDue: resolved || ((f & F_PAUSED) === 0 && this.resDue[i]! < end) ? 1 : 0,
      resOnTime: (f & F_RESOLVED_ON_TIME) !== 0 ? 1 : 0,
      rated: this.rating[i]! > 0 ? 1 : 0,
      ratingSum: this.rating[i]!,
    };
  }

  /** Computes the statistics (see definitions.ts and the module comment). */
  compute(q: StatsQuery, ref?: ReferenceData, options: ComputeOptions = {}): StatsResult {
    const divMask = new Uint8Array(this.divisions.values.length);
    this.divisions.values.forEach((code, d) => { divMask[d] = code !== MERGED_DIVISION && code.startsWith(q.division) ? 1 : 0; });
    const keyDict = { unit: this.units, handler: this.handlers, category: this.services, county: this.counties, none: undefined }[q.groupBy];
    const groups = keyDict ? keyDict.values.length : 1;
    const c = newCounters(groups);
    const gOf = this.scratchGroup;
    const keyCol = q.groupBy === 'unit' ? this.unit : q.groupBy === 'handler' ? this.handler : q.groupBy === 'category' ? this.svc : undefined;
    const from = q.fromMs ?? -Infinity;
    const to = q.toMs ?? Infinity;

    // The rows for the per-row loops: every row, or the live rows and the settled rows of the periods the range cuts.
    let list: Int32Array;
    let m: number;
    let cellG: Int32Array | undefined;
    const path = !options.path || options.path === 'auto' ? this.autoPath() : options.path;
    if (path === 'rowwise') {
      list = this.scratchList;
      for (let i = 0; i < this.n; i++) list[i] = i;
      m = this.n;
    } else {
      const cut = new Set<number>();
      if (Number.isFinite(from) && periodStart(periodOf(from)) < from) cut.add(periodOf(from));
      if (Number.isFinite(to) && periodStart(periodOf(to)) < to) cut.add(periodOf(to));
      list = this.scratchList;
      list.set(this.live.subarray(0, this.liveCount));
      m = this.liveCount;
      for (const period of cut) for (const i of this.settledByPeriod.get(period) ?? []) list[m++] = i;
      cellG = this.cells.assignGroups(q.groupBy, divMask, this.countyOfDivision, from, to, cut);
      this.cells.countInto(cellG, c);
    }
    assignGroups(list, m, gOf, this.div, this.submitted, divMask, from, to,
      keyCol ?? (q.groupBy === 'county' ? this.countyOfDivision : undefined), q.groupBy === 'county');
    countRows(list, m, gOf, this.flags, this.rating, this.frDue, this.resDue, this.closedAt, this.frBucket, this.resBucket, q.nowMs, c);

    // Medians: the target buckets per group and for the total, then one pass collecting their values.
    const frTotalHist = new Int32Array(BUCKETS);
    const resTotalHist = new Int32Array(BUCKETS);
    for (let g = 0; g < groups; g++) {
      for (let b = 0; b < BUCKETS; b++) {
        frTotalHist[b]! += c.frHist[g * BUCKETS + b]!;
        resTotalHist[b]! += c.resHist[g * BUCKETS + b]!;
      }
    }
    const frT: (MedianTarget | undefined)[] = [];
    const resT: (MedianTarget | undefined)[] = [];
    for (let g = 0; g < groups; g++) {
      frT.push(medianTarget(c.frHist, g * BUCKETS, c.frCount[g]!));
      resT.push(medianTarget(c.resHist, g * BUCKETS, c.resCount[g]!));
    }
    const frTotal = medianTarget(frTotalHist, 0, sumOf(c.frCount));
    const resTotal = medianTarget(resTotalHist, 0, sumOf(c.resCount));
    const cand = collectCandidates(list, m, gOf, this.flags, this.frDur, this.resDur, this.frBucket, this.resBucket, frT, resT, frTotal, resTotal, groups);
    if (cellG) {
      this.cells.collect(cellG, this.cells.fr, this.cells.frB, frT, frTotal, cand.fr, cand.frTotal);
      this.cells.collect(cellG, this.cells.res, this.cells.resB, resT, resTotal, cand.res, cand.resTotal);
    }

    const figuresOf = (key: string, name: string, g: number): GroupFigures => ({
      key, name, received: c.received[g]!, closed: c.closed[g]!, closeRate: c.received[g]! > 0 ? c.closed[g]! / c.received[g]! : null,
      firstRepliesOnTime: rate(c.frOnTime[g]!, c.frDue[g]!), resolutionsOnTime: rate(c.resOnTime[g]!, c.resDue[g]!),
      openNow: c.open[g]!, overdueNow: c.overdue[g]!,
      medianHoursToFirstReply: hours(medianFrom(frT[g], cand.fr[g])),
      medianHoursToResolution: hours(medianFrom(resT[g], cand.res[g])),
      satisfaction: { average: c.rated[g]! > 0 ? c.ratingSum[g]! / c.rated[g]! : null, rated: c.rated[g]! },
    });
    const out: GroupFigures[] = [];
    for (let g = 0; g < groups && keyDict; g++) {
      if (c.received[g] === 0) continue;
      const key = keyDict.values[g]!;
      out.push(figuresOf(key, groupName(q.groupBy, key, ref), g));
    }
    out.sort(byReceivedThenKey);
    const totalRated = sumOf(c.rated);
    const received = sumOf(c.received);
    const total: GroupFigures = {
      key: '*', name: 'total', received, closed: sumOf(c.closed), closeRate: received > 0 ? sumOf(c.closed) / received : null,
      firstRepliesOnTime: rate(sumOf(c.frOnTime), sumOf(c.frDue)), resolutionsOnTime: rate(sumOf(c.resOnTime), sumOf(c.resDue)),
      openNow: sumOf(c.open), overdueNow: sumOf(c.overdue),
      medianHoursToFirstReply: hours(medianFrom(frTotal, cand.frTotal)),
      medianHoursToResolution: hours(medianFrom(resTotal, cand.resTotal)),
      satisfaction: { average: totalRated > 0 ? sumOf(c.ratingSum) / totalRated : null, rated: totalRated },
    };
    return statsResult(q, total, keyDict ? out : []);
  }
}

/** What one settled row adds to its cell's counters. */
interface CellCounts {
  closed: number; frDue: number; frOnTime: number; resDue: number; resOnTime: number; rated: number; ratingSum: number;
}

/**
 * The pre-aggregated settled rows: one cell per (division, unit, handler, category, period), columnar
 * counters and, per cell, the sorted durations to the first reply / resolution with their buckets.
 * Cells are never removed (an emptied cell counts nothing).
 */
class Cells {
  count = 0;
  private capacity = 0;
  private readonly index = new Map<string, number>();
  div = new Uint32Array(0);
  unit = new Uint32Array(0);
  handler = new Uint32Array(0);
  svc = new Uint32Array(0);
  period = new Float64Array(0);
  start = new Float64Array(0);
  end = new Float64Array(0);
  received = new Float64Array(0);
  closed = new Float64Array(0);
  frDue = new Float64Array(0);
  frOnTime = new Float64Array(0);
  resDue = new Float64Array(0);
  resOnTime = new Float64Array(0);
  rated = new Float64Array(0);
  ratingSum = new Float64Array(0);
  fr: number[][] = [];
  frB: number[][] = [];
  res: number[][] = [];
  resB: number[][] = [];
  private groupScratch = new Int32Array(0);

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
    const g = <T extends Uint32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    const u = (n: number) => new Uint32Array(n);
    const f = (n: number) => new Float64Array(n);
    this.div = g(this.div, u); this.unit = g(this.unit, u); this.handler = g(this.handler, u); this.svc = g(this.svc, u);
    this.period = g(this.period, f); this.start = g(this.start, f); this.end = g(this.end, f); this.received = g(this.received, f); this.closed = g(this.closed, f); this.frDue = g(this.frDue, f);
    this.frOnTime = g(this.frOnTime, f); this.resDue = g(this.resDue, f); this.resOnTime = g(this.resOnTime, f);
    this.rated = g(this.rated, f); this.ratingSum = g(this.ratingSum, f);
    this.groupScratch = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** The cell of a key (created empty when new). */
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

  /** Adds (sign 1) or removes (sign -1) a row's counts. */
  add(c: number, k: CellCounts, sign: 1 | -1): void {
    this.received[c]! += sign;
    this.closed[c]! += sign * k.closed;
    this.frDue[c]! += sign * k.frDue;
    this.frOnTime[c]! += sign * k.frOnTime;
    this.resDue[c]! += sign * k.resDue;
    this.resOnTime[c]! += sign * k.resOnTime;
    this.rated[c]! += sign * k.rated;
    this.ratingSum[c]! += sign * k.ratingSum;
  }

  /** Group of every cell for a query (-1: outside the division, outside the range, or a period the range cuts). */
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

  /** Adds the selected cells to the counters and duration histograms. */
  countInto(cellG: Int32Array, k: Counters): void {
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
      for (let j = 0; j < frB.length; j++) k.frHist[g * BUCKETS + frB[j]!]! += 1;
      const resB = this.resB[c]!;
      k.resCount[g]! += resB.length;
      for (let j = 0; j < resB.length; j++) k.resHist[g * BUCKETS + resB[j]!]! += 1;
    }
  }

  /** Adds the durations of the selected cells lying in the median buckets (contiguous: the lists are sorted). */
  collect(
    cellG: Int32Array, values: number[][], buckets: number[][], targets: (MedianTarget | undefined)[], total: MedianTarget | undefined,
    out: (number[] | undefined)[], outTotal: number[],
  ): void {
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

/** Counters per group (and per group × bucket for the duration histograms). */
interface Counters {
  received: Float64Array; closed: Float64Array; frDue: Float64Array; frOnTime: Float64Array; resDue: Float64Array; resOnTime: Float64Array;
  open: Float64Array; overdue: Float64Array; rated: Float64Array; ratingSum: Float64Array; frCount: Int32Array; resCount: Int32Array;
  frHist: Int32Array; resHist: Int32Array;
}

function newCounters(groups: number): Counters {
  const f = () => new Float64Array(groups);
  return {
    received: f(), closed: f(), frDue: f(), frOnTime: f(), resDue: f(), resOnTime: f(), open: f(), overdue: f(), rated: f(), ratingSum: f(),
    frCount: new Int32Array(groups), resCount: new Int32Array(groups), frHist: new Int32Array(groups * BUCKETS), resHist: new Int32Array(groups * BUCKETS),
  };
}

function sumOf(a: Float64Array | Int32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** gOf[k] = the group of row list[k], or -1 when it is outside the division or the submission range. */
function assignGroups(
  list: Int32Array, m: number, gOf: Int32Array, div: Uint32Array, submitted: Float64Array, divMask: Uint8Array, from: number, to: number,
  key: Uint32Array | undefined, byDivision: boolean,
): void {
  for (let k = 0; k < m; k++) {
    const i = list[k]!;
    const s = submitted[i]!;
    const d = div[i]!;
    if (divMask[d] === 0 || s < from || s >= to) gOf[k] = -1;
    else gOf[k] = key === undefined ? 0 : byDivision ? key[d]! : key[i]!;
  }
}

/** Adds every listed row with a group to its counters and duration histograms (see definitions.ts). */
function countRows(
  list: Int32Array, m: number, gOf: Int32Array, flags: Uint8Array, rating: Uint8Array, frDue: Float64Array, resDue: Float64Array, closedAt: Float64Array,
  frBucket: Uint16Array, resBucket: Uint16Array, now: number, c: Counters,
): void {
  const { received, closed, frDue: frDueCount, frOnTime, resDue: resDueCount, resOnTime, open, overdue, rated, ratingSum, frCount, resCount, frHist, resHist } = c;
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
      frHist[g * BUCKETS + frBucket[i]!]! += 1;
    } else {
      const closedMs = closedAt[i]!;
      if (frDue[i]! < (closedMs === closedMs ? closedMs : now)) frDueCount[g]! += 1;
    }
    if ((f & F_RESOLVED) !== 0) {
      resDueCount[g]! += 1;
      if ((f & F_RESOLVED_ON_TIME) !== 0) resOnTime[g]! += 1;
      resCount[g]! += 1;
      resHist[g * BUCKETS + resBucket[i]!]! += 1;
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

/** The durations of the listed rows lying in the median buckets, per group and for the total. */
function collectCandidates(
  list: Int32Array, m: number, gOf: Int32Array, flags: Uint8Array, frDur: Float64Array, resDur: Float64Array, frBucket: Uint16Array, resBucket: Uint16Array,
  frT: (MedianTarget | undefined)[], resT: (MedianTarget | undefined)[], frTotal: MedianTarget | undefined, resTotal: MedianTarget | undefined,
  groups: number,
): { fr: (number[] | undefined)[]; res: (number[] | undefined)[]; frTotal: number[]; resTotal: number[] } {
  const fr = new Array<number[] | undefined>(groups);
  const res = new Array<number[] | undefined>(groups);
  const frAll: number[] = [];
  const resAll: number[] = [];
  const frLo = Int32Array.from(frT, (t) => t?.lo ?? -1);
  const frHi = Int32Array.from(frT, (t) => t?.hi ?? -1);
  const resLo = Int32Array.from(resT, (t) => t?.lo ?? -1);
  const resHi = Int32Array.from(resT, (t) => t?.hi ?? -1);
  const [ftLo, ftHi, rtLo, rtHi] = [frTotal?.lo ?? -1, frTotal?.hi ?? -1, resTotal?.lo ?? -1, resTotal?.hi ?? -1];
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
  return { fr, res, frTotal: frAll, resTotal: resAll };
}

function hours(ms: number | null): number | null {
  return ms === null ? null : ms / HOUR_MS;
}

/** Display name of a group key from the reference data (the key itself when unknown). */
export function groupName(groupBy: GroupBy, key: string, ref?: ReferenceData): string {
  if (!ref) return key;
  switch (groupBy) {
    case 'unit': return key ? ref.unitsById.get(key)?.name ?? key : '(not routed)';
    case 'county': return ref.divisions.get(key)?.name ?? key;
    case 'handler': return key ? ref.staff.find((s) => s.id === key)?.name ?? key : '(not accepted)';
    case 'category': {
      const s = ref.catalogue.services.find((x) => x.service_code === key);
      return s ? `${s.zh} (${s.en})` : key;
    }
    case 'none': return 'total';
  }
}
