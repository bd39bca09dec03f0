/**
 * RFC 8785 canonical JSON written straight from JSON text in UTF-8 bytes (as PostgreSQL sends jsonb in
 * binary: its text), without building JavaScript objects or strings: the verification of the hash chain
 * reads every stored event this way. The result is byte for byte the UTF-8 of
 * `canonicalJson(JSON.parse(text))` (canonical-json.ts, where text is the bytes decoded as UTF-8).
 * The reader takes the JSON PostgreSQL writes (and JSON.stringify's) in two passes — one marks the
 * values, the other copies them with each object's members in key order — and leaves anything else to
 * that parse-and-serialise path: a string with an escape, bytes that are not UTF-8, a repeated key,
 * nesting deeper than {@link MAX_DEPTH}, malformed text. Numbers other than plain integers are written
 * as ECMAScript prints the double they parse to.
 */
import { canonicalJson } from './canonical-json';

/** Members up to which an object's keys are sorted as they are read (insertion sort); beyond, sorted at once. */
const SMALL_OBJECT = 32;
/** Nesting beyond which the reader gives up (the parse-and-serialise path decides, as it always did). */
const MAX_DEPTH = 200;
/** Thrown inside the reader when it leaves the text to the parse-and-serialise path. */
const GIVE_UP = new Error('canonical-bytes: not on the fast path');
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

// Kinds of marked values.
const RAW = 0; // a string, an integer written as it prints, true, false or null: copied as it is
const NUMBER = 1; // any other number: written as ECMAScript prints it
const ARRAY = 2;
const OBJECT = 3; // its members follow as pairs: key (RAW), value

// The text being read, and the marks of its values in document order: kind, start and end in `src`,
// and the index of the mark after the value (after everything it contains).
let src: Uint8Array = new Uint8Array(0);
let end = 0;
/** Where the text being read starts in `src`. */
let begin = 0;
let marks = 0;
let kinds = new Int32Array(1024);
let starts = new Int32Array(1024);
let ends = new Int32Array(1024);
let nexts = new Int32Array(1024);
/** Keys of the objects being written, sorted (a stack shared by the nesting levels). */
let order = new Int32Array(256);

// The output.
let out = Buffer.allocUnsafe(1 << 16);
let length = 0;

function reserve(n: number): void {
  if (length + n <= out.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, length + n));
  out.copy(bigger, 0, 0, length);
  out = bigger;
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Marks a value; returns its index. Its next mark is the one after it (right for a string, number or word;
 * an array or object sets its own once its contents are marked). The tables may grow here: write to them
 * only after the call (`nexts[mark(…)] = …` would write to the table replaced by the grown one).
 */
function mark(kind: number, start: number, stop: number): number {
  const m = marks;
  if (m === kinds.length) { kinds = grow(kinds); starts = grow(starts); ends = grow(ends); nexts = grow(nexts); }
  kinds[m] = kind;
  starts[m] = start;
  ends[m] = stop;
  nexts[m] = m + 1;
  marks = m + 1;
  return m;
}

function skipSpace(at: number): number {
  while (at < end) {
    const c = src[at]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    at += 1;
  }
  return at;
}

/** Marks the value at `at`; returns the index after it. */
function readValue(at: number, depth: number): number {
  if (at >= end) throw GIVE_UP;
  const c = src[at]!;
  if (c === QUOTE) return readString(at);
  if (c === 0x7b) return readObject(at, depth + 1);
  if (c === 0x5b) return readArray(at, depth + 1);
  if (c === 0x74) return readWord(at, 0x74, 0x72, 0x75, 0x65, -1);
  if (c === 0x66) return readWord(at, 0x66, 0x61, 0x6c, 0x73, 0x65);
  if (c === 0x6e) return readWord(at, 0x6e, 0x75, 0x6c, 0x6c, -1);
  return readNumber(at);
}

