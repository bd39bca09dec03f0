/**
 * The storage of the in-memory statistics (table.ts, cells.ts): strings held once in dictionaries and
 * referred to by index, and typed-array columns that grow by doubling.
 */

/** A string ↔ index dictionary: `id` gives each new value the next index; `values[i]` is the value of index i. */
export class Dict {
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  /** The index of a value, given the next free one when the value is new. */
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

/** A column of the tables: one typed array of numbers. */
export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array;

/** A copy of a column with room for `capacity` entries (same type; the new entries are 0). */
export function grown<T extends Column>(old: T, capacity: number): T {
  const next = new (old.constructor as new (length: number) => T)(capacity);
  next.set(old);
  return next;
}
