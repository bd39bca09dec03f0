/**
 * canonicalBytes.json against real PostgreSQL: for JSON stored as jsonb, the canonical JSON written from
 * the text PostgreSQL gives back equals canonicalJson(JSON.parse(text)) byte for byte, and, for a value
 * appended as its canonical JSON (as append.ts sends it), equals that canonical JSON (an intact chain
 * verifies). Generated values (seeded) and hand-picked texts: numbers of every shape PostgreSQL's numeric
 * keeps or rewrites, strings with every escape it writes, keys whose UTF-16 and UTF-8 orders differ.
 */
import fc from 'fast-check';
import { canonicalBytes } from './canonical-bytes';
import { canonicalJson } from './canonical-json';
import { usePostgresPools } from './testing/pools';

const pg = usePostgresPools();

/** What jsonb stores of each JSON text, as PostgreSQL writes it back (one round trip). */
async function throughJsonb(texts: readonly string[]): Promise<string[]> {
  const { rows } = await pg.admin.query<{ t: string }>('SELECT (x::jsonb)::text AS t FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n', [texts]);
  return rows.map((r) => r.t);
}

/** What the reader writes for the JSON text `text` (UTF-8), or the error's message. */
function viaBytes(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  canonicalBytes.reset();
  try {
    canonicalBytes.json(bytes, 0, bytes.length);
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
  return canonicalBytes.bytes().toString('utf8');
}

/** What the parse-and-serialise path gives, or the error's message. */
function viaParse(text: string): string {
  try {
    return canonicalJson(JSON.parse(text)) as string;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

// Strings jsonb can hold: no U+0000, no lone surrogate (PostgreSQL refuses both).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const storable = (s: string): boolean => !s.includes('\u0000') && !LONE_SURROGATE.test(s);
const tricky = fc.constantFrom('', 'a', 'b', 'A', '1', '10', '__proto__', 'é', '\u20ac', '\ufb01', '\u{1f600}', '\u{10ffff}', '\uffff', '\ue000',
  '"', '\\', '/', '\b\f\n\r\t', '\u0001', '\u001f', '\u007f', '\u0080', '\u2028', '通办', 'ab', 'ab!', 'a\u{1f600}', 'a\ufb01');
const text = fc.oneof(tricky, fc.string(), fc.string({ unit: 'binary' })).filter(storable);
const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.maxSafeInteger(),
  fc.constantFrom(0, -0, 1e21, 1e-7, 5e-7, 2 ** 53 + 2, 123456789012345680000, 5e-324, 0.1 + 0.2, 999999999999999, 1e15, 1.7976931348623157e308));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(text, number, fc.boolean(), fc.constant(null)),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(text, tie('node'), { maxKeys: 6 })),
})).node;

it('writes, from generated values stored as jsonb, their canonical JSON (what the append hashed)', async () => {
  const values = fc.sample(value, { numRuns: 3000, seed: 813 });
  const canonical = values.map((v) => canonicalJson(v) as string);
  const stored = await throughJsonb(canonical);
  stored.forEach((t, i) => {
    expect({ t, bytes: viaBytes(t) }).toEqual({ t, bytes: viaParse(t) });
    expect({ t, bytes: viaBytes(t) }).toEqual({ t, bytes: canonical[i] });
  });
});

it('writes canonicalJson(JSON.parse(text)) for hand-written jsonb PostgreSQL keeps as written', async () => {
  const numbers = ['0', '-0', '0.0', '-0.0', '1.0', '1.50', '1e2', '1E+2', '0.1e1', '-1e-7', '5e-7', '1e21', '1e20', '100000000000000000000000',
    '9007199254740993', '12345678901234567890', '123456789012345', '1234567890123456', '0.30000000000000004', '3.141592653589793238462643383279',
    '1.7976931348623157e308', '5e-324', '1e-400', '2e-324', '-12.345e10', '1e400'];
  const texts = [
    ...numbers, ...numbers.map((n) => `{"n": ${n}, "l": [${n}, {"m": ${n}}]}`),
    '{}', '[]', '[{}, [], [[]], {"": {}}]', '{"": 1, " ": 2, "a": {}, "ab": [], "a b": null}',
    '{"\\ufb01": 1, "\\ud83d\\ude00": 2, "\\uffff": 3, "\\ue000": 4, "z": 5, "é": 6, "\\u0080": 7}',
    '{"ﬁ": 1, "😀": 2, "ﬁ😀": 3, "😀ﬁ": 4, "ﬁa": 5, "😀a": 6}',
    '{"a": 1, "aa": 2, "aaa": 3, "a\\u0000": 4}'.replace('\\u0000', '\\u0001'),
    '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u2028 é 😀"', '{"k\\"ey": "v\\\\", "k": "\\u00e9"}',
    `${'['.repeat(150)}1${']'.repeat(150)}`, `${'{"a": '.repeat(120)}{}${'}'.repeat(120)}`,
    JSON.stringify({ big: 2 ** 64, small: -(2 ** 60), list: Array.from({ length: 40 }, (_, i) => i / 7) }),
  ];
  const stored = await throughJsonb(texts);
  for (const t of stored) expect({ t, bytes: viaBytes(t) }).toEqual({ t, bytes: viaParse(t) });
});
