/**
 * Language of Open311 texts: zh-Hans by default, English when the request's Accept-Language prefers
 * it (RFC 9110 §12.5.4: the highest q wins; on a tie the one listed first). Ranges other than zh* and
 * en* are ignored; `*` counts as the default.
 */

/** The languages texts exist in. */
export type Open311Language = 'zh' | 'en';

/** Content-Language values of the languages. */
export const CONTENT_LANGUAGE: Readonly<Record<Open311Language, string>> = { zh: 'zh-Hans', en: 'en' };

/** The language to answer in for an Accept-Language header. */
export function preferredLanguage(header: string | string[] | undefined): Open311Language {
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  let best: { lang: Open311Language; q: number } | undefined;
  for (const part of value.split(',')) {
    const [range = '', ...params] = part.trim().split(';');
    const tag = range.trim().toLowerCase();
    const lang: Open311Language | undefined = tag === 'en' || tag.startsWith('en-') ? 'en'
      : tag === 'zh' || tag.startsWith('zh-') || tag === '*' ? 'zh' : undefined;
    if (!lang) continue;
    const qParam = params.map((p) => p.trim()).find((p) => /^q=/i.test(p));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    if (!best || q > best.q) best = { lang, q };
  }
  return best?.lang ?? 'zh';
}
