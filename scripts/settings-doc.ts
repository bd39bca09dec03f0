/**
 * `npm run settings:doc`: writes the settings table of README.md (between its markers) from the declared
 * settings (packages/runtime/src/settings.ts). `--check`: exit 1 when README.md differs (the unit test
 * settings.unit.test.ts does the same).
 */
import { join } from 'node:path';
import { withSettingsTable } from '@tongban/runtime';
import { updateGenerated } from './generated-file';

updateGenerated(join(__dirname, '..', 'README.md'), withSettingsTable, {
  check: process.argv.includes('--check'), what: 'the settings table', command: 'npm run settings:doc',
});
