/** Administrative level of a division, top to bottom. */
export type DivisionLevel = 'prefecture' | 'county' | 'township' | 'village';

/** One administrative division (shared/data/liangshan-divisions.json). */
export interface Division {
  /** Statistical division code (GB/T 2260 for prefecture and county, 9 and 12 digits below). */
  code: string;
  /** Name in zh-Hans. */
  name: string;
  level: DivisionLevel;
  /** Parent division code; null for the prefecture. */
  parent: string | null;
}

/**
 * Lookup over the division hierarchy.
 * Jurisdiction is the subtree of a division; codes are hierarchical (a child's code starts with its
 * parent's), but the index walks parent links so that it does not depend on that.
 */
export class DivisionIndex {
  private readonly byCode: ReadonlyMap<string, Division>;

  constructor(divisions: readonly Division[]) {
    this.byCode = new Map(divisions.map((d) => [d.code, d]));
  }

  /** The division with this code, or undefined. */
  get(code: string): Division | undefined {
    return this.byCode.get(code);
  }

  /** Every division, in input order. */
  all(): Division[] {
    return [...this.byCode.values()];
  }

  /** The division and its ancestors, from itself up to the prefecture. [] when unknown. */
  lineage(code: string): Division[] {
    const out: Division[] = [];
    let current = this.byCode.get(code);
    while (current) {
      out.push(current);
      current = current.parent === null ? undefined : this.byCode.get(current.parent);
    }
    return out;
  }

  /** True when `code` is `ancestor` or lies in its subtree. */
  isWithin(code: string, ancestor: string): boolean {
    return this.lineage(code).some((d) => d.code === ancestor);
  }

  /** The nearest division at `level` among the division and its ancestors, or undefined. */
  ancestorAt(code: string, level: DivisionLevel): Division | undefined {
    return this.lineage(code).find((d) => d.level === level);
  }

  /**
   * The division whose administration is responsible for a report located at `code`: a village's
   * township; a township, county or the prefecture itself.
   */
  responsibleDivision(code: string): Division | undefined {
    const division = this.byCode.get(code);
    if (!division) return undefined;
    return division.level === 'village' ? this.ancestorAt(code, 'township') : division;
  }
}
