/**
 * Issue 16 item 22: `buf breaking` runs in `npm test` against the last released contracts (the committed
 * image packages/contracts/released-image.json), so a wire- or JSON-incompatible change of proto/ fails
 * CI. Runs the real buf binary on the real proto/ and on copies of it with one change each.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BUF = join(ROOT, 'node_modules', '.bin', 'buf');
const IMAGE = join(ROOT, 'packages', 'contracts', 'released-image.json');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** Runs the proto:breaking script's buf command in `dir` (a copy of the repository's buf module). */
function breaking(dir: string): { status: number | null; output: string } {
  const args = (pkg.scripts['proto:breaking'] ?? '').split(/\s+/).slice(1).map((a) => (a.endsWith('released-image.json') ? IMAGE : a));
  const r = spawnSync(BUF, args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A copy of buf.yaml and proto/ with `edit` applied to one file. */
function withEdit(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tongban-breaking-'));
  cpSync(join(ROOT, 'buf.yaml'), join(dir, 'buf.yaml'));
  cpSync(join(ROOT, 'proto'), join(dir, 'proto'), { recursive: true });
  const path = join(dir, 'proto', file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the edit of ${file} changed nothing`);
  writeFileSync(path, after);
  return dir;
}

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

it('npm test runs proto:breaking against the committed released image', () => {
  expect(pkg.scripts['test']).toContain('proto:breaking');
  expect(pkg.scripts['proto:breaking']).toBe('buf breaking --against packages/contracts/released-image.json');
  const turbo = JSON.parse(readFileSync(join(ROOT, 'turbo.json'), 'utf8')) as { tasks: Record<string, { inputs?: string[] }> };
  expect(turbo.tasks['//#proto:breaking']?.inputs).toEqual(expect.arrayContaining(['proto/**', 'packages/contracts/released-image.json']));
});

it('proto/ as committed is compatible with the released contracts', () => {
  const r = spawnSync('npm', ['run', '-s', 'proto:breaking'], { cwd: ROOT, encoding: 'utf8' });
  expect({ status: r.status, output: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, output: '' });
}, 60_000);

it.each([
  ['a field changes type (wire)', 'tongban/ticket/v1/commands.proto', (t: string) => t.replace(/(message RateTicket \{\n(?:\s*\/\/.*\n)*)  int32 score = 1;/, '$1  int64 score = 1;'), /changed type from "int32" to "int64"/],
  ['a field is deleted without reserving it', 'tongban/ticket/v1/events.proto', (t: string) => t.replace(/\n  int32 score = 1;/, '\n'), /Previously present field "1" with name "score" on message "TicketRated" was deleted/],
  ['a field is renamed (JSON: stored events are canonical JSON)', 'tongban/ticket/v1/events.proto', (t: string) => t.replace(/\n  int32 score = 1;/, '\n  int32 points = 1;'), /changed name from "score" to "points"/],
  ['an RPC is removed', 'tongban/query/v1/query.proto', (t: string) => t.replace(/  rpc GetTicket\(GetTicketRequest\) returns \(GetTicketResponse\);\n/, ''), /Previously present RPC "GetTicket" on service "QueryService" was deleted/],
])('fails when %s', (_what, file, edit, message) => {
  const dir = withEdit(file, edit);
  dirs.push(dir);
  const r = breaking(dir);
  expect(r.status).toBe(100);
  expect(r.output).toMatch(message);
}, 60_000);

it('passes an additive change (a new field)', () => {
  const dir = withEdit('tongban/ticket/v1/commands.proto', (t) => t.replace(/message RateTicket \{\n/, 'message RateTicket {\n  string edge_breaking_test_note = 999;\n'));
  dirs.push(dir);
  expect(breaking(dir)).toEqual({ status: 0, output: '' });
}, 60_000);
