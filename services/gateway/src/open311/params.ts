/**
 * Reading Open311 parameters: query strings and application/x-www-form-urlencoded bodies, both parsed
 * with the WHATWG URLSearchParams (UTF-8; `+` is a space), so repeated keys (`attribute[c][]=a&…`) and
 * every Unicode character survive. Per GeoReport v2, an empty parameter is the same as an absent one.
 */

/** The parameters of a request. */
export class Open311Params {
  /** Values per name, indexed once (URLSearchParams.getAll is linear, so per-name lookups would be quadratic). */
  private readonly byName = new Map<string, string[]>();

  constructor(params: Iterable<[string, string]>) {
    for (const [name, value] of params) {
      const values = this.byName.get(name);
      if (values) values.push(value);
      else this.byName.set(name, [value]);
    }
  }

  /** How many name=value pairs were sent. */
  get size(): number {
    let n = 0;
    for (const values of this.byName.values()) n += values.length;
    return n;
  }

  /** Parses a query string (with or without `?`) or a form body. */
  static parse(text: string): Open311Params {
    return new Open311Params(new URLSearchParams(text.startsWith('?') ? text.slice(1) : text));
  }

  /** The query string of a request URL. */
  static ofUrl(url: string): Open311Params {
    const i = url.indexOf('?');
    return Open311Params.parse(i < 0 ? '' : url.slice(i + 1));
  }

  /** The first non-empty value of a parameter, or undefined. */
  get(name: string): string | undefined {
    return this.byName.get(name)?.find((v) => v !== '');
  }

  /** Every non-empty value of a parameter. */
  all(name: string): string[] {
    return (this.byName.get(name) ?? []).filter((v) => v !== '');
  }

  /**
   * The parameters among `names` (each one taking one value) given more than once with different values —
   * which one was meant is unknown, so the request is refused rather than read by its first: one sentence
   * each, `<name> is given <n> times; give it once`, in the order of `names`. An empty repeat counts as
   * absent, and the same value repeated (e.g. in the query string and the form body) as one.
   */
  repeated(names: readonly string[]): string[] {
    return names.flatMap((name) => {
      const values = this.all(name);
      return new Set(values).size > 1 ? [`${name} is given ${values.length} times; give it once`] : [];
    });
  }

  /** Every non-empty value of a comma-delimited list parameter, which may also be repeated. */
  list(name: string): string[] {
    return this.all(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  }

  /** Every name=value pair, in order (grouped by name). */
  entries(): [string, string][] {
    return [...this.byName].flatMap(([name, values]) => values.map((v): [string, string] => [name, v]));
  }

  /** Every parameter name, once each, in order. */
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/**
 * The device a request comes from: GeoReport v2's `device_id`, or FixMyStreet's spelling `deviceid`. Both
 * given with different values is refused (which device is meant is unknown), as a repeated parameter is.
 * @returns the id (undefined when neither is given) and the sentence refusing the request, if any.
 */
export function deviceIdParam(params: Open311Params): { deviceId: string | undefined; errors: string[] } {
  const [spec, fms] = [params.get('device_id'), params.get('deviceid')];
  const errors = spec !== undefined && fms !== undefined && spec !== fms ? ['device_id and deviceid are both given, with different values; give one'] : [];
  return { deviceId: spec ?? fms, errors };
}

/**
 * Attribute values of a POST: `attribute[code]=v` and, for multivaluelist, `attribute[code][]=v1&…`.
 * @returns values per code (empty values dropped), and the names that look like attributes but are malformed.
 */
export function attributeParams(params: Open311Params): { values: Map<string, string[]>; malformed: string[] } {
  const values = new Map<string, string[]>();
  const malformed: string[] = [];
  for (const name of params.names()) {
    if (!name.startsWith('attribute')) continue;
    const match = /^attribute\[([^\][]+)\](\[\])?$/.exec(name);
    if (!match) {
      malformed.push(name);
      continue;
    }
    const code = match[1]!;
    const got = params.all(name);
    if (got.length > 0) values.set(code, [...(values.get(code) ?? []), ...got]);
  }
  return { values, malformed };
}

// W3C NOTE-datetime "complete date plus hours and minutes[, seconds[, fraction]]" with a mandatory
// time zone designator (GeoReport v2: "Timezone information … must be included").
const W3C_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-](\d{2}):(\d{2}))$/;

/** A parsed W3C datetime: the instant (ms) and whether it gave fractions of a second. */
export interface W3cInstant {
  ms: number;
  fractional: boolean;
}

/** Milliseconds of 400 Gregorian years (146 097 days): the calendar repeats after them. */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;

/**
 * Date.UTC for any year from 0: Date.UTC reads years 0–99 as 1900–1999, so the instant is taken 400 years
 * later (the same weekdays and leap years) and moved back.
 */
function utcMs(year: number, monthIndex: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  return Date.UTC(year + 400, monthIndex, day, hour, minute, second, ms) - GREGORIAN_CYCLE_MS;
}

/**
 * Parses a W3C datetime with offset (`2026-03-01T08:00:00+08:00`, `…T00:00:00Z`, `…T00:00:00.123+08:00`,
 * `…T08:00+08:00`). A space where the offset's `+` should be (an unencoded `+` in a query string, which
 * decodes to a space) is read as `+`.
 * @returns undefined when the text is not such a datetime or names an impossible date or time.
 */
export function parseW3cDatetime(text: string): W3cInstant | undefined {
  const value = text.trim().replace(/ (\d{2}:\d{2})$/, '+$1');
  const m = W3C_DATETIME.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day > new Date(utcMs(year, month, 0)).getUTCDate()) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[8]!.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const ms = utcMs(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
  return { ms, fractional: m[7] !== undefined };
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number, or undefined (no hex, no Infinity, no empty string). */
export function parseDecimal(text: string): number | undefined {
  const value = text.trim();
  if (!DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Number of characters (Unicode code points: a surrogate pair is one) of a text. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

// Markup or code: a tag (<b>, </p>, <img …>), a comment, CDATA or a processing instruction. A lone "<"
// ("温度<5度") is text.
const MARKUP = /<\/?[A-Za-z][^<>]*>|<!--|<!\[CDATA\[|<\?[A-Za-z]/;

/** True when a text contains HTML or XML markup (not allowed in descriptions). */
export function containsMarkup(text: string): boolean {
  return MARKUP.test(text);
}

// C0 and C1 controls other than tab, LF and CR; lone surrogates; noncharacters U+FFFE/U+FFFF.
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when a text contains control characters or lone surrogates (which XML cannot carry). */
export function containsForbiddenChars(text: string): boolean {
  return FORBIDDEN_CHARS.test(text);
}