/** true, false or null (given as its bytes; -1 for none). */
function readWord(at: number, a: number, b: number, c: number, d: number, e: number): number {
  const n = e < 0 ? 4 : 5;
  if (at + n > end || src[at] !== a || src[at + 1] !== b || src[at + 2] !== c || src[at + 3] !== d || (e >= 0 && src[at + 4] !== e)) throw GIVE_UP;
  mark(RAW, at, at + n);
  return at + n;
}

/** A string without escapes, in valid UTF-8 (anything else is left to the slow path). */
function readString(at: number): number {
  // Locals, not the module's variables: the loop runs over every byte of every string.
  const s = src;
  const e = end;
  let i = at + 1;
  for (;;) {
    if (i >= e) throw GIVE_UP;
    const c = s[i]!;
    if (c < 0x80) {
      if (c > QUOTE) {
        if (c === BACKSLASH) throw GIVE_UP;
        i += 1;
      } else if (c === QUOTE) {
        break;
      } else if (c >= 0x20) {
        i += 1;
      } else {
        throw GIVE_UP;
      }
    } else if (c >= 0xe1 && c <= 0xec && i + 2 < e && (s[i + 1]! & 0xc0) === 0x80 && (s[i + 2]! & 0xc0) === 0x80) {
      i += 3; // the usual three-byte sequence (most of the BMP, CJK included): any continuation bytes are well-formed
    } else {
      i = utf8Sequence(i, c);
    }
  }
  mark(RAW, at, i + 1);
  return i + 1;
}

/** Checks the UTF-8 sequence that starts with byte `c` at `i` (well-formed, as Unicode defines it); returns the index after it. */
function utf8Sequence(i: number, c: number): number {
  if (c >= 0xc2 && c <= 0xdf) { continuation(i + 1, 0x80, 0xbf); return i + 2; }
  if (c >= 0xe0 && c <= 0xef) {
    continuation(i + 1, c === 0xe0 ? 0xa0 : 0x80, c === 0xed ? 0x9f : 0xbf);
    continuation(i + 2, 0x80, 0xbf);
    return i + 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    continuation(i + 1, c === 0xf0 ? 0x90 : 0x80, c === 0xf4 ? 0x8f : 0xbf);
    continuation(i + 2, 0x80, 0xbf);
    continuation(i + 3, 0x80, 0xbf);
    return i + 4;
  }
  throw GIVE_UP;
}

/** Checks that the byte at k is a continuation byte within [low, high]. */
function continuation(k: number, low: number, high: number): void {
  if (k >= end) throw GIVE_UP;
  const b = src[k]!;
  if (b < low || b > high) throw GIVE_UP;
}

function readNumber(at: number): number {
  const start = at;
  let plain = true;
  if (at < end && src[at] === 0x2d) at += 1;
  const digits = at;
  while (at < end) {
    const c = src[at]!;
    if (c >= 0x30 && c <= 0x39) at += 1;
    else if (c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) { plain = false; at += 1; }
    else break;
  }
  const n = at - digits;
  // Integers of 1 to 15 digits without a leading zero (and not -0) print as they are written.
  const raw = plain && n > 0 && n <= 15 && (src[digits] !== 0x30 || (n === 1 && digits === start));
  mark(raw ? RAW : NUMBER, start, at);
  return at;
}

function readArray(at: number, depth: number): number {
  if (depth > MAX_DEPTH) throw GIVE_UP;
  const m = mark(ARRAY, at, at);
  at = skipSpace(at + 1);
  if (at < end && src[at] === 0x5d) { nexts[m] = marks; return at + 1; }
  for (;;) {
    at = skipSpace(readValue(at, depth));
    if (at >= end) throw GIVE_UP;
    const c = src[at]!;
    at += 1;
    if (c === 0x5d) { nexts[m] = marks; return at; }
    if (c !== COMMA) throw GIVE_UP;
    at = skipSpace(at);
  }
}

