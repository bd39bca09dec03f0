import i18next from 'i18next';
// The default language is in the main bundle (one round trip less on a slow line for most users).
import zhHansCitizen from '../../../packages/i18n/locales/zh-Hans/citizen.json';
import zhHansServer from '../../../packages/i18n/locales/zh-Hans/server.json';

/** The app's languages: Chinese (simplified), Nuosu Yi (`ii`, script Yiii — never `yi`, which is Yiddish), English. */
export type Lang = 'zh-Hans' | 'ii' | 'en';

/** The switcher's entries, each in its own language. */
export const LANGUAGES: readonly { code: Lang; label: string }[] = [
  { code: 'zh-Hans', label: '中文' },
  { code: 'ii', label: 'ꆈꌠꉙ' },
  { code: 'en', label: 'English' },
];

const STORAGE_KEY = 'tongban.lang';

type Catalogue = Promise<{ default: Record<string, unknown> }>;

/**
 * The catalogues (packages/i18n/locales/<language>/<namespace>.json, the platform's format): the app's
 * own namespace `citizen`, and `server` for the names the platform shares (categories). zh-Hans is
 * bundled; ii and en are each their own chunk, downloaded only when chosen.
 */
const CATALOGUES: Record<Lang, () => Promise<[Catalogue, Catalogue]>> = {
  'zh-Hans': async () => [Promise.resolve({ default: zhHansCitizen }), Promise.resolve({ default: zhHansServer })],
  ii: async () => [import('../../../packages/i18n/locales/ii/citizen.json'), import('../../../packages/i18n/locales/ii/server.json')],
  en: async () => [import('../../../packages/i18n/locales/en/citizen.json'), import('../../../packages/i18n/locales/en/server.json')],
};

/** The remembered choice, else the phone's first language we have (ii, zh*, en), else zh-Hans. */
export function detectLanguage(): Lang {
  const kept = localStorage.getItem(STORAGE_KEY);
  if (kept === 'zh-Hans' || kept === 'ii' || kept === 'en') return kept;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const lower = tag.toLowerCase();
    if (lower === 'ii' || lower.startsWith('ii-')) return 'ii';
    if (lower.startsWith('zh')) return 'zh-Hans';
    if (lower.startsWith('en')) return 'en';
  }
  return 'zh-Hans';
}

/**
 * Loads the language's catalogue (and for `ii` the FormatJS date polyfill with Yi locale data and the
 * Yi font, see yi.ts) and starts i18next. Resolves when the first render can happen.
 */
export async function startI18n(lang: Lang): Promise<void> {
  const [[citizen, server]] = await Promise.all([CATALOGUES[lang](), lang === 'ii' ? import('./yi') : undefined]);
  const [own, shared] = await Promise.all([citizen, server]);
  await i18next.init({
    lng: lang,
    ns: ['citizen', 'server'],
    defaultNS: 'citizen',
    resources: { [lang]: { citizen: own.default, server: shared.default } },
    interpolation: { escapeValue: false },
  });
  document.documentElement.lang = lang;
}

/** Remembers a language and reloads (the polyfills of `ii` replace Intl globally, so a switch starts afresh). */
export function chooseLanguage(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang);
  location.reload();
}

/** The current language. */
export function currentLanguage(): Lang {
  return i18next.language as Lang;
}

/** Translates a key (i18next `t`). */
export function t(key: string, values?: Record<string, unknown>): string {
  return i18next.t(key, values ?? {});
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/**
 * A UTC instant as a date in Asia/Shanghai (UTC+8, no daylight saving), e.g. "6月5日" / "June 5" /
 * the Yi month name: the instant is shifted by 8 h and formatted in UTC, so no time-zone data is needed
 * (the `ii` polyfill ships none). With `time`, hours and minutes too.
 */
export function formatDate(instant: string | undefined, time = false): string {
  if (!instant) return '';
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) return '';
  const options: Intl.DateTimeFormatOptions = { month: 'long', day: 'numeric', timeZone: 'UTC', ...(time ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}) };
  return new Intl.DateTimeFormat(currentLanguage(), options).format(new Date(ms + SHANGHAI_OFFSET_MS));
}
