/**
 * Exact medians of durations through histograms (no approximation): every duration falls in a bucket
 * (log scale, 16 buckets per doubling of 1 + seconds); a group's histogram tells in which bucket(s) its
 * two middle values lie, and only the durations in those buckets are then collected and sorted.
 */

/** Number of duration buckets: 0 for ≤ 0 ms, then 16 per doubling of (1 + seconds), the last one open-ended. */
export const BUCKETS = 512;

/** The bucket (0 … BUCKETS − 1) of a duration in ms; monotonic non-decreasing in the duration. */
export function durationBucket(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log2(1 + ms / 1000) * 16));
}

/** The median of values (mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return (sorted[(n - 1) >> 1]! + sorted[n >> 1]!) / 2;
}

/** Where a median lies in a histogram: the buckets of the two middle ranks and what lies below them. */
export interface MedianTarget {
  /** Bucket of the lower middle value. */
  lo: number;
  /** Bucket of the upper middle value (= lo unless they straddle two buckets). */
  hi: number;
  /** Values in buckets below `lo`. */
  below: number;
  /** Ranks of the two middle values (equal for an odd count). */
  rankLo: number;
  rankHi: number;
}

/**
 * The median target of the `count` values counted in `hist[offset … offset + BUCKETS)`;
 * undefined when there are none.
 */
export function medianTarget(hist: Int32Array, offset: number, count: number): MedianTarget | undefined {
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

/**
 * Rearranges `a` so that a[k] is the value a sort would put there, with nothing larger before it and
 * nothing smaller after it (Hoare's selection, median-of-three pivot; linear on average).
 */
function selectKth(a: Float64Array, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as the pivot, which also keeps sorted and reversed input linear.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) swap(a, i++, j--);
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The median (ms) from the candidates — every value in the target's buckets; null when nothing was
 * measured. The two middle ranks are selected, not sorted for: the candidates of a prefecture's total
 * are tens of thousands.
 */
export function medianFrom(t: MedianTarget | undefined, candidates: number[] | undefined): number | null {
  if (!t || !candidates) return null;
  const a = Float64Array.from(candidates);
  const kLo = t.rankLo - t.below;
  selectKth(a, kLo);
  let hi = a[kLo]!;
  if (t.rankHi !== t.rankLo) {
    hi = Infinity; // the next rank: the smallest value after kLo
    for (let k = kLo + 1; k < a.length; k++) if (a[k]! < hi) hi = a[k]!;
  }
  return (a[kLo]! + hi) / 2;
}
