/**
 * Location → division on the shipped county boundaries and the real division names. The test points
 * are listed here once; every test below asserts each of them.
 */
import { loadReferenceData } from '../index';
import { toGcj02, toWgs84, parseCoordinateSystem } from './coordinates';
import { CountyBoundaries, readCountyBoundaries } from './county-boundaries';
import { LocationError, Locator } from './locate';
import { PlaceNameIndex, namesOf } from './place-names';

const ref = loadReferenceData();
const boundaries = new CountyBoundaries();
const locator = new Locator(ref.divisions, boundaries);

/**
 * The seat of each county as [long, lat] in WGS-84: the county centres published with the source
 * (Amap's district centres, GCJ-02) converted to WGS-84 — independent of the polygons.
 */
const COUNTY_SEATS: readonly [code: string, seat: string, lngLat: [number, number]][] = [
  ['513401', '西昌市 (city centre)', [102.2630, 27.8979]],
  ['513402', '会理市 (古城街道)', [102.2432, 26.6586]],
  ['513422', '木里藏族自治县 (乔瓦镇)', [101.2786, 27.9323]],
  ['513423', '盐源县 (盐井街道)', [101.5076, 27.4261]],
  ['513424', '德昌县 (德州街道)', [102.1741, 27.4062]],
  ['513426', '会东县 (会东街道)', [102.5767, 26.6384]],
  ['513427', '宁南县 (披砂镇)', [102.7502, 27.0647]],
  ['513428', '普格县 (普基镇)', [102.5395, 27.3799]],
  ['513429', '布拖县 (特木里镇)', [102.8105, 27.7095]],
  ['513430', '金阳县 (天地坝镇)', [103.2469, 27.7003]],
  ['513431', '昭觉县 (新城镇)', [102.8388, 28.0189]],
  ['513432', '喜德县 (光明镇)', [102.4108, 28.3100]],
  ['513433', '冕宁县 (城厢镇)', [102.1754, 28.5530]],
  ['513434', '越西县 (越城镇)', [102.5062, 28.6432]],
  ['513435', '甘洛县 (新市坝镇)', [102.7699, 28.9623]],
  ['513436', '美姑县 (巴普镇)', [103.1301, 28.3319]],
  ['513437', '雷波县 (锦城镇)', [103.5698, 28.2663]],
];

/**
 * Pairs of points 1 km on either side of a county border (at a vertex the two polygons share), WGS-84:
 * [county A, point in A, county B, point in B].
 */
const BORDER_PAIRS: readonly [string, [number, number], string, [number, number]][] = [
  ['513401', [102.1432, 27.5887], '513424', [102.1288, 27.5760]], // 西昌市 | 德昌县
  ['513401', [102.0213, 27.6987], '513423', [102.0009, 27.6987]], // 西昌市 | 盐源县
  ['513401', [102.4000, 27.8362], '513431', [102.4052, 27.8188]], // 西昌市 | 昭觉县
  ['513424', [102.2661, 27.1269], '513402', [102.2466, 27.1222]], // 德昌县 | 会理市
  ['513426', [102.6221, 26.8065], '513402', [102.6019, 26.8065]], // 会东县 | 会理市
  ['513422', [101.2613, 27.7270], '513423', [101.2512, 27.7114]], // 木里 | 盐源县
  ['513429', [102.7332, 27.7573], '513428', [102.7129, 27.7573]], // 布拖县 | 普格县
  ['513430', [103.3110, 27.8998], '513437', [103.3314, 27.8998]], // 金阳县 | 雷波县
  ['513432', [102.2919, 28.3540], '513433', [102.2714, 28.3540]], // 喜德县 | 冕宁县
  ['513435', [102.6124, 28.8618], '513434', [102.6330, 28.8618]], // 甘洛县 | 越西县
  ['513436', [102.9793, 28.6773], '513435', [102.9588, 28.6773]], // 美姑县 | 甘洛县
  ['513437', [103.2544, 28.5132], '513436', [103.2339, 28.5132]], // 雷波县 | 美姑县
];

/** Places outside the prefecture, [long, lat] WGS-84. */
const OUTSIDE: readonly [string, [number, number]][] = [
  ['成都 Chengdu', [104.0665, 30.5723]],
  ['昆明 Kunming', [102.8329, 24.8801]],
  ['攀枝花 Panzhihua (city, beside 盐边/会理)', [101.7200, 26.5800]],
  ['米易 Miyi (between 德昌 and 会理)', [102.1100, 26.8900]],
  ['宜宾 Yibin', [104.6417, 28.7513]],
];

