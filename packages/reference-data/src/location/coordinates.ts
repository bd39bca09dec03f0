import gcoord from 'gcoord';

/**
 * The datums a location arrives in. WGS-84 (EPSG:4326) is what GPS receivers and Open311 clients give;
 * GCJ-02 is the obfuscated datum that maps and phones sold in mainland China use (Amap, Tencent, the
 * system location APIs there), shifted from WGS-84 by a few hundred metres (≈ 400 m in Liangshan).
 */
export type CoordinateSystem = 'WGS-84' | 'GCJ-02';

/** The `coordinate_system` values accepted (case-insensitive), by datum. */
const ALIASES: Readonly<Record<string, CoordinateSystem>> = {
  'wgs-84': 'WGS-84', wgs84: 'WGS-84', 'epsg:4326': 'WGS-84',
  'gcj-02': 'GCJ-02', gcj02: 'GCJ-02',
};

/** The accepted spellings, for error messages. */
export const COORDINATE_SYSTEM_VALUES = ['WGS-84', 'GCJ-02'] as const;

/**
 * Reads a `coordinate_system` parameter: `WGS-84` (also `wgs84`, `EPSG:4326`) or `GCJ-02` (also
 * `gcj02`), case-insensitive; undefined for anything else (the caller reports it).
 */
export function parseCoordinateSystem(text: string): CoordinateSystem | undefined {
  return ALIASES[text.trim().toLowerCase()];
}

/** A position as [longitude, latitude] in decimal degrees (GeoJSON order). */
export type LngLat = readonly [number, number];

/**
 * The WGS-84 position of a point given in `system` (GCJ-02 → WGS-84 by `gcoord`'s iterative inverse of
 * the GCJ-02 transform, accurate to well under a metre; outside mainland China GCJ-02 equals WGS-84).
 */
export function toWgs84(point: LngLat, system: CoordinateSystem): [number, number] {
  if (system === 'WGS-84') return [point[0], point[1]];
  return gcoord.transform<[number, number]>([point[0], point[1]], gcoord.GCJ02, gcoord.WGS84);
}

/** The GCJ-02 position of a WGS-84 point (the forward transform; for tests and for drawing on Chinese maps). */
export function toGcj02(point: LngLat): [number, number] {
  return gcoord.transform<[number, number]>([point[0], point[1]], gcoord.WGS84, gcoord.GCJ02);
}
