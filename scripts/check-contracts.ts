/**
 * `npm run proto:check`: regenerates the ts-proto contracts into a temporary folder and fails when
 * they differ from the committed packages/contracts/src/generated (run `npm run proto:gen` to update).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');
const committed = join(root, 'packages/contracts/src/generated');
const out = mkdtempSync(join(tmpdir(), 'tongban-contracts-'));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

try {
  const template = join(out, 'buf.gen.yaml');
  writeFileSync(template, readFileSync(join(root, 'buf.gen.yaml'), 'utf8')
    .replace('out: packages/contracts/src/generated', `out: ${join(out, 'gen')}`)
    .replace('local: node_modules/.bin/protoc-gen-ts_proto', `local: ${join(root, 'node_modules/.bin/protoc-gen-ts_proto')}`));
  execFileSync(join(root, 'node_modules/.bin/buf'), ['generate', '--template', template], { cwd: root, stdio: 'inherit' });
  const fresh = files(join(out, 'gen')).map((f) => relative(join(out, 'gen'), f)).sort();
  const current = files(committed).map((f) => relative(committed, f)).sort();
  const stale = fresh.filter((f) => !current.includes(f) || readFileSync(join(out, 'gen', f), 'utf8') !== readFileSync(join(committed, f), 'utf8'));
  const extra = current.filter((f) => !fresh.includes(f));
  if (stale.length || extra.length) {
    console.error(`contracts are out of date (run npm run proto:gen): ${[...stale, ...extra].join(', ')}`);
    process.exit(1);
  }
  console.log(`contracts up to date (${fresh.length} files)`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
