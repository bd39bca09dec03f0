/**
 * Every integer the HTTP API accepts must fit the protobuf field it travels in (issue 16 item 4: a
 * rating score of 2^31 passed the JSON schema, failed serialization to the int32 field, and answered
 * 500). Walks the published OpenAPI document (served through a real socket) and the proto descriptors
 * (`buf build`, the same image `npm run proto:breaking` uses): each integer input — a JSON integer or a
 * digits-only query parameter — names its field with `x-proto` (schemas.ts), and the range its schema
 * accepts must lie within the range of that field's type.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { SERVICE_NAMES, type ServiceName } from '@tongban/runtime';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { PROTO_KEYWORD } from './schemas';
import { buildGateway } from './server';

const root = join(__dirname, '..', '..', '..');

interface FieldDescriptor { name: string; type: string; label?: string }
interface MessageDescriptor { name: string; field?: FieldDescriptor[]; nestedType?: MessageDescriptor[] }
interface FileDescriptor { package?: string; messageType?: MessageDescriptor[] }

/** Proto field types by full name (`tongban.ticket.v1.RateTicket.score` → `TYPE_INT32`), from buf's image. */
function protoFieldTypes(): Map<string, string> {
  const image = JSON.parse(execFileSync(join(root, 'node_modules', '.bin', 'buf'), ['build', '--exclude-source-info', '-o', '-#format=json'], {
    cwd: root, maxBuffer: 64 * 1024 * 1024,
  }).toString('utf8')) as { file: FileDescriptor[] };
  const types = new Map<string, string>();
  const visit = (prefix: string, m: MessageDescriptor) => {
    for (const f of m.field ?? []) types.set(`${prefix}.${m.name}.${f.name}`, f.type);
    for (const n of m.nestedType ?? []) visit(`${prefix}.${m.name}`, n);
  };
  for (const file of image.file) for (const m of file.messageType ?? []) visit(file.package ?? '', m);
  return types;
}

const INT32: [number, number] = [-(2 ** 31), 2 ** 31 - 1];
const UINT32: [number, number] = [0, 2 ** 32 - 1];
// 64-bit fields: JSON numbers are exact only up to 2^53 - 1.
const INT64: [number, number] = [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
const UINT64: [number, number] = [0, Number.MAX_SAFE_INTEGER];

/** The values a proto integer type holds (undefined: not an integer type). */
function rangeOfProtoType(type: string): [number, number] | undefined {
  switch (type) {
    case 'TYPE_INT32': case 'TYPE_SINT32': case 'TYPE_SFIXED32': return INT32;
    case 'TYPE_UINT32': case 'TYPE_FIXED32': return UINT32;
    case 'TYPE_INT64': case 'TYPE_SINT64': case 'TYPE_SFIXED64': return INT64;
    case 'TYPE_UINT64': case 'TYPE_FIXED64': return UINT64;
    default: return undefined;
  }
}

type Schema = Record<string, unknown>;

/** One integer input of the document: where, the range its schema lets through, and its x-proto. */
interface IntegerInput { where: string; range: [number, number]; proto: unknown }

const DIGITS = /^\^\[0-9\]\{1,(\d+)\}\$$/;

/** The range a schema accepts when it is an integer input, else undefined. */
function acceptedRange(s: Schema): [number, number] | undefined {
  if (s['type'] === 'integer') {
    if (s['format'] === 'int32') return INT32;
    if (s['format'] === 'int64') return INT64;
    return [typeof s['minimum'] === 'number' ? s['minimum'] : -Infinity, typeof s['maximum'] === 'number' ? s['maximum'] : Infinity];
  }
  const digits = s['type'] === 'string' && typeof s['pattern'] === 'string' ? DIGITS.exec(s['pattern']) : null;
  return digits ? [0, 10 ** Number(digits[1]) - 1] : undefined;
}

function integerInputs(where: string, s: unknown, out: IntegerInput[]): void {
  if (!s || typeof s !== 'object') return;
  const schema = s as Schema;
  const range = acceptedRange(schema);
  if (range) out.push({ where, range, proto: schema[PROTO_KEYWORD] });
  for (const [name, child] of Object.entries((schema['properties'] ?? {}) as Record<string, unknown>)) integerInputs(`${where}.${name}`, child, out);
  if (schema['items']) integerInputs(`${where}[]`, schema['items'], out);
  for (const k of ['oneOf', 'anyOf', 'allOf']) for (const [i, child] of ((schema[k] ?? []) as unknown[]).entries()) integerInputs(`${where}/${k}${i}`, child, out);
}

let app: FastifyInstance;
let doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: unknown }[]; requestBody?: { content?: Record<string, { schema?: unknown }> } }>> };

beforeAll(async () => {
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [s, '127.0.0.1:1'])) as Record<ServiceName, string>;
  app = buildGateway({ logger: pino({ level: 'silent' }), swaggerUi: false, config: { addresses, testClock: false } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  doc = await (await fetch(`http://127.0.0.1:${port}/openapi.json`)).json() as typeof doc;
});

afterAll(async () => {
  await app?.close();
});

it('accepts only integers that fit the protobuf field each one is carried in', () => {
  const inputs: IntegerInput[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      for (const p of op.parameters ?? []) integerInputs(`${method.toUpperCase()} ${path} ${p.in}.${p.name}`, p.schema, inputs);
      for (const [type, content] of Object.entries(op.requestBody?.content ?? {})) integerInputs(`${method.toUpperCase()} ${path} body(${type})`, content.schema, inputs);
    }
  }
  // Not vacuous: the rating score and the list's paging are among them.
  expect(inputs.map((i) => i.where)).toEqual(expect.arrayContaining([
    'POST /api/v1/tickets/{id}/rating body(application/json).score', 'GET /api/v1/tickets query.offset',
  ]));

  const fields = protoFieldTypes();
  const problems: string[] = [];
  for (const input of inputs) {
    if (input.proto === 'gateway') continue;
    if (typeof input.proto !== 'string') { problems.push(`${input.where}: no ${PROTO_KEYWORD} naming its proto field`); continue; }
    const type = fields.get(input.proto);
    const range = type && rangeOfProtoType(type);
    if (!range) { problems.push(`${input.where}: ${input.proto} is not an integer field of proto/ (${type ?? 'unknown'})`); continue; }
    if (input.range[0] < range[0] || input.range[1] > range[1]) {
      problems.push(`${input.where}: accepts [${input.range.join(', ')}] but ${input.proto} is ${type} [${range.join(', ')}]`);
    }
  }
  expect(problems).toEqual([]);
});