describe('county boundaries (geo/liangshan-counties.geo.json)', () => {
  it('holds the 17 county-level divisions with their 2023 codes and names, 会理县 as 会理市', () => {
    const geojson = readCountyBoundaries();
    const counties = ref.divisions.all().filter((d) => d.level === 'county');
    expect(geojson.features.map((f) => [f.id, f.properties.code, f.properties.name]))
      .toEqual(counties.map((c) => [c.code, c.code, c.name]).sort((a, b) => a[0]!.localeCompare(b[0]!)));
    expect(geojson.features.find((f) => f.id === '513402')?.properties).toEqual({ code: '513402', name: '会理市', sourceCode: '513425', sourceName: '会理县' });
    for (const f of geojson.features) {
      for (const ring of f.geometry.coordinates.flat()) expect(ring[0]).toEqual(ring[ring.length - 1]);
    }
  });

  it.each(COUNTY_SEATS)('a point at the seat of %s (%s) lies in it', (code, _seat, point) => {
    expect(boundaries.countyAt(point)).toMatchObject({ code, distanceM: 0 });
  });

  it.each(BORDER_PAIRS)('1 km either side of the border: %s / %s', (a, inA, b, inB) => {
    expect(boundaries.countyAt(inA)?.code).toBe(a);
    expect(boundaries.countyAt(inB)?.code).toBe(b);
  });

  it.each(OUTSIDE)('%s is outside Liangshan', (_name, point) => {
    expect(boundaries.countyAt(point)).toBeUndefined();
  });
});

describe('coordinate systems', () => {
  it('reads the documented spellings of coordinate_system, and nothing else', () => {
    expect(['WGS-84', 'wgs84', 'EPSG:4326', ' wgs-84 '].map(parseCoordinateSystem)).toEqual(['WGS-84', 'WGS-84', 'WGS-84', 'WGS-84']);
    expect(['GCJ-02', 'gcj02'].map(parseCoordinateSystem)).toEqual(['GCJ-02', 'GCJ-02']);
    expect(['BD-09', 'mars', ''].map(parseCoordinateSystem)).toEqual([undefined, undefined, undefined]);
  });

  it('converts the published reference point (WGS-84 116.404, 39.915 → GCJ-02 116.41024, 39.91640) and back to within a metre', () => {
    const gcj = toGcj02([116.404, 39.915]);
    expect(gcj[0]).toBeCloseTo(116.41024, 5);
    expect(gcj[1]).toBeCloseTo(39.91640, 5);
    const back = toWgs84(gcj, 'GCJ-02');
    expect(Math.abs(back[0] - 116.404)).toBeLessThan(1e-5);
    expect(Math.abs(back[1] - 39.915)).toBeLessThan(1e-5);
  });

  it.each(COUNTY_SEATS)('the GCJ-02 coordinates of the seat of %s place it there when said to be GCJ-02', (code, _seat, point) => {
    expect(locator.locate({ ...latLong(toGcj02(point)), coordinateSystem: 'GCJ-02', texts: [] })).toMatchObject({ division: code, source: 'polygon' });
  });

  it('the same place near the 西昌市/德昌县 border: WGS-84 and GCJ-02 give 西昌市; the GCJ-02 numbers read as WGS-84 would give 德昌县', () => {
    const place: [number, number] = [102.13703, 27.58235]; // WGS-84, ≈ 100 m inside 西昌市
    const gcj = toGcj02(place); // ≈ 400 m south-east
    expect(locator.locate({ ...latLong(place), coordinateSystem: 'WGS-84', texts: [] }).division).toBe('513401');
    expect(locator.locate({ ...latLong(gcj), coordinateSystem: 'GCJ-02', texts: [] }).division).toBe('513401');
    expect(locator.locate({ ...latLong(gcj), coordinateSystem: 'WGS-84', texts: [] }).division).toBe('513424');
  });
});

