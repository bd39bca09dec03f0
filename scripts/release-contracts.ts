/**
 * `npm run proto:release`: records the contracts of proto/ as released. Writes
 * packages/contracts/released-image.json — the buf image (JSON, imports included, no source info, so
 * comments do not churn it) that `npm run proto:breaking` (part of `npm test`) compares proto/ with.
 *
 * Run it when a version of the platform is released (its events are then in stores and its gRPC
 * contracts in clients), and commit the file with the release. Never run it to make a breaking change
 * pass: change the contract compatibly instead (a new field or message, `reserved` for what goes).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** Path of the committed baseline image. */
const RELEASED_IMAGE = join(root, 'packages', 'contracts', 'released-image.json');

function main(): void {
  const json = execFileSync(join(root, 'node_modules', '.bin', 'buf'), ['build', '--exclude-source-info', '-o', '-#format=json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  // One value per line: a release's diff of the file reads as the contract change it was.
  writeFileSync(RELEASED_IMAGE, `${JSON.stringify(JSON.parse(json.toString('utf8')), null, 1)}\n`);
  process.stdout.write(`wrote ${RELEASED_IMAGE}\n`);
}

main();
