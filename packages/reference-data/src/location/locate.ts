import type { DivisionIndex } from '@tongban/domain';
import { type CoordinateSystem, type LngLat, toWgs84 } from './coordinates';
import { CountyBoundaries } from './county-boundaries';
import { PlaceNameIndex } from './place-names';

/**
 * Location → division: where a report goes when the reporter gave a point or an address text rather
 * than a division code.
 *
 * 1. A division given by the caller is kept as given (`given`).
 * 2. Else a point (lat/long, converted from GCJ-02 to WGS-84 when that is its datum) is placed in its
 *    county by point-in-polygon (`polygon`); a point outside Liangshan is refused.
 * 3. Within that county (or, without a point, within the prefecture) the texts — the address first,
 *    then the description — are searched for a township or village name ({@link PlaceNameIndex}); the
 *    first text that names one unambiguously places the report there (`address`). Otherwise the report
 *    stays at the county; without a point and without such a name nothing can be derived.
 */

/** How the division of a report was found (recorded in TicketSubmitted.location.division_source). */
export type DivisionSource = 'given' | 'polygon' | 'address';

/** What a report says about where it is. */
export interface LocationInput {
  /** A division code the caller gave (may be empty). */
  division?: string;
  lat?: number;
  long?: number;
  /** Datum of lat/long. */
  coordinateSystem: CoordinateSystem;
  /** Address text first, then the description; empty texts are skipped. */
  texts: readonly string[];
}

/** Where a report was placed and how. */
export interface DerivedLocation {
  division: string;
  source: DivisionSource;
  /** The county the point lies in (point-in-polygon); empty without a point or for a given division. */
  county: string;
  /** The township or village name found in the texts (e.g. 锦城镇); empty when none was used. */
  matchedName: string;
  /** The point in WGS-84 as [long, lat] when one was given. */
  wgs84?: [number, number];
}

/** Why a location could not be turned into a division. */
export type LocationFailureReason =
  /** The point lies outside Liangshan's 17 counties. */
  | 'location_outside_jurisdiction'
  /** No division, no point, and no text naming a place unambiguously. */
  | 'division_not_derivable';

/** A location that gives no division. */
export class LocationError extends Error {
  override readonly name = 'LocationError';
  constructor(readonly reason: LocationFailureReason, message: string) {
    super(message);
  }
  get code(): LocationFailureReason {
    return this.reason;
  }
}

/** Places reports in divisions (county boundaries + place names); build once per process. */
export class Locator {
  private readonly names: PlaceNameIndex;
  /** The prefecture's code: the root of the hierarchy. */
  private readonly prefecture: string;

  constructor(divisions: DivisionIndex, private readonly boundaries = new CountyBoundaries()) {
    this.names = new PlaceNameIndex(divisions);
    const root = divisions.all().find((d) => d.parent === null);
    if (!root) throw new Error('the division hierarchy has no root');
    this.prefecture = root.code;
  }

  /** The county of a point (WGS-84 or GCJ-02), or undefined outside Liangshan. */
  countyAt(point: LngLat, system: CoordinateSystem): { code: string; name: string } | undefined {
    return this.boundaries.countyAt(toWgs84(point, system));
  }

  /**
   * The division of a report (see the module comment).
   * @throws LocationError location_outside_jurisdiction (a point outside Liangshan) or
   *   division_not_derivable (nothing to place the report by).
   */
  locate(input: LocationInput): DerivedLocation {
    const given = input.division?.trim() ?? '';
    const hasPoint = input.lat !== undefined && input.long !== undefined;
    const wgs84 = hasPoint ? toWgs84([input.long!, input.lat!], input.coordinateSystem) : undefined;
    if (given) return { division: given, source: 'given', county: '', matchedName: '', ...(wgs84 ? { wgs84 } : {}) };
    let county = '';
    if (wgs84) {
      const hit = this.boundaries.countyAt(wgs84);
      if (!hit) {
        throw new LocationError('location_outside_jurisdiction',
          `lat ${input.lat} / long ${input.long} (${input.coordinateSystem}) is outside Liangshan (凉山彝族自治州)`);
      }
      county = hit.code;
    }
    const scope = county || this.prefecture;
    for (const text of input.texts) {
      if (!text.trim()) continue;
      const match = this.names.match(text, scope);
      // Within a county found by the point, only a township or village adds anything.
      if (match && match.division.code !== county) {
        return { division: match.division.code, source: 'address', county, matchedName: match.name, ...(wgs84 ? { wgs84 } : {}) };
      }
    }
    if (county) return { division: county, source: 'polygon', county, matchedName: '', ...(wgs84 ? { wgs84 } : {}) };
    throw new LocationError('division_not_derivable',
      'the division cannot be derived: give lat/long, a division code, or an address naming a county, township or village of Liangshan unambiguously');
  }
}

const locators = new WeakMap<DivisionIndex, Locator>();

/** The locator of a division index, built once (it indexes every place name and reads the county boundaries). */
export function locatorFor(divisions: DivisionIndex): Locator {
  let locator = locators.get(divisions);
  if (!locator) {
    locator = new Locator(divisions);
    locators.set(divisions, locator);
  }
  return locator;
}