function readObject(at: number, depth: number): number {
  if (depth > MAX_DEPTH) throw GIVE_UP;
  const m = mark(OBJECT, at, at);
  at = skipSpace(at + 1);
  if (at < end && src[at] === 0x7d) { nexts[m] = marks; return at + 1; }
  for (;;) {
    if (at >= end || src[at] !== QUOTE) throw GIVE_UP;
    at = skipSpace(readString(at));
    if (at >= end || src[at] !== COLON) throw GIVE_UP;
    at = skipSpace(readValue(skipSpace(at + 1), depth));
    if (at >= end) throw GIVE_UP;
    const c = src[at]!;
    at += 1;
    if (c === 0x7d) { nexts[m] = marks; return at; }
    if (c !== COMMA) throw GIVE_UP;
    at = skipSpace(at);
  }
}

/**
 * Compares the keys marked at a and b (UTF-8 with quotes) in UTF-16 code unit order: the byte order,
 * except where the first difference is between two non-ASCII bytes (then compared as strings).
 */
function compareKeys(a: number, b: number): number {
  const as = starts[a]! + 1;
  const ae = ends[a]! - 1;
  const bs = starts[b]! + 1;
  const be = ends[b]! - 1;
  const n = Math.min(ae - as, be - bs);
  const s = src;
  for (let i = 0; i < n; i++) {
    const x = s[as + i]!;
    const y = s[bs + i]!;
    if (x === y) continue;
    if (x < 0x80 || y < 0x80) return x - y;
    const ka = Buffer.from(src.buffer, src.byteOffset + as, ae - as).toString('utf8');
    const kb = Buffer.from(src.buffer, src.byteOffset + bs, be - bs).toString('utf8');
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  }
  return (ae - as) - (be - bs);
}

/** Copies `src[start, stop)` to the output (reserved beforehand: see {@link appendJson}). */
function copy(start: number, stop: number): void {
  const n = stop - start;
  const o = out;
  let w = length;
  if (n > 64) o.set(src.subarray(start, stop), w);
  else { const s = src; for (let i = start; i < stop; i++) o[w++] = s[i]!; }
  length += n;
}

/** Writes one byte (reserved beforehand: see {@link appendJson}). */
function put(byte: number): void {
  out[length++] = byte;
}

function ascii(text: string): void {
  reserve(text.length);
  for (let i = 0; i < text.length; i++) out[length++] = text.charCodeAt(i);
}

/** Writes the value marked at m; `top` is the free part of the key stack. */
function write(m: number, top: number): void {
  const kind = kinds[m]!;
  if (kind === RAW) { copy(starts[m]!, ends[m]!); return; }
  if (kind === NUMBER) {
    const token = Buffer.from(src.buffer, src.byteOffset + starts[m]!, ends[m]! - starts[m]!).toString('latin1');
    if (!JSON_NUMBER.test(token)) throw GIVE_UP;
    const value = Number(token);
    if (!Number.isFinite(value)) throw GIVE_UP; // the slow path refuses it, with its own message
    const text = String(value);
    // Room for the number and for all the text (see appendJson): what follows is written without checks.
    reserve(text.length + (end - begin));
    ascii(text);
    return;
  }
  const stop = nexts[m]!;
  if (kind === ARRAY) {
    put(0x5b);
    for (let c = m + 1; c < stop; c = nexts[c]!) {
      if (c !== m + 1) put(COMMA);
      write(c, top);
    }
    put(0x5d);
    return;
  }
  // An object: its keys in order, then each member.
  let n = 0;
  for (let k = m + 1; k < stop; k = nexts[k + 1]!) {
    if (top + n >= order.length) order = grow(order);
    if (n < SMALL_OBJECT) {
      // Insertion sort while the object is small (most are).
      let j = top + n;
      while (j > top) {
        const cmp = compareKeys(order[j - 1]!, k);
        if (cmp === 0) throw GIVE_UP; // a repeated key: JSON.parse keeps the last one
        if (cmp < 0) break;
        order[j] = order[j - 1]!;
        j -= 1;
      }
      order[j] = k;
    } else {
      order[top + n] = k;
    }
    n += 1;
  }
  if (n > SMALL_OBJECT) {
    // A large object: the rest sorted with the first (n log n comparisons, not n²).
    order.subarray(top, top + n).sort(compareKeys);
    for (let i = top + 1; i < top + n; i++) if (compareKeys(order[i - 1]!, order[i]!) === 0) throw GIVE_UP;
  }
  put(0x7b);
  for (let i = 0; i < n; i++) {
    const k = order[top + i]!;
    if (i > 0) put(COMMA);
    copy(starts[k]!, ends[k]!);
    put(COLON);
    write(k + 1, top + n);
  }
  put(0x7d);
}

