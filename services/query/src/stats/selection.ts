/**
 * Which rows of the in-memory table a query takes, and into which group: the division subtree (merged
 * tickets' rows sit under a division no query matches) and the range of submission times.
 * (Which cells a query takes: `Cells.assignGroups` in cells.ts; who may ask for which division: scope.ts.)
 */

/** The division key of merged tickets' rows (issue 14 item 5): matched by no query, so they count nowhere. */
export const MERGED_DIVISION = '#merged';

/** mask[d] = 1 when division code d (dictionary index) lies in the subtree of `division` ("" = all), else 0. */
export function divisionMask(codes: readonly string[], division: string): Uint8Array {
  const mask = new Uint8Array(codes.length);
  codes.forEach((code, d) => { mask[d] = code !== MERGED_DIVISION && code.startsWith(division) ? 1 : 0; });
  return mask;
}

/**
 * gOf[k] = the group of row list[k] (k < m), or -1 when it is outside the division mask or the submission
 * range [from, to) of epoch ms. The group is key[row] (unit, handler, category), key[division of the row]
 * when `byDivision` (county), or 0 without a key.
 */
export function assignRowGroups(
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