describe('place names in an address', () => {
  const LEIBO_SEAT = COUNTY_SEATS.find(([code]) => code === '513437')![2];
  const inLeibo = (...texts: string[]) => locator.locate({ ...latLong(LEIBO_SEAT), coordinateSystem: 'WGS-84', texts });

  it('knows each division by its full name and without the suffix of its kind', () => {
    expect(namesOf({ name: '锦城镇', level: 'township' })).toEqual(['锦城镇', '锦城']);
    expect(namesOf({ name: '北城街道', level: 'township' })).toEqual(['北城街道', '北城']);
    expect(namesOf({ name: '裕隆回族乡', level: 'township' })).toEqual(['裕隆回族乡', '裕隆回族', '裕隆乡', '裕隆']);
    expect(namesOf({ name: '城北村村民委员会', level: 'village' })).toEqual(['城北村村民委员会', '城北村', '城北']);
    expect(namesOf({ name: '第一社区居民委员会', level: 'village' })).toEqual(['第一社区居民委员会', '第一社区']);
    expect(namesOf({ name: '木里藏族自治县', level: 'county' })).toEqual(['木里藏族自治县', '木里']);
    expect(namesOf({ name: '西昌市', level: 'county' })).toEqual(['西昌市', '西昌']);
  });

  it('锦城镇 in an address within 雷波县 places the report in the township', () => {
    expect(inLeibo('雷波县锦城镇西街30号')).toEqual({
      division: '513437100', source: 'address', county: '513437', matchedName: '锦城镇', wgs84: LEIBO_SEAT,
    });
  });

  it('the name without its suffix (锦城) works too; the description is read when the address names nothing', () => {
    expect(inLeibo('锦城西街30号')).toMatchObject({ division: '513437100', matchedName: '锦城' });
    expect(inLeibo('西街30号', '锦城镇西街的围墙裂了')).toMatchObject({ division: '513437100', matchedName: '锦城镇' });
  });

  it('a village named with its township goes to the village; the longest name wins', () => {
    expect(inLeibo('锦城镇城北村三组')).toMatchObject({ division: '513437100200', matchedName: '城北村' });
  });

  it('an ambiguous text (two townships; a name two villages share) stops at the last unambiguous level', () => {
    expect(inLeibo('锦城镇到西宁镇的路')).toMatchObject({ division: '513437', source: 'polygon', matchedName: '' });
    // 汶水: 汶水镇, and within it 汶水社区 and 汶水村 — the township, not a guess between the two villages.
    expect(inLeibo('汶水')).toMatchObject({ division: '513437102', matchedName: '汶水' });
  });

  it('a township of another county named in a text does not move a point out of its county', () => {
    expect(inLeibo('西昌市北城街道')).toMatchObject({ division: '513437', source: 'polygon' });
  });

  it('without a point, a name unambiguous in the whole prefecture places the report; an ambiguous one does not', () => {
    expect(locator.locate({ coordinateSystem: 'WGS-84', texts: ['雷波县锦城镇西街30号'] })).toEqual({
      division: '513437100', source: 'address', county: '', matchedName: '锦城镇',
    });
    expect(() => locator.locate({ coordinateSystem: 'WGS-84', texts: ['金沙'] })).toThrow(LocationError); // 金沙镇 (雷波) and 金沙傈僳族乡 (德昌)
    expect(locator.locate({ coordinateSystem: 'WGS-84', texts: ['德昌县金沙'] })).toMatchObject({ division: '513424218' });
  });

  it('a given division is kept as given', () => {
    expect(locator.locate({ division: '513431', ...latLong(LEIBO_SEAT), coordinateSystem: 'WGS-84', texts: ['锦城镇'] }))
      .toEqual({ division: '513431', source: 'given', county: '', matchedName: '', wgs84: LEIBO_SEAT });
  });

  it('a point outside Liangshan is refused, naming the point', () => {
    const err = captured(() => locator.locate({ ...latLong(OUTSIDE[0]![1]), coordinateSystem: 'WGS-84', texts: ['锦城镇'] }));
    expect(err).toBeInstanceOf(LocationError);
    expect(err).toMatchObject({ reason: 'location_outside_jurisdiction', message: expect.stringContaining('lat 30.5723 / long 104.0665') });
  });

  it('finds a name at the end of a long text', () => {
    const names = new PlaceNameIndex(ref.divisions);
    expect(names.occurrences('锦城镇'.padStart(5000, '路'))).toHaveLength(1);
  });
});

function latLong([long, lat]: readonly [number, number]): { lat: number; long: number } {
  return { lat, long };
}

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
