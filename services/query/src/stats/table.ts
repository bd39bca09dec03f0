/**
 * An in-memory, columnar copy of `ticket_stats` (one row per ticket, kept by cache.ts) and the query over
 * it: the figures of definitions.ts. This file holds the rows and files each one where a query finds it;
 * the parts it uses live beside it:
 * - columns.ts: the string dictionaries and the growth of the typed-array columns;
 * - counting.ts: the definitions applied to rows — the flags a row carries, what it adds to its group's
 *   counters, what a settled row adds to its cell, and the per-row loops (counting, median candidates);
 * - cells.ts: the pre-aggregated settled tickets, by month of submission in Asia/Shanghai;
 * - selection.ts: which rows a query takes (division subtree, submission range) and their groups;
 * - medians.ts: exact medians through duration buckets; figures.ts: the answer built from the counters.
 *
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
import type { ReferenceData } from '@tongban/reference-data';
import { Cells, periodOf, periodsCut } from './cells';
import { type Column, Dict, grown } from './columns';
import { type RowColumns, F_REPLIED, F_RESOLVED, collectCandidates, countRows, isSettled, medianTargets, newCounters, rowFlags, settledCounts } from './counting';
import { type StatsQuery, type StatsResult, countyOf } from './definitions';
import { type FactsRecord, MERGED_STATUS } from './facts';
import { resultOf } from './figures';
import { durationBucket } from './medians';
import { MERGED_DIVISION, assignRowGroups, divisionMask } from './selection';

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
  private submitted = new Float64Array(0);
  /** The columns the per-row loops read (counting.ts). */
  private rows: RowColumns = {
    flags: new Uint8Array(0), rating: new Uint8Array(0), frDue: new Float64Array(0), resDue: new Float64Array(0), closedAt: new Float64Array(0),
    frDur: new Float64Array(0), resDur: new Float64Array(0), frBucket: new Uint16Array(0), resBucket: new Uint16Array(0),
  };
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
    const g = <T extends Column>(old: T): T => grown(old, capacity);
    this.revision = g(this.revision);
    this.div = g(this.div);
    this.svc = g(this.svc);
    this.unit = g(this.unit);
    this.handler = g(this.handler);
    this.submitted = g(this.submitted);
    const r = this.rows;
    this.rows = {
      flags: g(r.flags), rating: g(r.rating), frDue: g(r.frDue), resDue: g(r.resDue), closedAt: g(r.closedAt),
      frDur: g(r.frDur), resDur: g(r.resDur), frBucket: g(r.frBucket), resBucket: g(r.resBucket),
    };
    this.cellOf = g(this.cellOf);
    this.live = g(this.live);
    this.livePos = g(this.livePos);
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
    if (d >= this.countyOfDivision.length) this.countyOfDivision = grown(this.countyOfDivision, Math.max(64, this.countyOfDivision.length * 2, d + 1));
    this.countyOfDivision[d] = this.counties.id(countyOf(r.division));
    const replied = !Number.isNaN(r.firstRepliedMs);
    const resolved = !Number.isNaN(r.resolvedMs);
    const rows = this.rows;
    this.revision[i] = r.revision;
    this.div[i] = d;
    this.svc[i] = this.services.id(r.serviceCode);
    this.unit[i] = this.units.id(r.accountableUnitId);
    this.handler[i] = this.handlers.id(r.handlerId);
    rows.flags[i] = rowFlags(r);
    rows.rating[i] = r.rating;
    this.submitted[i] = r.submittedMs;
    rows.frDue[i] = r.firstResponseDueMs;
    rows.resDue[i] = r.resolutionDueMs;
    rows.closedAt[i] = r.closedMs;
    rows.frDur[i] = replied ? r.firstRepliedMs - r.submittedMs : Number.NaN;
    rows.resDur[i] = resolved ? r.resolvedMs - r.submittedMs : Number.NaN;
    rows.frBucket[i] = replied ? durationBucket(rows.frDur[i]!) : 0;
    rows.resBucket[i] = resolved ? durationBucket(rows.resDur[i]!) : 0;
    this.attach(i);
  }

  /** What settled row i adds to its cell: its counts and its durations (ms; undefined = not replied / not resolved). */
  private cellEntry(i: number): Parameters<Cells['add']> {
    const { flags, rating, frDue, resDue, closedAt, frDur, resDur } = this.rows;
    const f = flags[i]!;
    return [
      this.cellOf[i]!, settledCounts(f, frDue[i]!, resDue[i]!, closedAt[i]!, rating[i]!),
      (f & F_REPLIED) !== 0 ? frDur[i]! : undefined, (f & F_RESOLVED) !== 0 ? resDur[i]! : undefined,
    ];
  }

  /** Files a stored row: into its cell and period (settled) or the live list. */
  private attach(i: number): void {
    if (!isSettled(this.rows.flags[i]!, this.rows.closedAt[i]!)) {
      this.livePos[i] = this.liveCount;
      this.live[this.liveCount++] = i;
      return;
    }
    const period = periodOf(this.submitted[i]!);
    this.cellOf[i] = this.cells.id(this.div[i]!, this.unit[i]!, this.handler[i]!, this.svc[i]!, period);
    this.cells.add(...this.cellEntry(i));
    let rows = this.settledByPeriod.get(period);
    if (!rows) this.settledByPeriod.set(period, (rows = new Set()));
    rows.add(i);
  }

  /** Takes a stored row out of its cell and period, or out of the live list (before it is overwritten). */
  private detach(i: number): void {
    if (this.cellOf[i]! < 0) {
      const at = this.livePos[i]!;
      const last = this.live[--this.liveCount]!;
      this.live[at] = last;
      this.livePos[last] = at;
      this.livePos[i] = -1;
      return;
    }
    this.cells.remove(...this.cellEntry(i));
    this.settledByPeriod.get(periodOf(this.submitted[i]!))?.delete(i);
    this.cellOf[i] = -1;
  }

  /** Computes the statistics of q at q.nowMs, groups named from `ref` (see definitions.ts and the module comment). */
  compute(q: StatsQuery, ref?: ReferenceData, options: ComputeOptions = {}): StatsResult {
    const divMask = divisionMask(this.divisions.values, q.division);
    const keyDict = { unit: this.units, handler: this.handlers, category: this.services, county: this.counties, none: undefined }[q.groupBy];
    const groups = keyDict ? keyDict.values.length : 1;
    const c = newCounters(groups);
    const gOf = this.scratchGroup;
    const keyCol = q.groupBy === 'unit' ? this.unit : q.groupBy === 'handler' ? this.handler : q.groupBy === 'category' ? this.svc : undefined;
    const from = q.fromMs ?? -Infinity;
    const to = q.toMs ?? Infinity;

    // The rows for the per-row loops: every row, or the live rows and the settled rows of the periods the range cuts.
    const list = this.scratchList;
    let m: number;
    let cellG: Int32Array | undefined;
    const path = !options.path || options.path === 'auto' ? this.autoPath() : options.path;
    if (path === 'rowwise') {
      for (let i = 0; i < this.n; i++) list[i] = i;
      m = this.n;
    } else {
      const cut = periodsCut(from, to);
      list.set(this.live.subarray(0, this.liveCount));
      m = this.liveCount;
      for (const period of cut) for (const i of this.settledByPeriod.get(period) ?? []) list[m++] = i;
      cellG = this.cells.assignGroups(q.groupBy, divMask, this.countyOfDivision, from, to, cut);
      this.cells.countInto(cellG, c);
    }
    assignRowGroups(list, m, gOf, this.div, this.submitted, divMask, from, to,
      keyCol ?? (q.groupBy === 'county' ? this.countyOfDivision : undefined), q.groupBy === 'county');
    countRows(list, m, gOf, this.rows, q.nowMs, c);

    // Medians: the target buckets per group and for the total, then one pass collecting their values.
    const targets = medianTargets(c, groups);
    const cand = collectCandidates(list, m, gOf, this.rows, targets, groups);
    if (cellG) {
      this.cells.collect('fr', cellG, targets.fr, targets.frTotal, cand.fr, cand.frTotal);
      this.cells.collect('res', cellG, targets.res, targets.resTotal, cand.res, cand.resTotal);
    }
    return resultOf(q, ref, keyDict?.values, c, targets, cand);
  }
}
