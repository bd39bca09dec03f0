/**
 * The catalogues are complete: every key in every language (with the plural forms each language needs),
 * the same interpolations everywhere, a review flag for every Yi entry, and docs/translations.md current.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_LANGUAGE, LANGUAGES, LOCALES_DIR, type Language, flatten, formatDateTime, formatRelative, languageOf,
  i18nInstance, namespaces, pickLanguage, readCatalogue, readReview, translator,
} from './index';
import { TRANSLATIONS_DOC, translationsDoc } from './translations-doc';

const PLURAL = /_(zero|one|two|few|many|other)$/;
const base = (key: string) => key.replace(PLURAL, '');
const variables = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]).sort();
const YI = /\p{Script=Yi}/u;

describe.each(namespaces())('catalogue namespace %s', (ns) => {
  const flat = Object.fromEntries(LANGUAGES.map((l) => [l, flatten(readCatalogue(l, ns))])) as Record<Language, Record<string, string>>;
  const allBases = [...new Set(LANGUAGES.flatMap((l) => Object.keys(flat[l]).map(base)))].sort();

  it.each(LANGUAGES)('%s has every key of every language', (language) => {
    const missing = allBases.filter((k) => !Object.keys(flat[language]).some((key) => base(key) === k));
    expect(missing).toEqual([]);
  });

  it.each(LANGUAGES)('%s has the plural forms its plural rules need (CLDR via Intl.PluralRules), and no others', (language) => {
    const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
    const plural = [...new Set(Object.keys(flat[language]).filter((k) => PLURAL.test(k)).map(base))];
    for (const key of plural) {
      expect(categories.map((c) => `${key}_${c}`).filter((k) => !(k in flat[language]))).toEqual([]);
      expect(Object.keys(flat[language]).filter((k) => base(k) === key && !categories.some((c) => k === `${key}_${c}`))).toEqual([]);
    }
  });

  it('every entry is non-empty and uses the same interpolations as zh-Hans', () => {
    for (const language of LANGUAGES) {
      for (const [key, text] of Object.entries(flat[language])) {
        expect([key, text.trim() === '']).toEqual([key, false]);
        const source = flat[DEFAULT_LANGUAGE][key] ?? flat[DEFAULT_LANGUAGE][`${base(key)}_other`] ?? '';
        expect([language, key, variables(text)]).toEqual([language, key, variables(source)]);
      }
    }
  });

  it('every Yi entry is written in the Yi script (no Chinese left in it) and has a review flag (reviewed: true|false)', () => {
    const review = readReview(ns);
    for (const [key, text] of Object.entries(flat.ii)) {
      const words = text.replace(/\{\{[^}]*\}\}/g, '');
      expect([key, /\p{Script=Han}/u.test(words), YI.test(words) || !/\p{L}/u.test(words)]).toEqual([key, false, true]);
      expect([key, typeof review[key]?.reviewed]).toEqual([key, 'boolean']);
    }
    expect(Object.keys(review).filter((k) => !(k in flat.ii))).toEqual([]);
  });
});

describe('languages', () => {
  it('has catalogues for zh-Hans, en and ii, and none for yi (Yiddish)', () => {
    for (const language of LANGUAGES) expect(existsSync(join(LOCALES_DIR, language))).toBe(true);
    expect(existsSync(join(LOCALES_DIR, 'yi'))).toBe(false);
  });

  it('maps language tags to catalogues; yi and zh-Hant are not ours', () => {
    expect(['zh', 'zh-CN', 'zh-Hans-CN', 'en-GB', 'ii', 'ii-CN', 'ii-Yiii'].map(languageOf)).toEqual(['zh-Hans', 'zh-Hans', 'zh-Hans', 'en', 'ii', 'ii', 'ii']);
    expect(['yi', 'yi-001', 'zh-Hant', 'zh-TW', 'fr'].map(languageOf)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(pickLanguage(['yi', 'fr', 'ii'])).toBe('ii');
    expect(pickLanguage(['fr'])).toBe('zh-Hans');
  });

  it('translates with interpolation in each language', () => {
    const values = { reference: 'LS-2026-000001', title: '围墙' };
    expect(translator('zh-Hans')('notice.ticket-arrived.title', values)).toBe('新工单：LS-2026-000001 围墙');
    expect(translator('en')('notice.ticket-arrived.title', values)).toBe('New ticket: LS-2026-000001 围墙');
    expect(translator('ii')('notice.ticket-arrived.title', values)).toMatch(/^\p{Script=Yi}+：LS-2026-000001 围墙$/u);
  });

  it('writes every server entry, in every language, exactly as i18next does (its plain entries without i18next)', () => {
    const flatServer = (language: Language) => flatten(readCatalogue(language, 'server'));
    for (const language of LANGUAGES) {
      const t = translator(language);
      const i18n = i18nInstance().getFixedT(language);
      for (const [key, entry] of Object.entries(flatServer(language))) {
        const names = variables(entry);
        const all = Object.fromEntries(names.map((n) => [n, `‹${n}› $1 $& 12`]));
        const cases: Record<string, unknown>[] = [
          all,
          { ...all, reference: 'SC-2026-000001', extra: 'unused', n: 3 },
          Object.fromEntries(names.slice(1).map((n) => [n, 'v'])), // the first value missing
          { ...all, ...(names[0] ? { [names[0]]: 'holds {{another}}' } : {}) },
          { ...all, count: 2 },
          { ...all, ...(names[0] ? { [names[0]]: 7 } : {}) },
        ];
        for (const options of cases) expect([key, t(key, options)]).toEqual([key, i18n(key, options)]);
        expect([key, t(key)]).toEqual([key, i18n(key)]);
        expect(t(base(key), { count: 1, ...all })).toBe(i18n(base(key), { count: 1, ...all }));
      }
    }
    expect(translator('en')('no.such.key')).toBe(i18nInstance().getFixedT('en')('no.such.key'));
  });

  it('formats dates with ICU (Yi month and weekday names) and relative times with our strings where ICU falls back', () => {
    const now = new Date('2026-03-05T08:30:00Z');
    expect(formatDateTime(now, 'zh-Hans')).toBe('2026年3月5日 16:30');
    expect(formatDateTime(now, 'ii')).toContain('ꌕꆪ'); // March
    expect(formatRelative(new Date('2026-03-05T05:30:00Z'), now, 'zh-Hans')).toBe('3小时前');
    expect(formatRelative(new Date('2026-03-05T11:30:00Z'), now, 'en')).toBe('in 3 hours');
    expect(new Intl.RelativeTimeFormat('ii').format(3, 'hour')).toBe('+3 h'); // ICU's fallback, hence our own
    expect(formatRelative(new Date('2026-03-05T11:30:00Z'), now, 'ii')).toBe('ꄮꈉꂷ 3 ꉻ');
    expect(formatRelative(new Date('2026-03-04T08:30:00Z'), now, 'ii')).toBe('ꀋꅔꉇ'); // yesterday, ICU
  });
});

describe(TRANSLATIONS_DOC, () => {
  it('is up to date (npm run i18n:doc)', () => {
    expect(readFileSync(join(__dirname, '..', '..', '..', TRANSLATIONS_DOC), 'utf8')).toBe(translationsDoc());
  });
});
