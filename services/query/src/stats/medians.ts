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

/** The median (ms) from the candidates — every value in the target's buckets; null when nothing was measured. */
export function medianFrom(t: MedianTarget | undefined, candidates: number[] | undefined): number | null {
  if (!t || !candidates) return null;
  const sorted = Float64Array.from(candidates).sort();
  return (sorted[t.rankLo - t.below]! + sorted[t.rankHi - t.below]!) / 2;
}
