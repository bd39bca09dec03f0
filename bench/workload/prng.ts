/** A small seeded PRNG (mulberry32) and the distributions the workload draws from. Deterministic per seed. */

/** What the state advances by at each draw (odd: the cycle is all 2^32 states). */
const STEP = 0x6d2b79f5;

/** Random numbers from a 32-bit seed. */
export class Prng {
  private state: number;
  /**
   * `stream` (0–15, default 0) starts the sequence 2^28 draws after stream 0 of the same seed: the state
   * only ever advances by a constant, so the streams of one seed are disjoint stretches of one cycle of 2^32
   * (different seeds alone may overlap). A ticket takes well under 100 draws, so a stream holds millions.
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isInteger(stream) || stream < 0 || stream > 15) throw new RangeError(`Prng stream must be 0–15, got ${stream}`);
    this.state = (seed + ((Math.imul(stream, STEP) & 0xf) << 28)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + STEP) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** One element by weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    return items[items.length - 1]![0];
  }
  /** Log-normal with the given median and spread (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * z);
  }
  /** 16 random bytes (for UUIDs). */
  bytes16(): Uint8Array {
    const out = new Uint8Array(16);
    for (let i = 0; i < 16; i += 4) {
      const n = (this.next() * 4294967296) >>> 0;
      out[i] = n & 255; out[i + 1] = (n >>> 8) & 255; out[i + 2] = (n >>> 16) & 255; out[i + 3] = (n >>> 24) & 255;
    }
    return out;
  }
}
