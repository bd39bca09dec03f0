import { DivisionSearch } from './division-search';
import { loadReferenceData } from '@tongban/reference-data';

const search = new DivisionSearch(loadReferenceData().divisions);

describe('DivisionSearch', () => {
  it('cascades from the prefecture to the counties, townships and villages of a place', () => {
    const [prefecture] = search.children(null);
    expect(prefecture).toMatchObject({ code: '5134', level: 'prefecture', path: [] });
    const counties = search.children('5134');
    expect(counties).toHaveLength(17);
    expect(counties.every((c) => c.level === 'county' && c.children > 0)).toBe(true);
    const leibo = counties.find((c) => c.name === '雷波县');
    expect(leibo).toBeDefined();
    const townships = search.children(leibo!.code);
    const jincheng = townships.find((t) => t.name === '锦城镇');
    expect(jincheng).toMatchObject({ code: '513437100', level: 'township', pinyin: 'jin cheng zhen', initials: 'jcz' });
    expect(jincheng!.path.map((p) => p.name)).toEqual(['凉山彝族自治州', '雷波县']);
    const villages = search.children('513437100');
    expect(villages.length).toBeGreaterThan(0);
    expect(villages.every((v) => v.level === 'village' && v.children === 0 && v.parent === '513437100')).toBe(true);
    expect(search.children(villages[0]!.code)).toEqual([]);
  });

  it('finds a place by pinyin initials, full pinyin or part of its name, best match first', () => {
    expect(search.search({ q: 'jcz', within: '513437' })[0]?.name).toBe('锦城镇');
    expect(search.search({ q: 'JinCheng', within: '513437' })[0]?.name).toBe('锦城镇');
    expect(search.search({ q: '雷波' })[0]).toMatchObject({ name: '雷波县', level: 'county' });
    const xichang = search.search({ q: 'xcs' });
    expect(xichang[0]).toMatchObject({ name: '西昌市' });
  });

  it('narrows by level, subtree and limit, and matches nothing for blank text', () => {
    const villages = search.search({ q: '村', level: 'village', within: '513437100', limit: 5 });
    expect(villages.length).toBeLessThanOrEqual(5);
    expect(villages.every((v) => v.level === 'village' && v.parent === '513437100')).toBe(true);
    expect(search.search({ q: '  ' })).toEqual([]);
    expect(search.search({ q: 'zzzzzzzzzz' })).toEqual([]);
  });
});
