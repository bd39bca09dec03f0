import fc from 'fast-check';
import { canonicalBytes } from './canonical-bytes';
import { canonicalJson } from './canonical-json';

/** The bytes the reader writes for the JSON text `text` (a copy; or the error it throws), between other output. */
function bytesOf(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(`  ${text} `, 'utf8') : text;
  const [start, end] = typeof text === 'string' ? [2, bytes.length - 1] : [0, bytes.length];
  canonicalBytes.reset();
  canonicalBytes.ascii('<');
  canonicalBytes.json(bytes, start, end);
  canonicalBytes.ascii('>');
  const out = canonicalBytes.bytes();
  return Buffer.from(out.subarray(1, out.length - 1));
}

/** What the reader writes for the JSON text `text`, decoded as UTF-8 (or the error it throws). */
function viaBytes(text: string | Buffer): string {
  return bytesOf(text).toString('utf8');
}

/** What the parse-and-serialise path gives for the same bytes (decoded as UTF-8, as pg does). */
function viaParse(text: string | Buffer): string {
  return canonicalJson(JSON.parse(typeof text === 'string' ? text : text.toString('utf8'))) as string;
}

/** A JSON text as PostgreSQL writes jsonb: `", "` between members and elements, `": "` after keys, keys by length. */
function pgText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pgText).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${JSON.stringify(k)}: ${pgText((value as Record<string, unknown>)[k])}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

// As in canonical-json.unit.test.ts: keys and strings that exercise the sort and the escapes; numbers of every shape.
const tricky = fc.constantFrom('', 'a', 'b', 'A', '1', '10', '9', '-1', '__proto__', 'é', '\u20ac', '\ud83d\ude00', '\uffff', '\ue000', '\ud800', '\udfff', '"', '\\', '\n\t\r', '\u0000', '\u001f', '\u007f', '\u2028', 'ключ', '通办', 'ab', 'ab!', 'ab ');
const key = fc.oneof(tricky, fc.string(), fc.string({ unit: 'binary' }));
const text = fc.oneof(tricky, fc.string(), fc.string({ unit: 'binary' }));
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, 1e21, 1e-7, 123456789012345680000, 5e-324, 0.1 + 0.2, 999999999999999, 1000000000000000, -999999999999999));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(text, number, fc.boolean(), fc.constant(null)),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(key, tie('node'), { maxKeys: 6 })),
})).node;

