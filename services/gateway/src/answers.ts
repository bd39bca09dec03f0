import { type Language, i18nInstance, translator } from '@tongban/i18n';

/**
 * The reporter's answers to a category's questions (Open311 attributes, e.g. `at_risk`), as the query
 * service's ticket view lists them (`answers: [{code, value}]`, services/query/src/read-models/view.ts), completed
 * with the texts of the catalogues (packages/i18n `question.<code>.name` and
 * `question.<code>.values.<key>`) in the reader's language. A question or value the catalogues do not
 * know is shown by its code (answers to free-text questions as given).
 */

/** One answer as the query service gives it. */
export interface Answer {
  code: string;
  /** The value as submitted; a multivaluelist's keys comma-joined. */
  value: string;
}

/** One answer with its texts. */
export interface NamedAnswer extends Answer {
  /** The question, e.g. 现在是否有人身处危险（例如在危墙、危房下或附近）？ */
  question: string;
  /** The answer in words, e.g. 是; several values as a list of the language (生活垃圾、污水). */
  answer: string;
}

function listOf(items: string[], language: Language): string {
  try {
    return new Intl.ListFormat(language === 'ii' ? 'zh-Hans' : language, { type: 'unit' }).format(items);
  } catch {
    return items.join(', ');
  }
}

/** The texts of one answer in `language`. */
export function nameAnswer(a: Answer, language: Language): NamedAnswer {
  const i18n = i18nInstance();
  const t = translator(language);
  const text = (key: string, fallback: string) => (i18n.exists(key, { lng: language }) ? t(key) : fallback);
  const question = text(`question.${a.code}.name`, a.code);
  const hasValues = i18n.exists(`question.${a.code}.values`, { lng: language, returnObjects: true });
  const answer = hasValues
    ? listOf(a.value.split(',').filter((v) => v !== '').map((v) => text(`question.${a.code}.values.${v}`, v)), language)
    : a.value;
  return { code: a.code, value: a.value, question, answer };
}

/**
 * A ticket view (or any object) with its `answers` named in `language`; other values unchanged.
 */
export function withNamedAnswers<T>(view: T, language: Language): T {
  if (view === null || typeof view !== 'object' || Array.isArray(view)) return view;
  const answers = (view as { answers?: unknown }).answers;
  if (!Array.isArray(answers)) return view;
  const named = answers
    .filter((a): a is Answer => typeof a === 'object' && a !== null && typeof (a as Answer).code === 'string' && typeof (a as Answer).value === 'string')
    .map((a) => nameAnswer(a, language));
  return { ...view, answers: named };
}
