/**
 * `npm run settings:doc`: writes the settings table of README.md (between its markers) from the declared
 * settings (packages/runtime/src/settings.ts). `--check`: exit 1 when README.md differs (the unit test
 * settings.unit.test.ts does the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withSettingsTable } from '@tongban/runtime';

const readme = join(__dirname, '..', 'README.md');
const current = readFileSync(readme, 'utf8');
const generated = withSettingsTable(current);
if (process.argv.includes('--check')) {
  if (generated !== current) {
    console.error('README.md: the settings table is stale; run npm run settings:doc');
    process.exitCode = 1;
  }
} else if (generated !== current) {
  writeFileSync(readme, generated);
  console.log('README.md: settings table written');
}
