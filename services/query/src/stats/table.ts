/**
 * An in-memory, columnar copy of `ticket_stats` (one row per ticket, kept by cache.ts) and the query over
 * it: the figures of definitions.ts. This file holds the rows and files each one where a query finds it;
 * the parts it uses live beside it:
 * - columns.ts: the string dictionaries and the growth of the typed-array columns; row-store.ts: the
 *   columns of the rows (all of them, and a compact copy of the live ones);
 * - counting.ts: the definitions applied to rows — the flags a row carries, what it adds to its group's
 *   counters, what a settled row adds to its cell, and the per-row loops (counting, median candidates);
 * - cells.ts, cell-durations.ts: the pre-aggregated settled tickets, by month and by year of submission
 *   in Asia/Shanghai, with their sorted durations;
 * - selection.ts: which rows a query takes (division subtree, submission range) and their groups;
 * - medians.ts: exact medians through duration buckets; figures.ts: the answer built from the counters.
 *
 * What does not depend on "now" is prepared when a row is stored: flags (closed, open, replied and on
 * time, resolved and on time, paused), the durations to the first reply and to the resolution, and
 * their histogram bucket (log scale, 16 buckets per doubling).
 *
 * Settled tickets — not open, and ended (closed, rejected, duplicate, withdrawn: a `closedAt`) or replied
 * and resolved (waiting for the close) — no longer depend on "now": every figure of theirs is fixed until
 * their next write (a close, a reopen, a rating). They are pre-aggregated three times: into cells by
 * (county, accountable unit, handler) for the queries by unit or handler, by (county, category) for the
 * queries by category, and by county for the others and for every query's total medians — each per
 * month and per year of submission in Asia/Shanghai: counters plus the cell's durations. A query for a
 * division down to county level adds up the cells (a county in the subtree; the years wholly inside the
 * range, and the other months wholly inside it) and runs the per-row loops only over the live rows (open;
 * read from their compact copy) and the settled rows of the at most two months the range cuts (read from
 * a compact copy of the month, rebuilt after a change to its rows); a query for a deeper division (a
 * township, a village) runs them over the rows of its divisions only (kept per division). Medians stay
 * exact: per group a histogram of duration buckets (from the cells' sparse histograms and the rows), then
 * only the durations in each group's median bucket(s) are collected (one slice of a cell's sorted
 * durations) and the middle ranks selected. `compute(q, ref, { path: 'rowwise' })` runs the per-row loops
 * over every row instead (the reference for tests and the bench baseline).
 *
 * Measured on 1,000,000 distinct generated tickets (`npm run bench`): keyed by village as well, as before,
 * 959,361 settled tickets made 397,654 cells (2.4 each) and the cells were slower than the rows (p95 163
 * against 87 ms); keyed by county, months and years, 8,982 cells by unit and handler, 3,094 by category
 * and 238 by county: p95 17 ms against 92 ms for the rows in the same run.
 */
import type { ReferenceData } from '@tongban/reference-data';
import { type CellGrouping, Cells, periodOf, periodsCut, yearPeriodOf } from './cells';
import { type Column, Dict, grown } from './columns';
import {
  type CellCounts, F_REPLIED, F_RESOLVED, type MedianCandidates, type MedianTargets, collectCandidates, countRows, isSettled,
  medianTargets, newCounters, rowFlags, settledCounts,
} from './counting';
import { type GroupBy, type StatsQuery, type StatsResult, countyOf } from './definitions';
import { type FactsRecord, MERGED_STATUS } from './facts';
import { resultOf } from './figures';
import { durationBucket } from './medians';
import { type RowStore, copyRow, grownStore, newRowStore } from './row-store';
import { MERGED_DIVISION, assignRowGroups, divisionMask } from './selection';

/** Options of {@link StatsTable.compute}. */
export interface ComputeOptions {
  /**
   * `rowwise`: per-row loops over every row, without the cells (the reference, the benchmark baseline);
   * `aggregated` (default; `auto` is the same): cells + live rows, or the rows of a deeper division.
   */
  path?: 'auto' | 'aggregated' | 'rowwise';
}

/** Queries for a division code longer than this (below county level) run over the rows of their divisions. */
const COUNTY_CODE_LENGTH = 6;

/** Compact copies of the settled rows of this many periods cut by recent queries are kept (a month of a million tickets a year: about 6 MB). */
const PERIOD_COPIES = 4;

