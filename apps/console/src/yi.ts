/**
 * What Nuosu Yi needs, loaded only when the language is `ii`: browsers ship no Yi locale data, so the
 * FormatJS DateTimeFormat, RelativeTimeFormat and PluralRules polyfills are forced (they replace the
 * built-in ones) with CLDR's `ii` data (Yi month names).
 */
import '@formatjs/intl-pluralrules/polyfill-force.js';
import '@formatjs/intl-pluralrules/locale-data/ii.js';
import '@formatjs/intl-datetimeformat/polyfill-force.js';
import '@formatjs/intl-datetimeformat/locale-data/ii.js';
import '@formatjs/intl-relativetimeformat/polyfill-force.js';
import '@formatjs/intl-relativetimeformat/locale-data/ii.js';
