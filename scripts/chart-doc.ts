/**
 * `npm run chart:doc`: writes the values table of charts/tongban/README.md (between its markers) from
 * charts/tongban/values.yaml, helm-docs style: one row per value with its type, default and the comment
 * written directly above its key (a leading `-- `, helm-docs' marker, is dropped). Every key must have such
 * a comment: an undocumented key stops the script naming it. `--check`: exit 1 when the README differs
 * (test/chart/values-doc.unit.test.ts does the same).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, type Node } from 'yaml';
import { updateGenerated } from './generated-file';

/** One documented value of values.yaml. */
export interface ValueDoc {
  /** Dotted path, e.g. `gateway.service.port`. */
  key: string;
  /** `string`, `int`, `float`, `bool`, `list`, `object` (a block map: its keys have rows of their own). */
  type: string;
  /** The default as JSON (`"info"`, `2`, `{}`), or `—` for a block map. */
  default: string;
  /** The comment above the key, its lines joined. Empty when the key has none. */
  description: string;
}

export const VALUES_TABLE_START = '<!-- values-table:start -->';
export const VALUES_TABLE_END = '<!-- values-table:end -->';

const KEY_LINE = /^( *)([A-Za-z0-9_.-]+):(?: |$)/;

function typeOf(node: unknown): string {
  if (isSeq(node)) return 'list';
  if (isMap(node)) return 'object';
  const value = (node as { value?: unknown } | undefined)?.value;
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return 'string';
}

/**
 * Every key of a values file in file order with its comment, type and default. Keys inside block
 * sequences are not listed (the sequence is one value); flow maps (`{ replicas: 2, port: 50057 }`) are one
 * value. Comments are the `#` lines directly above a key (a blank line ends a comment).
 * @throws Error when the file is not valid YAML.
 */
export function valuesOf(source: string): ValueDoc[] {
  const doc = parseDocument(source);
  if (doc.errors.length > 0) throw new Error(`values.yaml: ${doc.errors[0]!.message}`);
  const docs: ValueDoc[] = [];
  const stack: { indent: number; key: string }[] = [];
  let comment: string[] = [];
  let sequenceIndent = -1;
  for (const line of source.split('\n')) {
    const indent = line.length - line.trimStart().length;
    if (sequenceIndent >= 0 && (line.trim() === '' || indent > sequenceIndent)) continue;
    sequenceIndent = -1;
    if (line.trim() === '') { comment = []; continue; }
    const text = /^\s*#\s?(.*)$/.exec(line);
    if (text) { comment.push(text[1]!.replace(/^-- ?/, '')); continue; }
    if (/^\s*- /.test(line)) { sequenceIndent = indent; comment = []; continue; }
    const key = KEY_LINE.exec(line);
    if (!key) { comment = []; continue; }
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const path = [...stack.map((s) => s.key), key[2]!];
    stack.push({ indent, key: key[2]! });
    const node = doc.getIn(path, true) as Node | undefined;
    const block = isMap(node) && !node.flow && node.items.length > 0;
    docs.push({
      key: path.join('.'),
      type: typeOf(node),
      default: block ? '—' : JSON.stringify(node?.toJSON() ?? null),
      description: comment.join(' ').trim(),
    });
    comment = [];
    // A block sequence's items belong to this value.
    if (isSeq(node) && !node.flow) sequenceIndent = indent;
  }
  return docs;
}

/** The keys of a values file without a comment above them. */
export function undocumentedValues(source: string): string[] {
  return valuesOf(source).filter((v) => v.description === '').map((v) => v.key);
}

/** Text for a table cell: `|` escaped; `<` outside code spans as `&lt;` (not an HTML tag). */
const cell = (text: string) => text.replace(/\|/g, '\\|').split('`').map((part, i) => (i % 2 === 0 ? part.replace(/</g, '&lt;') : part)).join('`');

/** The Markdown table of a values file: Key, Type, Default, Description. */
export function valuesTable(source: string): string {
  const rows = valuesOf(source).map((v) => `| \`${v.key}\` | ${v.type} | ${v.default === '—' ? '—' : `\`${v.default.replace(/\|/g, '\\|')}\``} | ${cell(v.description)} |`);
  return ['| Key | Type | Default | Description |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * `readme` with the text between {@link VALUES_TABLE_START} and {@link VALUES_TABLE_END} replaced by the
 * table of `values`.
 * @throws Error when a marker is missing.
 */
export function withValuesTable(readme: string, values: string): string {
  const start = readme.indexOf(VALUES_TABLE_START);
  const end = readme.indexOf(VALUES_TABLE_END);
  if (start < 0 || end < start) throw new Error(`README: markers ${VALUES_TABLE_START} … ${VALUES_TABLE_END} missing`);
  return `${readme.slice(0, start + VALUES_TABLE_START.length)}\n${valuesTable(values)}\n${readme.slice(end)}`;
}

/** The chart's folder. */
export const CHART_DIR = join(__dirname, '..', 'charts', 'tongban');

if (require.main === module) {
  const values = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
  const missing = undocumentedValues(values);
  if (missing.length > 0) {
    console.error(`charts/tongban/values.yaml: no comment above ${missing.join(', ')}`);
    process.exit(1);
  }
  updateGenerated(join(CHART_DIR, 'README.md'), (readme) => withValuesTable(readme, values), {
    check: process.argv.includes('--check'), what: 'the values table', command: 'npm run chart:doc',
  });
}
