/**
 * An in-memory, columnar copy of `ticket_stats` and the statistics computed over it (definitions.ts).
 * What does not depend on "now" is prepared when a row is stored: flags (closed, open, replied and on
 * time, resolved and on time, paused), the durations to the first reply and to the resolution, and
 * their histogram bucket (log scale, 16 buckets per doubling). A query is then two tight loops over
 * typed arrays: one that groups and counts (with a histogram of durations per group), one that
 * collects only the durations in each group's median bucket — exact medians without sorting millions
 * of values. About 80 bytes per ticket plus its id; see `npm run bench` for the timings.
 */
import type { ReferenceData } from '@tongban/reference-data';
import { CLOSED_STATUSES, type GroupBy, type GroupFigures, OPEN_STATUSES, type StatsResult, countyOf, rate } from './definitions';

const HOUR_MS = 3_600_000;

/** One ticket as the table stores it: facts with instants as epoch milliseconds (NaN = none). */
export interface FactsRecord {
  ticketId: string;
  revision: number;
  division: string;
  serviceCode: string;
  accountableUnitId: string;
  handlerId: string;
  status: string;
  submittedMs: number;
  firstResponseDueMs: number;
  firstRepliedMs: number;
  resolutionDueMs: number;
  resolutionPaused: boolean;
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
export function durationBucket(ms: number): number {
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

  /** Number of tickets held. */
  get size(): number {
    return this.n;
  }

  /** Removes every row (keeps the dictionaries). */
  clear(): void {
    this.n = 0;
    this.rowOf.clear();
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
    this.scratchGroup = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** Adds or replaces a ticket's row (a row with a higher stored revision is kept). */
  upsert(r: FactsRecord): void {
    let i = this.rowOf.get(r.ticketId);
    if (i === undefined) {
      if (this.n === this.capacity) this.grow();
      i = this.n++;
      this.rowOf.set(r.ticketId, i);
    } else if (this.revision[i]! > r.revision) {
      return;
    }
    const d = this.divisions.id(r.division);
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
  }

  /** Computes the statistics (see definitions.ts and the module comment). */
  compute(q: StatsQuery, ref?: ReferenceData): StatsResult {
    const n = this.n;
    const divMask = new Uint8Array(this.divisions.values.length);
    this.divisions.values.forEach((code, d) => { divMask[d] = code.startsWith(q.division) ? 1 : 0; });
    const keyDict = { unit: this.units, handler: this.handlers, category: this.services, county: this.counties, none: undefined }[q.groupBy];
    const groups = keyDict ? keyDict.values.length : 1;
    const c = newCounters(groups);
    const gOf = this.scratchGroup;
    const keyCol = q.groupBy === 'unit' ? this.unit : q.groupBy === 'handler' ? this.handler : q.groupBy === 'category' ? this.svc : undefined;
    assignGroups(n, gOf, this.div, this.submitted, divMask, q.fromMs ?? -Infinity, q.toMs ?? Infinity,
      keyCol ?? (q.groupBy === 'county' ? this.countyOfDivision : undefined), q.groupBy === 'county');
    countRows(n, gOf, this.flags, this.rating, this.frDue, this.resDue, this.closedAt, this.frBucket, this.resBucket, q.nowMs, c);

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
    const cand = collectCandidates(n, gOf, this.flags, this.frDur, this.resDur, this.frBucket, this.resBucket, frT, resT, frTotal, resTotal, groups);

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
    out.sort((a, b) => b.received - a.received || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
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
    return {
      division: q.division,
      ...(q.fromMs !== undefined ? { from: new Date(q.fromMs).toISOString() } : {}),
      ...(q.toMs !== undefined ? { to: new Date(q.toMs).toISOString() } : {}),
      groupBy: q.groupBy,
      generatedAt: new Date(q.nowMs).toISOString(),
      total,
      groups: keyDict ? out : [],
    };
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

/** gOf[i] = the group of row i, or -1 when it is outside the division or the submission range. */
function assignGroups(
  n: number, gOf: Int32Array, div: Uint32Array, submitted: Float64Array, divMask: Uint8Array, from: number, to: number,
  key: Uint32Array | undefined, byDivision: boolean,
): void {
  for (let i = 0; i < n; i++) {
    const s = submitted[i]!;
    const d = div[i]!;
    if (divMask[d] === 0 || s < from || s >= to) gOf[i] = -1;
    else gOf[i] = key === undefined ? 0 : byDivision ? key[d]! : key[i]!;
  }
}

/** Adds every row with a group to its counters and duration histograms (see definitions.ts). */
function countRows(
  n: number, gOf: Int32Array, flags: Uint8Array, rating: Uint8Array, frDue: Float64Array, resDue: Float64Array, closedAt: Float64Array,
  frBucket: Uint16Array, resBucket: Uint16Array, now: number, c: Counters,
): void {
  const { received, closed, frDue: frDueCount, frOnTime, resDue: resDueCount, resOnTime, open, overdue, rated, ratingSum, frCount, resCount, frHist, resHist } = c;
  for (let i = 0; i < n; i++) {
    const g = gOf[i]!;
    if (g < 0) continue;
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

/** The durations lying in the median buckets, per group and for the total. */
function collectCandidates(
  n: number, gOf: Int32Array, flags: Uint8Array, frDur: Float64Array, resDur: Float64Array, frBucket: Uint16Array, resBucket: Uint16Array,
  frT: (MedianTarget | undefined)[], resT: (MedianTarget | undefined)[], frTotal: MedianTarget | undefined, resTotal: MedianTarget | undefined,
  groups: number,
): { fr: (number[] | undefined)[]; res: (number[] | undefined)[]; frTotal: number[]; resTotal: number[] } {
  const fr: (number[] | undefined)[] = new Array(groups);
  const res: (number[] | undefined)[] = new Array(groups);
  const frAll: number[] = [];
  const resAll: number[] = [];
  const frLo = Int32Array.from(frT, (t) => t?.lo ?? -1);
  const frHi = Int32Array.from(frT, (t) => t?.hi ?? -1);
  const resLo = Int32Array.from(resT, (t) => t?.lo ?? -1);
  const resHi = Int32Array.from(resT, (t) => t?.hi ?? -1);
  const [ftLo, ftHi, rtLo, rtHi] = [frTotal?.lo ?? -1, frTotal?.hi ?? -1, resTotal?.lo ?? -1, resTotal?.hi ?? -1];
  for (let i = 0; i < n; i++) {
    const g = gOf[i]!;
    if (g < 0) continue;
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
