/**
 * The columns of the in-memory table's rows (table.ts): what selects a row and groups it (division,
 * category, unit, handler, submission instant) and what the per-row loops count (counting.ts). The
 * table keeps all its rows in one store and a compact copy of its live rows in another, in the order of
 * the live list: a query's per-row loops then read the live rows' columns sequentially instead of a few
 * tens of thousands of scattered rows among a million (measured: the scattered reads were most of the
 * per-row time).
 */
import { type Column, grown } from './columns';
import type { RowColumns } from './counting';

/** Columns indexed by row (or by position in the live list); instants and durations in epoch ms, NaN = none. */
export interface RowStore extends RowColumns {
  /** Dictionary indexes (table.ts). */
  div: Uint32Array; svc: Uint32Array; unit: Uint32Array; handler: Uint32Array;
  submitted: Float64Array;
}

/** An empty store. */
export function newRowStore(): RowStore {
  return {
    div: new Uint32Array(0), svc: new Uint32Array(0), unit: new Uint32Array(0), handler: new Uint32Array(0), submitted: new Float64Array(0),
    flags: new Uint8Array(0), rating: new Uint8Array(0), frDue: new Float64Array(0), resDue: new Float64Array(0), closedAt: new Float64Array(0),
    frDur: new Float64Array(0), resDur: new Float64Array(0), frBucket: new Uint16Array(0), resBucket: new Uint16Array(0),
  };
}

/** A copy of a store with room for `capacity` rows. */
export function grownStore(s: RowStore, capacity: number): RowStore {
  const g = <T extends Column>(old: T): T => grown(old, capacity);
  return {
    div: g(s.div), svc: g(s.svc), unit: g(s.unit), handler: g(s.handler), submitted: g(s.submitted),
    flags: g(s.flags), rating: g(s.rating), frDue: g(s.frDue), resDue: g(s.resDue), closedAt: g(s.closedAt),
    frDur: g(s.frDur), resDur: g(s.resDur), frBucket: g(s.frBucket), resBucket: g(s.resBucket),
  };
}

/** Copies row i of `src` to row p of `dst`. */
export function copyRow(dst: RowStore, p: number, src: RowStore, i: number): void {
  dst.div[p] = src.div[i]!; dst.svc[p] = src.svc[i]!; dst.unit[p] = src.unit[i]!; dst.handler[p] = src.handler[i]!;
  dst.submitted[p] = src.submitted[i]!; dst.flags[p] = src.flags[i]!; dst.rating[p] = src.rating[i]!;
  dst.frDue[p] = src.frDue[i]!; dst.resDue[p] = src.resDue[i]!; dst.closedAt[p] = src.closedAt[i]!;
  dst.frDur[p] = src.frDur[i]!; dst.resDur[p] = src.resDur[i]!; dst.frBucket[p] = src.frBucket[i]!; dst.resBucket[p] = src.resBucket[i]!;
}
