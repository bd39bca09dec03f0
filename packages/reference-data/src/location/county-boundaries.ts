import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { Feature, FeatureCollection, MultiPolygon } from 'geojson';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LngLat } from './coordinates';

/**
 * GeoJSON (RFC 7946, WGS-84) of Liangshan's 17 county-level divisions with their 2023 codes, one
 * MultiPolygon feature per county (`id` and `properties.code`: the 6-digit code; `properties.name`:
 * the zh-Hans name). Source, licence and how it was made: `geo/README.md` beside it. Browser apps can
 * import it directly as `@tongban/reference-data/geo/liangshan-counties.geo.json`.
 */
export const COUNTY_BOUNDARIES_FILE = join(__dirname, '..', '..', 'geo', 'liangshan-counties.geo.json');

/** Properties of a county feature. */
export interface CountyProperties {
  code: string;
  name: string;
  /** Only for a renamed county: its code and name in the source (e.g. 513425 会理县). */
  sourceCode?: string;
  sourceName?: string;
}

export type CountyFeature = Feature<MultiPolygon, CountyProperties>;
export type CountyBoundariesGeoJson = FeatureCollection<MultiPolygon, CountyProperties>;

/**
 * How far outside every polygon (metres) a point may lie and still count as in the nearest county.
 * The source's vertices sit on a 1/1024° grid (≈ 100 m) and its outline is simplified, so a point a
 * little outside the drawn outer border is usually still in Liangshan; further out it is not.
 */
export const BORDER_TOLERANCE_M = 250;

/** Reads the shipped GeoJSON. */
export function readCountyBoundaries(file = COUNTY_BOUNDARIES_FILE): CountyBoundariesGeoJson {
  return JSON.parse(readFileSync(file, 'utf8')) as CountyBoundariesGeoJson;
}

/** A county a point was placed in. */
export interface CountyHit {
  code: string;
  name: string;
  /** 0 inside the polygon; otherwise the distance to it in metres (at most {@link BORDER_TOLERANCE_M}). */
  distanceM: number;
}

const EARTH_RADIUS_M = 6_371_008.8;

/**
 * Point-in-polygon over the county boundaries (`@turf/boolean-point-in-polygon`; a point on a shared
 * edge belongs to the county with the lower code).
 */
export class CountyBoundaries {
  private readonly features: readonly CountyFeature[];

  constructor(geojson: CountyBoundariesGeoJson = readCountyBoundaries()) {
    this.features = [...geojson.features].sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  }

  /** The county features, by code. */
  all(): readonly CountyFeature[] {
    return this.features;
  }

  /**
   * The county containing a WGS-84 point, else the nearest one within {@link BORDER_TOLERANCE_M};
   * undefined when the point is outside Liangshan.
   */
  countyAt(point: LngLat): CountyHit | undefined {
    const position: [number, number] = [point[0], point[1]];
    const inside = this.features.find((f) => booleanPointInPolygon(position, f));
    if (inside) return { code: inside.properties.code, name: inside.properties.name, distanceM: 0 };
    let best: CountyHit | undefined;
    for (const f of this.features) {
      const distanceM = distanceToMultiPolygonM(position, f.geometry.coordinates);
      if (distanceM <= BORDER_TOLERANCE_M && (!best || distanceM < best.distanceM)) best = { code: f.properties.code, name: f.properties.name, distanceM };
    }
    return best;
  }
}

/** Distance in metres from a point to the edges of a MultiPolygon (equirectangular at the point's latitude: fine over a few km). */
function distanceToMultiPolygonM([lng, lat]: [number, number], polygons: number[][][][]): number {
  const kx = (Math.PI / 180) * EARTH_RADIUS_M * Math.cos((lat * Math.PI) / 180);
  const ky = (Math.PI / 180) * EARTH_RADIUS_M;
  let best = Infinity;
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (let i = 1; i < ring.length; i++) {
        const a = ring[i - 1]!;
        const b = ring[i]!;
        const ax = (a[0]! - lng) * kx, ay = (a[1]! - lat) * ky;
        const bx = (b[0]! - lng) * kx, by = (b[1]! - lat) * ky;
        const dx = bx - ax, dy = by - ay;
        const len2 = dx * dx + dy * dy;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
        best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
      }
    }
  }
  return best;
}