describe('canonicalBytes.json', () => {
  it('writes exactly what canonicalJson(JSON.parse(text)) gives, for JSON.stringify and PostgreSQL text', () => {
    fc.assert(fc.property(value, (v) => {
      for (const t of [JSON.stringify(v), pgText(v), JSON.stringify(v, null, 2)]) expect(viaBytes(t)).toBe(viaParse(t));
    }), { numRuns: 3000 });
  });

  it('follows numbers as ECMAScript prints them, whatever way they are written', () => {
    for (const t of ['0', '-0', '7', '-7', '123456789012345', '1234567890123456', '12345678901234567890', '1.0', '0.750', '1e2', '1E+2', '-1e-7', '1e21', '100000000000000000000000', '0.1', '5e-324', '1.7976931348623157e308', '[1, 2.50, -0.0]']) {
      expect(viaBytes(t)).toBe(viaParse(t));
    }
  });

  it('writes numbers longer than they were written (1e20: 21 digits) past the end of the output buffer as it was', () => {
    // The output is reserved for the text's length once; a number reserves room for itself and the whole text again.
    const v = Array.from({ length: 60_000 }, (_, i) => (i % 3 === 0 ? 1e20 : i % 3 === 1 ? { k: 1e20, s: '通办é' } : 'x'.repeat(i % 50)));
    const t = JSON.stringify(v).replace(/100000000000000000000/g, '1e20');
    expect(viaParse(t).length - t.length).toBeGreaterThan(500_000);
    expect(viaBytes(t)).toBe(viaParse(t));
    expect(viaBytes(`[${'1e20,'.repeat(70_000)}"通办"]`)).toBe(viaParse(`[${'1e20,'.repeat(70_000)}"通办"]`));
  });

  it('checks every byte of three-byte sequences: valid ones of each lead, and a quote or a byte out of range in place of a continuation', () => {
    for (const lead of [0xe0, 0xe1, 0xe4, 0xe9, 0xec, 0xed, 0xee, 0xef]) {
      for (const [b1, b2] of [[0xa0, 0x80], [0x9f, 0xbf], [0xbf, 0xbf], [0x80, 0x80]]) {
        const bytes = Buffer.concat([Buffer.from('{"s": "x'), Buffer.from([lead, b1!, b2!]), Buffer.from('y", "t": "z"}')]);
        expect(viaBytes(bytes)).toBe(viaParse(bytes));
      }
    }
    const quoted = Buffer.concat([Buffer.from('["x'), Buffer.from([0xe4, 0xb8, 0x22]), Buffer.from(']')]); // ["x…"]: valid once decoded, not UTF-8
    expect(viaBytes(quoted)).toBe(viaParse(quoted));
  });

  it('sorts keys by UTF-16 code units, also where that is not the byte order', () => {
    // U+FFFF (EF BF BF) sorts after U+1F600 (F0 9F 98 80) in UTF-16 (0xFFFF > 0xD83D) but before it in UTF-8.
    const t = JSON.stringify({ '\u{1f600}': 1, '\uffff': 2, '\ue000': 3, z: 4, 'é': 5 });
    expect(viaBytes(t)).toBe('{"z":4,"é":5,"\ud83d\ude00":1,"\ue000":3,"\uffff":2}');
    expect(viaBytes(t)).toBe(viaParse(t));
  });

  it('writes values of every size: the reader’s tables grow past each size on the way (1,024 values, then 2,048 …)', () => {
    // Leaves, arrays and objects at the index where the tables grow, whatever their size was before.
    for (const n of [300, 700, 1100, 1500, 2100, 3000, 4200, 6000, 8400, 12000, 16800]) {
      const numbers = Array.from({ length: n }, (_, i) => i);
      const members = numbers.slice(0, 1500); // objects: 2 marks a member, enough to pass 1,024 and 2,048
      for (const v of [numbers, { a: numbers, b: 'x' }, Object.fromEntries(members.map((i) => [`k${i}`, i % 2 ? 'v' : [i]])), numbers.map((i) => (i % 3 ? i : { i }))]) {
        const t = JSON.stringify(v);
        expect(viaBytes(t)).toBe(viaParse(t));
      }
    }
  });

  it('sorts large objects as small ones: keys of every length and script, in PostgreSQL’s order or any other, a repeated one among them', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => [`k${i}`, `é${i}`, `\ufb01${i}`, `\u{1f600}${i}`, `${i}`][i % 5]!);
    const shuffled = keys.map((k, i) => keys[(i * 7919) % keys.length]!);
    for (const n of [31, 32, 33, 100, 5000]) {
      for (const list of [keys.slice(0, n), shuffled.slice(0, n)]) {
        const v = Object.fromEntries(list.map((k, i) => [k, i]));
        for (const t of [JSON.stringify(v), pgText(v), `{${list.map((k, i) => `${JSON.stringify(k)}: ${i}`).join(', ')}, ${JSON.stringify(list[n >> 1])}: -1}`]) {
          expect(viaBytes(t)).toBe(viaParse(t));
        }
      }
    }
  });

  it('leaves escapes, repeated keys, deep nesting and bytes that are not UTF-8 to the parse-and-serialise path', () => {
    for (const t of ['"a\\u0041\\n"', '{"a\\"b": 1, "a": "\\ud800"}', '{"a": 1, "a": 2}', `${'['.repeat(300)}1${']'.repeat(300)}`, '{"k": "\\/"}']) {
      expect(viaBytes(t)).toBe(viaParse(t));
    }
    // Not UTF-8: a lone continuation byte, an encoded surrogate, an overlong form, a truncated sequence.
    for (const bad of [[0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe4, 0xb8], [0xec, 0xbf, 0xc0], [0xe1, 0x7f, 0x80], [0xe5, 0xc0, 0x80]]) {
      const bytes = Buffer.concat([Buffer.from('{"s": "x'), Buffer.from(bad), Buffer.from('y"}')]);
      expect(viaBytes(bytes)).toBe(viaParse(bytes));
    }
  });

  it('throws what JSON.parse and canonicalJson throw: SyntaxError for text that is not JSON, an error for ±Infinity', () => {
    for (const t of ['', '{', '{"a" 1}', '[1,]', '{"a": 1,}', '01', '1.', '.5', '+1', 'nul', 'NaN', '"\u0001"', '{"a": 1} x', '\ufeff1']) {
      expect(() => viaBytes(t)).toThrow(SyntaxError);
    }
    expect(() => viaBytes('{"a": 1e400}')).toThrow('Infinity is not allowed');
    expect(() => viaBytes('[-1e400]')).toThrow('Infinity is not allowed');
  });
});

