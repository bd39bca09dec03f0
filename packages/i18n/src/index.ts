import i18next, { type i18n, type Resource, type TFunction } from 'i18next';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Message catalogues: i18next JSON (v4 format: nested keys, `{{name}}` interpolation, plural suffixes
 * `_one`/`_other` per CLDR), one file per language and namespace at `locales/<language>/<namespace>.json`
 * — the same files and layout the web apps load (their own namespaces beside `server`).
 *
 * Languages: `zh-Hans` (the default), `en`, and `ii` — Nuosu Yi (ꆈꌠꉙ) in the Yi script (ISO 639-1 `ii`,
 * script `Yiii`). Never `yi`: that is Yiddish. The Yi entries are drafts until a Nuosu speaker has
 * reviewed them: `locales/ii/<namespace>.review.json` holds `{ "<key>": { "reviewed": false, "romanized" } }`
 * per key, listed for the reviewer in docs/translations.md (`npm run i18n:doc` regenerates it).
 */

/** The languages of every catalogue, default first. */
export const LANGUAGES = ['zh-Hans', 'en', 'ii'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'zh-Hans';

/** Folder of the catalogues. */
export const LOCALES_DIR = join(__dirname, '..', 'locales');

/** The namespaces: one file per language each (`server`: everything the platform's services say). */
export function namespaces(dir = LOCALES_DIR): string[] {
  return readdirSync(join(dir, DEFAULT_LANGUAGE)).filter((f) => f.endsWith('.json') && !f.endsWith('.review.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/** A catalogue as stored: nested objects of strings. */
export interface Catalogue {
  [key: string]: string | Catalogue;
}

/** Reads one catalogue. @throws Error when the file is missing or not JSON. */
export function readCatalogue(language: Language, namespace: string, dir = LOCALES_DIR): Catalogue {
  return JSON.parse(readFileSync(join(dir, language, `${namespace}.json`), 'utf8')) as Catalogue;
}

/** Review state of one Yi entry. */
export interface ReviewEntry {
  /** True once a Nuosu speaker has checked the entry. */
  reviewed: boolean;
  /** The entry in Yi pinyin (Liangshan standard romanization), to help the reviewer. */
  romanized?: string;
  note?: string;
}

/** The review flags of a namespace's Yi entries, by flat key ({} when there is no review file). */
export function readReview(namespace: string, dir = LOCALES_DIR): Record<string, ReviewEntry> {
  const file = join(dir, 'ii', `${namespace}.review.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, ReviewEntry>) : {};
}

/** Flattens a catalogue to `a.b.c` keys. */
export function flatten(catalogue: Catalogue, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(catalogue)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out[key] = v;
    else Object.assign(out, flatten(v, key));
  }
  return out;
}

/** Every catalogue as an i18next resource. */
export function loadResources(dir = LOCALES_DIR): Resource {
  const resources: Resource = {};
  for (const language of LANGUAGES) {
    resources[language] = Object.fromEntries(namespaces(dir).map((ns) => [ns, readCatalogue(language, ns, dir)]));
  }
  return resources;
}

let shared: i18n | undefined;

/** The process-wide i18next instance (initialised synchronously from the files on first use). */
export function i18nInstance(): i18n {
  if (shared) return shared;
  const instance = i18next.createInstance();
  void instance.init({
    resources: loadResources(),
    supportedLngs: [...LANGUAGES],
    fallbackLng: DEFAULT_LANGUAGE,
    ns: namespaces(),
    defaultNS: 'server',
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
    showSupportNotice: false,
  });
  shared = instance;
  return instance;
}

/** A translate function in one language (namespace `server` unless the key names another: `ns:key`). */
export type Translate = TFunction;

const translators = new Map<Language, Translate>();

/**
 * The translate function of a language. A key of the `server` namespace whose entry in that language is plain
 * text with `{{name}}` placeholders, asked with string or number values for each of them (and none of
 * i18next's own options: `count`, `context`, `lng` …), is written from the entry split once into parts —
 * what i18next would write, without its per-call language resolution (~14 % of the notification service's CPU,
 * issue 13). Anything else (plurals, nesting, formats, a missing value or entry, a value holding `{{`) is
 * i18next's.
 */
export function translator(language: Language): Translate {
  let t = translators.get(language);
  if (!t) {
    t = fastTranslate(language, i18nInstance().getFixedT(language));
    translators.set(language, t);
  }
  return t;
}

/** i18next's options of `t` that a string or number value may hold: their calls are i18next's. */
const I18NEXT_OPTIONS: ReadonlySet<string> = new Set([
  'count', 'context', 'ordinal', 'defaultValue', 'lng', 'lngs', 'fallbackLng', 'ns', 'keyPrefix', 'nsSeparator', 'keySeparator', 'postProcess', 'joinArrays',
]);

/** A placeholder `{{name}}` (a plain name: no path, format or unescape marker). */
const PLACEHOLDER = /\{\{\s*([A-Za-z_]\w*)\s*\}\}/g;

/**
 * An entry split into text (even indexes) and placeholder names (odd), or null when i18next must write it
 * (not a string, or it nests `$t(…)`, uses another kind of placeholder or `{{` outside a placeholder).
 */
function compileEntry(entry: unknown): readonly string[] | null {
  if (typeof entry !== 'string' || entry.includes('$t(')) return null;
  const parts: string[] = [];
  let last = 0;
  for (const m of entry.matchAll(PLACEHOLDER)) {
    parts.push(entry.slice(last, m.index), m[1]!);
    last = m.index + m[0].length;
  }
  parts.push(entry.slice(last));
  for (let i = 0; i < parts.length; i += 2) if (parts[i]!.includes('{{')) return null;
  return parts;
}

/** {@link translator}'s function: the compiled entries of `language` where they apply, else i18next's `t`. */
function fastTranslate(language: Language, t: Translate): Translate {
  const instance = i18nInstance();
  const compiled = new Map<string, readonly string[] | null>();
  const fast = (key: unknown, options?: unknown): string | undefined => {
    if (typeof key !== 'string' || key.includes(':')) return undefined;
    let parts = compiled.get(key);
    if (parts === undefined) {
      parts = compileEntry(instance.getResource(language, 'server', key));
      compiled.set(key, parts);
    }
    if (parts === null) return undefined;
    if (options !== undefined && (typeof options !== 'object' || options === null)) return undefined;
    const values = (options ?? {}) as Record<string, unknown>;
    for (const name in values) if (I18NEXT_OPTIONS.has(name)) return undefined;
    let out = parts[0]!;
    for (let i = 1; i < parts.length; i += 2) {
      const value = values[parts[i]!];
      if (typeof value === 'number') out += String(value);
      else if (typeof value === 'string' && !value.includes('{{')) out += value;
      else return undefined;
      out += parts[i + 1]!;
    }
    return out;
  };
  // TFunction's overloads cannot be written as one arrow: the wrapper takes and returns what `t` does.
  const slow = t as unknown as (...args: unknown[]) => unknown;
  return ((...args: unknown[]) => (args.length <= 2 ? fast(args[0], args[1]) : undefined) ?? slow(...args)) as unknown as Translate;
}

/**
 * The catalogue language for a BCP 47 tag: `zh`, `zh-CN`, `zh-Hans*`, `zh-SG` → zh-Hans; `en*` → en;
 * `ii`, `ii-CN`, `ii-Yiii` → ii; anything else (including `yi`, Yiddish, and zh-Hant) → undefined.
 */
export function languageOf(tag: string): Language | undefined {
  const parts = tag.trim().toLowerCase().split(/[-_]/);
  const [primary = '', second = ''] = parts;
  if (primary === 'ii') return 'ii';
  if (primary === 'en') return 'en';
  if (primary === 'zh') return second === 'hant' || second === 'tw' || second === 'hk' || second === 'mo' ? undefined : 'zh-Hans';
  return undefined;
}

/** True for one of {@link LANGUAGES}. */
export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The first of a list of language tags (most preferred first, e.g. from @fastify/accepts'
 * `request.languages()`) that has a catalogue; {@link DEFAULT_LANGUAGE} when none has.
 */
export function pickLanguage(tags: readonly string[]): Language {
  for (const tag of tags) {
    if (tag === '*') return DEFAULT_LANGUAGE;
    const language = languageOf(tag);
    if (language) return language;
  }
  return DEFAULT_LANGUAGE;
}

/** Display time zone: times are UTC everywhere else. */
export const DISPLAY_TIME_ZONE = 'Asia/Shanghai';

/** A date and time for people, in Asia/Shanghai (ICU: Yi month and weekday names for ii). */
export function formatDateTime(instant: Date | string, language: Language): string {
  return new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short', timeZone: DISPLAY_TIME_ZONE }).format(new Date(instant));
}

const UNITS: readonly [unit: 'day' | 'hour' | 'minute', ms: number][] = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];

/**
 * A time relative to `now` ("3 hours ago", "3小时后"): ICU's words for yesterday/today/tomorrow, and
 * for counts ICU's own in zh-Hans and en but our catalogue's in ii (ICU falls back to "+3 h" there).
 */
export function formatRelative(instant: Date | string, now: Date, language: Language): string {
  const diff = new Date(instant).getTime() - now.getTime();
  const [unit, ms] = UNITS.find(([, size]) => Math.abs(diff) >= size) ?? UNITS[UNITS.length - 1]!;
  const count = Math.round(diff / ms);
  if (unit === 'day' && Math.abs(count) <= 1) return new Intl.RelativeTimeFormat(language, { numeric: 'auto' }).format(count, 'day');
  if (language !== 'ii') return new Intl.RelativeTimeFormat(language, { numeric: 'always' }).format(count, unit);
  return translator(language)(`time.relative.${unit}_${count < 0 ? 'past' : 'future'}`, { count: Math.abs(count) });
}
