/**
 * What Nuosu Yi needs, loaded only when the language is `ii`: browsers ship no Yi locale data, so the
 * FormatJS DateTimeFormat polyfill is forced (it replaces Intl.DateTimeFormat) with CLDR's `ii` data
 * (Yi month and weekday names); the Yi font itself is declared in styles.css with a unicode-range, so
 * the browser downloads it only for pages that show Yi text.
 */
import '@formatjs/intl-datetimeformat/polyfill-force.js';
import '@formatjs/intl-datetimeformat/locale-data/ii.js';
