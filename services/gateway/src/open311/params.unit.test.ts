import { Open311Params, attributeParams, codePointLength, containsForbiddenChars, containsMarkup, parseDecimal, parseW3cDatetime } from './params';
import { preferredLanguage } from './locale';

describe('W3C datetimes', () => {
  it.each([
    ['2026-03-01T08:00:00+08:00', '2026-03-01T00:00:00.000Z', false],
    ['2026-03-01T00:00:00Z', '2026-03-01T00:00:00.000Z', false],
    ['2026-03-01T00:00:00.250Z', '2026-03-01T00:00:00.250Z', true],
    ['2026-03-01T08:00:00.5+08:00', '2026-03-01T00:00:00.500Z', true],
    ['2026-03-01T08:00+08:00', '2026-03-01T00:00:00.000Z', false],
    ['2026-02-28T19:00:00-05:00', '2026-03-01T00:00:00.000Z', false],
    // An unencoded "+" of a query string arrives as a space.
    ['2026-03-01T08:00:00 08:00', '2026-03-01T00:00:00.000Z', false],
    // Years 0–99 are those years (Date.UTC read 0050 as 1950), in the proleptic Gregorian calendar.
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z', false],
    ['0000-02-29T08:00:00+08:00', '0000-02-29T00:00:00.000Z', false],
  ])('reads %s', (text, iso, fractional) => {
    const parsed = parseW3cDatetime(text);
    expect(parsed && new Date(parsed.ms).toISOString()).toBe(iso);
    expect(parsed?.fractional).toBe(fractional);
  });

  it.each(['2026-03-01', '2026-03-01T00:00:00', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-03-01T24:00:00Z', 'yesterday', '2026-03-01T00:00:60Z', '2026-03-01T00:00:00+24:00', '0001-02-29T00:00:00Z', '1900-02-29T00:00:00Z'])(
    'refuses %s', (text) => expect(parseW3cDatetime(text)).toBeUndefined(),
  );
});

describe('parameters', () => {
  it('treats empty parameters as absent and reads comma lists that may also repeat', () => {
    const p = Open311Params.parse('a=&a=1&list=x,%20y&list=z&empty=');
    expect(p.get('a')).toBe('1');
    expect(p.get('empty')).toBeUndefined();
    expect(p.list('list')).toEqual(['x', 'y', 'z']);
  });

  it('names a single-valued parameter given with different values; the same value twice (query and body) is one', () => {
    const p = Open311Params.parse('jurisdiction_id=lsz.gov.cn&jurisdiction_id=lsz.gov.cn&lat=27.8&lat=27.9&lat=&api_key=k');
    expect(p.repeated(['jurisdiction_id', 'lat', 'api_key', 'long'])).toEqual(['lat is given 2 times; give it once']);
  });

  it('decodes form bodies as UTF-8 with + as space', () => {
    const p = Open311Params.parse(`description=${encodeURIComponent('西街 ꆈꌠ 😀')}+end&x=a+b`);
    expect(p.get('description')).toBe('西街 ꆈꌠ 😀 end');
    expect(p.get('x')).toBe('a b');
  });

  it('reads attribute[code] and attribute[code][] (multivaluelist) and reports malformed attribute names', () => {
    const p = Open311Params.parse('attribute[at_risk]=yes&attribute[waste_kind][]=sewage&attribute[waste_kind][]=household&attribute=1&attribute[a][b]=2&attributes=x');
    const { values, malformed } = attributeParams(p);
    expect(Object.fromEntries(values)).toEqual({ at_risk: ['yes'], waste_kind: ['sewage', 'household'] });
    expect(malformed).toEqual(['attribute', 'attribute[a][b]', 'attributes']);
  });

  it('reads decimals strictly', () => {
    expect(parseDecimal('27.8967')).toBe(27.8967);
    expect(parseDecimal('-102.26')).toBe(-102.26);
    expect(parseDecimal('0x10')).toBeUndefined();
    expect(parseDecimal('Infinity')).toBeUndefined();
    expect(parseDecimal('1,5')).toBeUndefined();
  });

  it('counts characters as code points and finds markup and control characters', () => {
    expect(codePointLength('危墙😀é')).toBe(4);
    expect(codePointLength('e\u0301')).toBe(2);
    expect(containsMarkup('温度<5度，a > b')).toBe(false);
    expect(containsMarkup('看<b>这里</b>')).toBe(true);
    expect(containsMarkup('<script src=x>')).toBe(true);
    expect(containsMarkup('<!-- x -->')).toBe(true);
    expect(containsForbiddenChars('a\tb\nc\r')).toBe(false);
    expect(containsForbiddenChars('a\u0000')).toBe(true);
    expect(containsForbiddenChars('\uD83D')).toBe(true);
    expect(containsForbiddenChars('😀')).toBe(false);
  });
});

describe('Accept-Language', () => {
  it.each([
    [undefined, 'zh'], ['', 'zh'], ['en', 'en'], ['en-US,en;q=0.9', 'en'], ['zh-CN,zh;q=0.9,en;q=0.8', 'zh'],
    ['fr, en;q=0.5', 'en'], ['fr', 'zh'], ['zh;q=0.4, en;q=0.6', 'en'], ['en;q=0, zh', 'zh'], ['*', 'zh'], ['en-GB;q=0.8, *;q=0.9', 'zh'],
  ])('%s → %s', (header, lang) => expect(preferredLanguage(header)).toBe(lang));
});
