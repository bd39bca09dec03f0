/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation, written for speed: the hash chain canonicalises
 * every event it appends or verifies. Gives exactly what the `canonicalize` package (2.x) gives for any
 * JSON value, with properties whose value is `undefined` (or a function) left out, such array elements as null,
 * and objects with a `toJSON` method (e.g. Date) serialised by what it returns; the unit test compares
 * the two on generated values. Object keys sorted by UTF-16 code units (RFC 8785 §3.2.3); strings and
 * numbers as ECMAScript's JSON.stringify writes them (RFC 8785 §3.2.2).
 */

/** Characters a JSON string cannot hold as they are: `"`, `\`, controls, and surrogates (which may be lone). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function serialize(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string': return str(value);
    case 'number':
      if (Number.isNaN(value)) throw new Error('NaN is not allowed');
      if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
      return JSON.stringify(value);
    case 'object': break;
    default: return JSON.stringify(value);
  }
  if (value === null) return 'null';
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (toJSON instanceof Function) return serialize((toJSON as () => unknown).call(value));
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      // As the reference implementation: undefined (and symbols) become null, anything else is written as it
      // serialises — but a function becomes null too, as in JSON.stringify (the package writes `undefined`, not JSON).
      out += (i === 0 ? '' : ',') + String(v === undefined || typeof v === 'symbol' || typeof v === 'function' ? 'null' : serialize(v));
    }
    return `${out}]`;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = object[key];
    if (v === undefined || typeof v === 'symbol' || typeof v === 'function') continue; // functions: as JSON.stringify
    out += `${first ? '' : ','}${str(key)}:${String(serialize(v))}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The RFC 8785 canonical JSON of `value`, or undefined when `value` itself has no JSON form
 * (undefined, a function, a symbol).
 * @throws Error for NaN or ±Infinity anywhere in `value` ("NaN is not allowed", "Infinity is not allowed").
 */
export function canonicalJson(value: unknown): string | undefined {
  return serialize(value);
}
