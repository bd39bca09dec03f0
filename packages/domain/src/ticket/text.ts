import { reject } from './errors';

/**
 * Control characters that text in a ticket may not hold: C0 controls other than tab, line feed and
 * carriage return, and DEL. (PostgreSQL cannot store NUL in text or JSON; the others have no place in
 * a report and can hide content from a reader.)
 */
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/** Lone UTF-16 surrogates (not a character; unrepresentable in UTF-8). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Nothing a reader sees: white space (U+3000 included), default-ignorable code points (zero-width spaces and
 * joiners, bidi controls, U+FEFF, Hangul fillers, variation selectors) and the blank Braille pattern U+2800.
 */
const INVISIBLE_ONLY = /^[\s\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/**
 * Whether a text shows nothing to a reader (empty, white space or invisible characters only): a required text
 * that is blank is missing (`decide`), and the Open311 gateway skips blank lines when it takes a title.
 */
export function isBlankText(value: string): boolean {
  return INVISIBLE_ONLY.test(value);
}

/**
 * Checks every string in a command (nested objects included).
 * @throws TicketRejection invalid `invalid_characters`, naming the field.
 */
export function assertCleanText(value: unknown, path = ''): void {
  if (typeof value === 'string') {
    if (FORBIDDEN.test(value) || LONE_SURROGATE.test(value)) {
      throw reject.invalid('invalid_characters', `${path || 'text'} contains a control character or an unpaired surrogate`);
    }
    return;
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) assertCleanText(inner, path ? `${path}.${key}` : key);
  }
}