/** Rows the per-row loops go through: `list[0 … m)` index `store`. */
interface RowPart {
  store: RowStore;
  list: Int32Array;
  m: number;
  gOf: Int32Array;
}

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
  /** Every row's columns. */
  private rows = newRowStore();
  /** The live rows' columns, by position in the live list. */
  private liveRows = newRowStore();
  /** 0, 1, 2, …: the list of the live rows' positions. */
  private identity = new Int32Array(0);
  private scratchGroup = new Int32Array(0);
  private scratchLiveGroup = new Int32Array(0);
  private scratchList = new Int32Array(0);
  /** Live rows (not settled), with each row's position in the list (-1 when settled or merged). */
  private live = new Int32Array(0);
  private liveCount = 0;
  private livePos = new Int32Array(0);
  /** Settled rows per period of submission (for the periods a range cuts). */
  private readonly settledByPeriod = new Map<number, Set<number>>();
  /** Changes to each period's settled rows, and compact copies of the rows of the periods recent queries cut. */
  private readonly periodVersion = new Map<number, number>();
  private readonly periodCopies = new Map<number, { version: number; store: RowStore; m: number; gOf: Int32Array }>();
  /** Rows per division (dictionary index), merged tickets' left out (for the queries below county level). */
  private byDivision: Set<number>[] = [];
  /** Settled rows by (county, unit, handler, month), by (county, category, month) and by (county, month). */
  private readonly byUnit = new Cells();
  private readonly byCategory = new Cells();
  private readonly byCounty = new Cells();

  /** Number of tickets held. */
  get size(): number {
    return this.n;
  }

  /**
   * How the rows are held: live (per-row loops), settled (in `cellsByUnit` cells by county, unit, handler
   * and month, in `cellsByCategory` by county, category and month, and in `cellsByCounty` by county and
   * month); merged tickets' rows are in neither.
   */
  get layout(): { rows: number; live: number; settled: number; cellsByUnit: number; cellsByCategory: number; cellsByCounty: number } {
    let settled = 0;
    for (const rows of this.settledByPeriod.values()) settled += rows.size;
    return {
      rows: this.n, live: this.liveCount, settled, cellsByUnit: this.byUnit.count, cellsByCategory: this.byCategory.count, cellsByCounty: this.byCounty.count,
    };
  }

  /** Removes every row (keeps the dictionaries). */
  clear(): void {
    this.n = 0;
    this.rowOf.clear();
    this.liveCount = 0;
    this.settledByPeriod.clear();
    this.periodVersion.clear();
    this.periodCopies.clear();
    this.byDivision = [];
    this.byUnit.clear();
    this.byCategory.clear();
    this.byCounty.clear();
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const g = <T extends Column>(old: T): T => grown(old, capacity);
    this.revision = g(this.revision);
    this.rows = grownStore(this.rows, capacity);
    this.liveRows = grownStore(this.liveRows, capacity);
    this.live = g(this.live);
    this.livePos = g(this.livePos);
    this.identity = Int32Array.from({ length: capacity }, (_, k) => k);
    this.scratchGroup = new Int32Array(capacity);
    this.scratchLiveGroup = new Int32Array(capacity);
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
      this.livePos[i] = -1;
    } else if (this.revision[i]! > r.revision) {
      return;
    } else {
      this.detach(i);
    }
    // A merged ticket (并单) is filed under a division no query matches: it stays out of every figure.
    const d = this.divisions.id(r.status === MERGED_STATUS ? MERGED_DIVISION : r.division);
    if (d >= this.countyOfDivision.length) this.countyOfDivision = grown(this.countyOfDivision, Math.max(64, this.countyOfDivision.length * 2, d + 1));
    this.countyOfDivision[d] = this.counties.id(countyOf(r.division));
    const replied = !Number.isNaN(r.firstRepliedMs);
    const resolved = !Number.isNaN(r.resolvedMs);
    const rows = this.rows;
    this.revision[i] = r.revision;
    rows.div[i] = d;
    rows.svc[i] = this.services.id(r.serviceCode);
    rows.unit[i] = this.units.id(r.accountableUnitId);
    rows.handler[i] = this.handlers.id(r.handlerId);
    rows.flags[i] = rowFlags(r);
    rows.rating[i] = r.rating;
    rows.submitted[i] = r.submittedMs;
    rows.frDue[i] = r.firstResponseDueMs;
    rows.resDue[i] = r.resolutionDueMs;
    rows.closedAt[i] = r.closedMs;
    rows.frDur[i] = replied ? r.firstRepliedMs - r.submittedMs : Number.NaN;
    rows.resDur[i] = resolved ? r.resolvedMs - r.submittedMs : Number.NaN;
    rows.frBucket[i] = replied ? durationBucket(rows.frDur[i]!) : 0;
    rows.resBucket[i] = resolved ? durationBucket(rows.resDur[i]!) : 0;
    this.attach(i);
  }

  /** What settled row i adds to a cell: its counts and its durations (ms; undefined = not replied / not resolved). */
  private cellEntry(i: number): [CellCounts, number | undefined, number | undefined] {
    const { flags, rating, frDue, resDue, closedAt, frDur, resDur } = this.rows;
    const f = flags[i]!;
    return [
      settledCounts(f, frDue[i]!, resDue[i]!, closedAt[i]!, rating[i]!),
      (f & F_REPLIED) !== 0 ? frDur[i]! : undefined, (f & F_RESOLVED) !== 0 ? resDur[i]! : undefined,
    ];
  }

  /** Files a stored row: under its division, and into its cells and period (settled) or the live list; a merged ticket's nowhere. */
  private attach(i: number): void {
    const rows = this.rows;
    const d = rows.div[i]!;
    if (this.divisions.values[d] === MERGED_DIVISION) return;
    (this.byDivision[d] ??= new Set()).add(i);
    if (!isSettled(rows.flags[i]!, rows.closedAt[i]!)) {
      const at = this.liveCount++;
      this.livePos[i] = at;
      this.live[at] = i;
      copyRow(this.liveRows, at, rows, i);
      return;
    }
    this.fileSettled(i, true);
  }

  /** Takes a stored row out of where {@link attach} filed it (before it is overwritten). */
  private detach(i: number): void {
    const d = this.rows.div[i]!;
    this.byDivision[d]?.delete(i);
    if (this.livePos[i]! >= 0) {
      // The last live row takes the freed position, in the list and in the compact copy.
      const at = this.livePos[i]!;
      const lastAt = --this.liveCount;
      const last = this.live[lastAt]!;
      this.live[at] = last;
      this.livePos[last] = at;
      copyRow(this.liveRows, at, this.liveRows, lastAt);
      this.livePos[i] = -1;
    } else if (this.divisions.values[d] !== MERGED_DIVISION) {
      this.fileSettled(i, false);
    }
  }

  /** Adds a settled row to (or removes it from) its month's and its year's cells of every set, and its period's rows. */
  private fileSettled(i: number, add: boolean): void {
    const rows = this.rows;
    const period = periodOf(rows.submitted[i]!);
    const county = this.countyOfDivision[rows.div[i]!]!;
    const entry = this.cellEntry(i);
    for (const p of [period, yearPeriodOf(period)]) {
      for (const [set, a, b] of [[this.byUnit, rows.unit[i]!, rows.handler[i]!], [this.byCategory, rows.svc[i]!, 0], [this.byCounty, 0, 0]] as const) {
        const c = set.id(county, a, b, p);
        if (add) set.add(c, ...entry);
        else set.remove(c, ...entry);
      }
    }
    let settled = this.settledByPeriod.get(period);
    if (!settled) this.settledByPeriod.set(period, (settled = new Set()));
    if (add) settled.add(i);
    else settled.delete(i);
    this.periodVersion.set(period, (this.periodVersion.get(period) ?? 0) + 1);
  }

  /**
   * A compact copy of a period's settled rows (rebuilt after a change to them), for the per-row loops of
   * the queries whose range cuts the period; the copies of the last {@link PERIOD_COPIES} periods are kept.
   */
  private periodCopy(period: number): RowPart {
    const version = this.periodVersion.get(period) ?? 0;
    let copy = this.periodCopies.get(period);
    if (!copy || copy.version !== version) {
      const settled = this.settledByPeriod.get(period) ?? new Set<number>();
      const store = grownStore(newRowStore(), settled.size);
      let m = 0;
      for (const i of settled) copyRow(store, m++, this.rows, i);
      copy = { version, store, m, gOf: new Int32Array(m) };
    }
    this.periodCopies.delete(period); // (re)inserted last: the map's order is the order of use
    this.periodCopies.set(period, copy);
    for (const [old] of this.periodCopies) if (this.periodCopies.size > PERIOD_COPIES) this.periodCopies.delete(old);
    return { store: copy.store, list: this.identity, m: copy.m, gOf: copy.gOf };
  }

  /** Computes the statistics of q at q.nowMs, groups named from `ref` (see definitions.ts and the module comment). */
  compute(q: StatsQuery, ref?: ReferenceData, options: ComputeOptions = {}): StatsResult {
    const divMask = divisionMask(this.divisions.values, q.division);
    const keyDict = { unit: this.units, handler: this.handlers, category: this.services, county: this.counties, none: undefined }[q.groupBy];
    const groups = keyDict ? keyDict.values.length : 1;
    const c = newCounters(groups);
    const from = q.fromMs ?? -Infinity;
    const to = q.toMs ?? Infinity;

    // The rows for the per-row loops: every row; the rows of the divisions of a query below county level;
    // or the live rows (their compact copy) and the settled rows of the periods the range cuts, beside the cells.
    const list = this.scratchList;
    const parts: RowPart[] = [];
    let cells: { set: Cells; g: Int32Array; totalG: Int32Array } | undefined;
    if (options.path === 'rowwise') {
      for (let i = 0; i < this.n; i++) list[i] = i;
      parts.push({ store: this.rows, list, m: this.n, gOf: this.scratchGroup });
    } else if (q.division.length > COUNTY_CODE_LENGTH) {
      let m = 0;
      for (let d = 0; d < divMask.length; d++) if (divMask[d] === 1) for (const i of this.byDivision[d] ?? []) list[m++] = i;
      parts.push({ store: this.rows, list, m, gOf: this.scratchGroup });
    } else {
      const cut = periodsCut(from, to);
      parts.push({ store: this.liveRows, list: this.identity, m: this.liveCount, gOf: this.scratchLiveGroup });
      for (const period of cut) parts.push(this.periodCopy(period));
      cells = this.selectCells(q.groupBy, divisionMask(this.counties.values, q.division), from, to, cut);
      cells.set.countInto(cells.g, c);
    }
    for (const p of parts) {
      const key = { unit: p.store.unit, handler: p.store.handler, category: p.store.svc, county: this.countyOfDivision, none: undefined }[q.groupBy];
      assignRowGroups(p.list, p.m, p.gOf, p.store.div, p.store.submitted, divMask, from, to, key, q.groupBy === 'county');
      countRows(p.list, p.m, p.gOf, p.store, q.nowMs, c);
    }

    // Medians: the target buckets per group and for the total, then the values lying in them.
    const targets = medianTargets(c, groups);
    if (!keyDict) targets.fr[0] = targets.res[0] = undefined; // no groups: only the total's medians
    const cand: MedianCandidates = { fr: new Array<number[] | undefined>(groups), res: new Array<number[] | undefined>(groups), frTotal: [], resTotal: [] };
    for (const p of parts) collectCandidates(p.list, p.m, p.gOf, p.store, targets, cand);
    if (cells) this.collectFromCells(cells, targets, cand);
    return resultOf(q, ref, keyDict?.values, c, targets, cand);
  }

  /**
   * The cell set of a grouping and the group of each of its cells, and of each (county, month) cell for
   * the total's median candidates (the fewest cells to take them from).
   */
  private selectCells(groupBy: GroupBy, countyMask: Uint8Array, from: number, to: number, cut: ReadonlySet<number>): { set: Cells; g: Int32Array; totalG: Int32Array } {
    const set = groupBy === 'unit' || groupBy === 'handler' ? this.byUnit : groupBy === 'category' ? this.byCategory : this.byCounty;
    const grouping: CellGrouping = groupBy === 'unit' || groupBy === 'category' ? 'a' : groupBy === 'handler' ? 'b' : groupBy;
    const g = set.assignGroups(grouping, countyMask, from, to, cut);
    return { set, g, totalG: set === this.byCounty ? g : this.byCounty.assignGroups('none', countyMask, from, to, cut) };
  }

  /** Adds the cells' durations lying in the median buckets to the candidates. */
  private collectFromCells(cells: { set: Cells; g: Int32Array; totalG: Int32Array }, t: MedianTargets, cand: MedianCandidates): void {
    const both = cells.set === this.byCounty;
    cells.set.collect('fr', cells.g, t.fr, both ? t.frTotal : undefined, cand.fr, cand.frTotal);
    cells.set.collect('res', cells.g, t.res, both ? t.resTotal : undefined, cand.res, cand.resTotal);
    if (!both) {
      this.byCounty.collect('fr', cells.totalG, [], t.frTotal, [], cand.frTotal);
      this.byCounty.collect('res', cells.totalG, [], t.resTotal, [], cand.resTotal);
    }
  }
}