describe('canonicalBytes.json and canonicalJson, byte for byte', () => {
  // The hash covers bytes: the reader's output must be the very UTF-8 of canonicalJson's string (compared
  // undecoded, so that no malformed or substituted sequence can hide behind an equal decoded string).
  const same = (text: string | Buffer) => {
    const expected = Buffer.from(viaParse(text), 'utf8');
    const written = bytesOf(text);
    expect({ text: text.toString(), equal: written.equals(expected) }).toEqual({ text: text.toString(), equal: true });
  };
  const strings = ['', 'a', '__proto__', 'é', '\u20ac', '\ufb01', '\u{1f600}', '\u{10ffff}', '\uffff', '\ue000', '\ud800', '\udfff', '\ud83d\ude00',
    '"', '\\', '/', '\b\f\n\r\t', '\u0000', '\u001f', '\u007f', '\u0080', '\u2028', '\u2029', 'ключ', '通办', 'a\u{1f600}', 'a\ufb01'];
  const numbers = [0, -0, 1, -1, 0.1 + 0.2, 1e21, 1e-7, 5e-324, 999999999999999, 1e15, 2 ** 53 + 2, 1.7976931348623157e308];

  it('for tricky keys and strings (controls, quotes, backslashes, lone and paired surrogates, U+2028, keys whose UTF-16 and UTF-8 orders differ)', () => {
    const all = Object.fromEntries(strings.map((k, i) => [k, [k, numbers[i % numbers.length], { [k]: k }]]));
    for (const s of strings) {
      for (const v of [s, [s], { [s]: s }, { z: 1, [s]: [s, null], [`${s}a`]: true }, all]) {
        for (const t of [JSON.stringify(v), pgText(v), JSON.stringify(v, null, 2)]) same(t);
      }
    }
  });

  it('for numbers of every shape, however written', () => {
    for (const n of numbers) for (const v of [n, [n, -n], { n, m: [n] }]) same(JSON.stringify(v));
    for (const t of ['1.0', '1.50', '1e2', '1E+2', '0.1e1', '-0.0', '1e20', '12345678901234567890', '1234567890123456', '9007199254740993', '5e-7', '-12.345e10']) {
      same(t);
      same(`{"n": ${t}, "l": [${t}]}`);
    }
  });

  it('for texts the reader leaves to JSON.parse: escapes, a repeated key, deep nesting, bytes that are not UTF-8', () => {
    for (const t of ['"a\\u0041\\n"', '{"k": "\\u00e9\\/"}', '{"a\\"b": 1, "a": "\\ud800"}', '"\\ud83d\\ude00\\u2028"', '{"a": 1, "a": 2}', `${'['.repeat(300)}1${']'.repeat(300)}`]) same(t);
    for (const bad of [[0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe4, 0xb8], [0xf4, 0x90, 0x80, 0x80], [0xff]]) {
      same(Buffer.concat([Buffer.from('{"s": "x'), Buffer.from(bad), Buffer.from('y", "é": 1}')]));
    }
  });
});

describe('canonicalBytes strings', () => {
  it('jsonString writes JSON.stringify(text)', () => {
    for (const t of ['', 'ticket-0190a3c4', 'q"\\\n\u0001', 'é通办', '\ud800', '\u{1f600}']) {
      canonicalBytes.reset();
      canonicalBytes.jsonString(t);
      expect(canonicalBytes.bytes().toString('utf8')).toBe(JSON.stringify(t));
    }
  });
});
