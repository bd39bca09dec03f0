/**
 * The durations (ms) to the first reply, or to the resolution, of the settled tickets of each cell
 * (cells.ts): per cell a growable Float64Array, sorted when a query first needs it after a change, with
 * its runs of equal duration bucket (medians.ts) — a sparse histogram — derived from the sorted values.
 * So a bulk load only appends, an incremental write inserts or deletes in one cell, and a query adds a
 * cell's histogram in as many steps as it has distinct buckets, then collects the values of a median
 * bucket as one contiguous slice.
 */
import { durationBucket } from './medians';

/** A cell's state: ready (sorted, runs valid), runs stale (sorted), or unsorted. */
const READY = 0;
const RUNS_STALE = 1;
const UNSORTED = 2;

/** Up to this many durations a cell stays sorted by insertion; beyond, it is sorted again when needed. */
const SORTED_INSERT_MAX = 64;

const EMPTY_VALUES = new Float64Array(0);
const EMPTY_BUCKETS = new Uint16Array(0);
const EMPTY_ENDS = new Int32Array(0);

/** Index of the first of `values[0 … n)` (sorted) that is ≥ x. */
function lowerBound(values: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The durations of every cell, by cell index (cells are created in index order by {@link ensure}). */
export class CellDurations {
  private values: Float64Array[] = [];
  private length = new Int32Array(0);
  private state = new Uint8Array(0);
  /** Per cell, the buckets present (ascending) and where each one's run ends in the sorted values. */
  private runBucket: Uint16Array[] = [];
  private runEnd: Int32Array[] = [];

  /** Forgets every cell. */
  clear(): void {
    this.values = [];
    this.runBucket = [];
    this.runEnd = [];
    this.length.fill(0);
    this.state.fill(READY);
  }

  /** Makes room for cells 0 … c (empty). */
  ensure(c: number): void {
    if (c >= this.length.length) {
      const capacity = Math.max(1024, this.length.length * 2, c + 1);
      const length = new Int32Array(capacity);
      length.set(this.length);
      const state = new Uint8Array(capacity);
      state.set(this.state);
      this.length = length;
      this.state = state;
    }
    for (let k = this.values.length; k <= c; k++) {
      this.values.push(EMPTY_VALUES);
      this.runBucket.push(EMPTY_BUCKETS);
      this.runEnd.push(EMPTY_ENDS);
      this.length[k] = 0;
      this.state[k] = READY;
    }
  }

  /** Adds a duration (ms) to cell c. */
  add(c: number, v: number): void {
    let values = this.values[c]!;
    const n = this.length[c]!;
    if (n === values.length) {
      const next = new Float64Array(Math.max(4, n * 2));
      next.set(values);
      this.values[c] = values = next;
    }
    const state = this.state[c]!;
    if (state === UNSORTED || n === 0 || values[n - 1]! <= v) {
      values[n] = v; // still sorted when it is the largest
      if (state === READY) this.state[c] = RUNS_STALE;
    } else if (n < SORTED_INSERT_MAX) {
      const at = lowerBound(values, n, v);
      values.copyWithin(at + 1, at, n);
      values[at] = v;
      this.state[c] = RUNS_STALE;
    } else {
      values[n] = v; // sorted by the next query that needs the cell (a bulk load only appends)
      this.state[c] = UNSORTED;
    }
    this.length[c] = n + 1;
  }

  /**
   * Removes one occurrence of a duration (ms) from cell c.
   * @throws Error when the cell does not hold it (the table removes only what it added).
   */
  remove(c: number, v: number): void {
    this.sort(c);
    const values = this.values[c]!;
    const n = this.length[c]!;
    const at = lowerBound(values, n, v);
    if (at === n || values[at] !== v) throw new Error(`stats cell ${c}: duration ${v} not found`);
    values.copyWithin(at, at + 1, n);
    this.length[c] = n - 1;
    this.state[c] = RUNS_STALE;
  }

  private sort(c: number): void {
    if (this.state[c] !== UNSORTED) return;
    this.values[c]!.subarray(0, this.length[c]).sort();
    this.state[c] = RUNS_STALE;
  }

  /** Sorts cell c and derives its runs when a change left them stale. */
  private prepare(c: number): void {
    if (this.state[c] === READY) return;
    this.sort(c);
    const values = this.values[c]!;
    const n = this.length[c]!;
    let runs = 0;
    for (let k = 0, last = -1; k < n; k++) {
      const b = durationBucket(values[k]!);
      if (b !== last) { runs += 1; last = b; }
    }
    const buckets = new Uint16Array(runs);
    const ends = new Int32Array(runs);
    for (let k = 0, r = -1; k < n; k++) {
      const b = durationBucket(values[k]!);
      if (r < 0 || b !== buckets[r]) buckets[++r] = b;
      ends[r] = k + 1;
    }
    this.runBucket[c] = buckets;
    this.runEnd[c] = ends;
    this.state[c] = READY;
  }

  /** Number of durations in cell c. */
  count(c: number): number {
    return this.length[c]!;
  }

  /** Adds cell c's histogram of buckets to `hist[offset + bucket]`. */
  addHistogram(c: number, hist: Int32Array, offset: number): void {
    if (this.length[c] === 0) return;
    this.prepare(c);
    const buckets = this.runBucket[c]!;
    const ends = this.runEnd[c]!;
    for (let r = 0, start = 0; r < buckets.length; r++) {
      const end = ends[r]!;
      hist[offset + buckets[r]!]! += end - start;
      start = end;
    }
  }

  /** Appends to `out` the durations of cell c whose bucket is `lo` or `hi` (lo ≤ hi). */
  collect(c: number, lo: number, hi: number, out: number[]): void {
    if (this.length[c] === 0) return;
    this.prepare(c);
    const buckets = this.runBucket[c]!;
    const ends = this.runEnd[c]!;
    const values = this.values[c]!;
    let r = 0; // the first run at or above lo
    for (let top = buckets.length; r < top;) {
      const mid = (r + top) >> 1;
      if (buckets[mid]! < lo) r = mid + 1;
      else top = mid;
    }
    for (; r < buckets.length; r++) {
      const b = buckets[r]!;
      if (b > hi) return;
      if (b !== lo && b !== hi) continue;
      for (let k = r === 0 ? 0 : ends[r - 1]!, end = ends[r]!; k < end; k++) out.push(values[k]!);
    }
  }
}
