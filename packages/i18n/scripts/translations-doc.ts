/** Writes docs/translations.md from the catalogues (`npm run i18n:doc`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRANSLATIONS_DOC, translationsDoc } from '../src/translations-doc';

writeFileSync(join(__dirname, '..', '..', '..', TRANSLATIONS_DOC), translationsDoc());
console.log(`wrote ${TRANSLATIONS_DOC}`);
