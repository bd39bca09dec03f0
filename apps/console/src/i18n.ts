import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { setApiLanguage } from './api';
// zh-Hans (the default) is in the main bundle; en and ii are each their own chunk.
import zhHansConsole from '../../../packages/i18n/locales/zh-Hans/console.json';
import zhHansServer from '../../../packages/i18n/locales/zh-Hans/server.json';

/** The console's languages: Chinese (simplified, default), Nuosu Yi (`ii` — never `yi`, which is Yiddish), English. */
export type Lang = 'zh-Hans' | 'ii' | 'en';

/** The switcher's entries, each in its own language. */
export const LANGUAGES: readonly { code: Lang; label: string }[] = [
  { code: 'zh-Hans', label: '中文' },
  { code: 'ii', label: 'ꆈꌠꉙ' },
  { code: 'en', label: 'English' },
];

const STORAGE_KEY = 'tongban.console.lang';

type Catalogue = Promise<{ default: Record<string, unknown> }>;

/** The catalogues (packages/i18n/locales/<language>/{console,server}.json). */
const CATALOGUES: Record<Lang, () => [Catalogue, Catalogue]> = {
  'zh-Hans': () => [Promise.resolve({ default: zhHansConsole }), Promise.resolve({ default: zhHansServer })],
  ii: () => [import('../../../packages/i18n/locales/ii/console.json'), import('../../../packages/i18n/locales/ii/server.json')],
  en: () => [import('../../../packages/i18n/locales/en/console.json'), import('../../../packages/i18n/locales/en/server.json')],
};

/** The remembered choice, else zh-Hans (the console's users work in Chinese by default). */
export function detectLanguage(): Lang {
  const kept = localStorage.getItem(STORAGE_KEY);
  return kept === 'ii' || kept === 'en' ? kept : 'zh-Hans';
}

/**
 * Loads the catalogues (for `ii` also the forced FormatJS polyfills with Yi locale data, yi.ts) and
 * starts i18next. Resolves when the first render can happen.
 */
export async function startI18n(lang: Lang): Promise<void> {
  const [own, shared] = CATALOGUES[lang]();
  const [c, s] = await Promise.all([own, shared, lang === 'ii' ? import('./yi') : undefined]);
  await i18next.use(initReactI18next).init({
    lng: lang,
    fallbackLng: false,
    ns: ['console', 'server'],
    defaultNS: 'console',
    resources: { [lang]: { console: c.default, server: s.default } },
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = lang;
  setApiLanguage(lang);
}

/** Remembers a language and reloads (the `ii` polyfills replace Intl globally, so a switch starts afresh). */
export function chooseLanguage(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang);
  location.reload();
}

/** The current language. */
export function currentLanguage(): Lang {
  return i18next.language as Lang;
}

/** Translates a key (i18next `t`, namespace `console`; `server:` prefix for the shared names). */
function t(key: string, values?: Record<string, unknown>): string {
  return i18next.t(key, values ?? {});
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/**
 * A UTC instant shown in Asia/Shanghai (UTC+8, no daylight saving), in the current language: the
 * instant is shifted by 8 h and formatted as UTC, so no time-zone data is needed (the `ii` polyfill
 * ships none). `style`: `datetime` (default: month, day, hh:mm), `date`, `full` (with the year and seconds).
 */
export function formatInstant(instant: string | number | undefined, style: 'datetime' | 'date' | 'full' = 'datetime'): string {
  if (instant === undefined || instant === '') return '';
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (Number.isNaN(ms)) return '';
  const options: Intl.DateTimeFormatOptions = { timeZone: 'UTC', month: 'long', day: 'numeric' };
  if (style !== 'date') Object.assign(options, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  if (style === 'full') Object.assign(options, { year: 'numeric', second: '2-digit' });
  return new Intl.DateTimeFormat(currentLanguage(), options).format(new Date(ms + SHANGHAI_OFFSET_MS));
}

/** A span of time in words: minutes under an hour, hours under two days, days beyond ("3 小时", "2 天"). `ms` ≥ 0. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  if (minutes < 60) return t('duration.minutes', { count: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('duration.hours', { count: hours });
  return t('duration.days', { count: Math.floor(hours / 24) });
}
