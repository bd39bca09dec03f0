import { TextDecoder } from 'node:util';
import { HttpProblem } from './problem';

/**
 * Text as clients send it, refused rather than altered (issue 16 item 17): invalid UTF-8 is never
 * replaced with U+FFFD, unpaired surrogates never reach a service (protobuf would replace them), and
 * characters no document can carry (C0/C1 controls other than tab, LF and CR; U+FFFE, U+FFFF) are
 * refused at the edge, naming the field, before anything reaches a service or SQL (item 6: a NUL in a
 * parameter reached PostgreSQL).
 */

/** 400 invalid_characters naming each refused field (`errors`, like validation_failed); `fallback` when none could be named. */
export function invalidText(problems: readonly TextProblem[], fallback = 'is not valid text'): HttpProblem {
  const errors = problems.length > 0 ? problems.map((p) => ({ location: p.field, message: p.problem })) : [{ location: 'body', message: fallback }];
  return new HttpProblem(400, 'invalid_characters', errors.map((e) => `${e.location} ${e.message}`).join('; '), { errors });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bytes as UTF-8 text.
 * @throws HttpProblem 400 invalid_characters naming `field` when they are not valid UTF-8.
 */
export function utf8Text(bytes: Uint8Array, field: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw invalidText([{ field, problem: 'is not valid UTF-8' }]);
  }
}

/** One refused field: its name (a parameter name, or a JSON pointer such as `body/description`) and why. */
export interface TextProblem {
  field: string;
  problem: string;
}

/** True when `label` names UTF-8 (or US-ASCII, a subset of it): the only charset of JSON and of URLs. */
export function isUtf8Label(label: string): boolean {
  return /^(utf-?8|us-ascii|ascii)$/i.test(label.trim());
}

/**
 * The `charset` parameter of a Content-Type header, lower-cased and unquoted; undefined when absent.
 */
export function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType ?? '');
  return match?.[2]?.toLowerCase();
}

/**
 * A decoder for a charset label (WHATWG Encoding: utf-8, gb18030, gbk, big5, iso-8859-1…) that fails
 * on invalid input and keeps a leading U+FEFF; undefined when the label is unknown.
 */
export function strictDecoder(label: string): TextDecoder | undefined {
  try {
    return new TextDecoder(label.trim(), { fatal: true, ignoreBOM: true });
  } catch {
    return undefined;
  }
}

// C0 and C1 controls other than tab, LF and CR; noncharacters U+FFFE/U+FFFF; lone surrogates.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `U+XXXX` of a code unit. */
function codeOf(c: string): string {
  return `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why a decoded text may not be accepted, or undefined when it may: an unpaired surrogate, or a
 * character no document can carry (named by its code point, never echoed).
 */
export function textProblem(text: string): string | undefined {
  const bad = FORBIDDEN.exec(text)?.[0];
  if (bad === undefined) return undefined;
  const code = bad.charCodeAt(0);
  return code >= 0xd800 && code <= 0xdfff
    ? `contains an unpaired surrogate (${codeOf(bad)})`
    : `contains ${codeOf(bad)}, a character that is not allowed`;
}

/** The bytes of a form part: `+` as a space and `%XX` decoded (a `%` without two hex digits stays, as WHATWG says). */
function percentDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  const hex = (b: number | undefined) => (b === undefined ? -1 : b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x2b) { out[n++] = 0x20; continue; }
    if (b === 0x25) {
      const h = hex(bytes[i + 1]);
      const l = hex(bytes[i + 2]);
      if (h >= 0 && l >= 0) { out[n++] = h * 16 + l; i += 2; continue; }
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** A decoded application/x-www-form-urlencoded text (or query string): its pairs, and what was refused. */
export interface DecodedForm {
  pairs: [string, string][];
  problems: TextProblem[];
}

/**
 * Decodes application/x-www-form-urlencoded bytes (a body, or a query string's bytes) as the WHATWG
 * URL standard does — `&`-separated, `+` is a space, `%XX` a byte — except that the bytes of each name
 * and value must be valid text in `charset` (default UTF-8) and free of forbidden characters
 * ({@link textProblem}): a pair that is not is left out and reported by its name.
 * @throws RangeError when `charset` is not a known encoding label.
 */
export function decodeForm(bytes: Uint8Array, charset = 'utf-8'): DecodedForm {
  const decoder = strictDecoder(charset);
  if (!decoder) throw new RangeError(`unknown charset ${charset}`);
  const lossy = new TextDecoder(decoder.encoding);
  const what = isUtf8Label(charset) ? 'UTF-8' : decoder.encoding;
  const pairs: [string, string][] = [];
  const problems: TextProblem[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x26, start);
    if (end < 0) end = bytes.length;
    const part = bytes.subarray(start, end);
    start = end + 1;
    if (part.length === 0) continue;
    const eq = part.indexOf(0x3d);
    const nameBytes = percentDecode(eq < 0 ? part : part.subarray(0, eq));
    const valueBytes = percentDecode(eq < 0 ? new Uint8Array(0) : part.subarray(eq + 1));
    let name: string;
    try {
      name = decoder.decode(nameBytes);
    } catch {
      problems.push({ field: JSON.stringify(lossy.decode(nameBytes)), problem: `is a parameter name that is not valid ${what}` });
      continue;
    }
    const nameProblem = textProblem(name);
    if (nameProblem) {
      problems.push({ field: JSON.stringify(name.replace(FORBIDDEN_GLOBAL, '?')), problem: `is a parameter name that ${nameProblem}` });
      continue;
    }
    let value: string;
    try {
      value = decoder.decode(valueBytes);
    } catch {
      problems.push({ field: name, problem: `is not valid ${what}` });
      continue;
    }
    const valueProblem = textProblem(value);
    if (valueProblem) problems.push({ field: name, problem: valueProblem });
    else pairs.push([name, value]);
  }
  return { pairs, problems };
}

const FORBIDDEN_GLOBAL = new RegExp(FORBIDDEN.source, 'g');

/** The query string of a request target (after the first `?`), as the bytes that arrived. */
export function queryBytes(url: string): Uint8Array {
  const i = url.indexOf('?');
  // Node hands over the request target as latin1 (one character per byte): this recovers the bytes.
  return i < 0 ? new Uint8Array(0) : Buffer.from(url.slice(i + 1), 'latin1');
}

/**
 * The strings of a parsed JSON value (keys and values) that may not be accepted, with their JSON
 * pointer under `root` (e.g. `body/description`, `body/attributes/at_risk`).
 */
export function jsonTextProblems(value: unknown, root: string): TextProblem[] {
  const problems: TextProblem[] = [];
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) problems.push({ field: at, problem: p });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${at}/${i}`));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const p = textProblem(k);
        const safeKey = k.replace(FORBIDDEN_GLOBAL, '?').replace(/~/g, '~0').replace(/\//g, '~1');
        if (p) problems.push({ field: `${at}/${safeKey}`, problem: `is a property name that ${p}` });
        walk(item, `${at}/${safeKey}`);
      }
    }
  };
  walk(value, root);
  return problems;
}