/**
 * Appends the canonical JSON of the JSON text `bytes[start, end)` (UTF-8) to the output.
 * @throws SyntaxError when the text is not JSON; Error "Infinity is not allowed" for a number beyond the
 * range of a double (as canonicalJson throws for the ±Infinity JSON.parse makes of it).
 */
function appendJson(bytes: Uint8Array, start: number, stop: number): void {
  const before = length;
  src = bytes;
  end = stop;
  begin = start;
  marks = 0;
  try {
    const at = skipSpace(readValue(skipSpace(start), 0));
    if (at === stop) {
      // The canonical text is no longer than the text but for numbers, which reserve room for themselves and
      // for the whole text again (write): copy() and put() write without checking.
      reserve(stop - start);
      write(0, 0);
      return;
    }
  } catch (error) {
    if (error !== GIVE_UP) throw error;
  } finally {
    src = NOTHING;
  }
  length = before;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, stop - start).toString('utf8');
  appendUtf8(canonicalJson(JSON.parse(text)) as string); // never undefined: JSON holds no undefined
}
const NOTHING = new Uint8Array(0);

function appendUtf8(text: string): void {
  const n = text.length;
  reserve(n * 3);
  let w = length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) { length += out.write(text, length, 'utf8'); return; }
    out[w++] = c;
  }
  length = w;
}

/**
 * The text an event's hash covers, written as bytes into one reused buffer (see hash.ts): JSON from
 * UTF-8 bytes in canonical form, strings as JSON.stringify writes them, ASCII and UTF-8 as they are.
 * One text at a time (module state): reset, append, read {@link bytes} before the next reset.
 */
export const canonicalBytes = {
  reset(): void { length = 0; },
  /** The bytes written since the last reset (a view on the reused buffer: valid until the next write). */
  bytes(): Buffer { return out.subarray(0, length); },
  /** Appends ASCII text as it is (every character below U+0080). */
  ascii,
  /** Appends JSON.stringify(n) of a number (an integer from 0 to 10^15 digit by digit, any other as JSON.stringify writes it). */
  number(n: number): void {
    if (!(Number.isInteger(n) && n >= 0 && n < 1e15)) { ascii(JSON.stringify(n)); return; }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits += 1;
    reserve(digits);
    let v = n;
    for (let i = length + digits - 1; i >= length; i--) { const d = v % 10; out[i] = 0x30 + d; v = (v - d) / 10; }
    length += digits;
  },
  /** Appends the UTF-8 of `text`. */
  utf8: appendUtf8,
  /** Appends JSON.stringify(text). */
  jsonString(text: string): void {
    const n = text.length;
    reserve(n + 2);
    let w = length;
    out[w++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c === QUOTE || c === BACKSLASH || c >= 0x80) { appendUtf8(JSON.stringify(text)); return; }
      out[w++] = c;
    }
    out[w++] = QUOTE;
    length = w;
  },
  /** Appends the canonical JSON of the JSON text `bytes[start, end)` (see {@link appendJson}). */
  json: appendJson,
};
