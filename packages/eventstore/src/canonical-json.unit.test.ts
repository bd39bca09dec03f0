import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json';

// Keys and strings that exercise the sort (UTF-16 code units, not code points; integer-like keys) and the
// escapes (quotes, backslashes, controls, lone and paired surrogates, U+2028).
const tricky = fc.constantFrom('', 'a', 'b', 'A', '1', '10', '9', '-1', '__proto__', 'é', '\u20ac', '\ud83d\ude00', '\ud800', '\udfff', '"', '\\', '\n\t\r', '\u0000', '\u001f', '\u007f', '\u2028', 'ключ', '通办');
const key = fc.oneof(tricky, fc.string(), fc.string({ unit: 'binary' }));
const text = fc.oneof(tricky, fc.string(), fc.string({ unit: 'binary' }));
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, 123456789012345680000, 5e-324, 0.1 + 0.2));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date({ noInvalidDate: true })),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(key, tie('node'), { maxKeys: 6 })),
})).node;

describe('canonicalJson', () => {
  it('gives exactly what the canonicalize package gives', () => {
    fc.assert(fc.property(value, (v) => { expect(canonicalJson(v)).toBe(canonicalize(v)); }), { numRuns: 5000 });
  });

  it('sorts keys by UTF-16 code units and writes numbers and strings as RFC 8785 says', () => {
    expect(canonicalJson({ b: 1, a: [true, null, undefined], '\u20ac': 'x', '\ud83d\ude00': 2, '10': 0, '9': -0, c: undefined }))
      .toBe('{"10":0,"9":0,"a":[true,null,null],"b":1,"\u20ac":"x","\ud83d\ude00":2}');
    expect(canonicalJson({ n: [1e21, 1e-7, 0.1 + 0.2, 333333333.3333333], s: 'q"\\\n\u0001\ud800' }))
      .toBe('{"n":[1e+21,1e-7,0.30000000000000004,333333333.3333333],"s":"q\\"\\\\\\n\\u0001\\ud800"}');
    expect(canonicalJson({ at: new Date('2026-03-01T00:00:00.000Z') })).toBe('{"at":"2026-03-01T00:00:00.000Z"}');
    expect(canonicalJson(undefined)).toBeUndefined();
    // Functions as JSON.stringify treats them (the package would write `undefined`, which is not JSON).
    expect(canonicalJson({ f: () => 1, a: [() => 2] })).toBe('{"a":[null]}');
  });

  it('refuses NaN and infinities, as the package does', () => {
    expect(() => canonicalJson({ a: [Number.NaN] })).toThrow('NaN is not allowed');
    expect(() => canonicalJson({ a: -Infinity })).toThrow('Infinity is not allowed');
  });
});
