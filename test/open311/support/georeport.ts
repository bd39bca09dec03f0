/**
 * What GeoReport v2 (wiki.open311.org/GeoReport_v2, Service_Discovery, JSON_and_XML_Conversion) and the
 * FixMyStreet extension (github.com/mysociety/fixmystreet/wiki/Open311-FMS---Proposed-differences-to-Open311)
 * say about the documents, as test helpers. Written from the specifications, not from the server's
 * code: nothing here imports the gateway.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Containers the spec marks as arrays (⇊) → the element they repeat. */
const SPEC_ARRAYS: Readonly<Record<string, string>> = {
  services: 'service',
  attributes: 'attribute',
  values: 'value',
  service_requests: 'request',
  service_request_updates: 'request_update',
  errors: 'error',
  endpoints: 'endpoint',
  formats: 'format',
};

const ITEM_PATHS = new Set<string>();
for (const [container, item] of Object.entries(SPEC_ARRAYS)) ITEM_PATHS.add(`${container}.${item}`);

const parser = new XMLParser({
  // Every value stays text: the test decides what a field's type is.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: false,
  isArray: (_name, jpath) => [...ITEM_PATHS].some((p) => String(jpath).endsWith(p)),
});

/** A parsed XML answer: the document under its root element, and the root's name. */
export interface XmlDocument {
  root: string;
  body: unknown;
}

/**
 * Parses an XML answer after checking what the spec requires of it: well-formed, preceded by an XML
 * declaration with encoding UTF-8, one root element, no namespace.
 */
export function parseXml(text: string): XmlDocument {
  expectTrue(XMLValidator.validate(text) === true, `not well-formed XML: ${JSON.stringify(XMLValidator.validate(text))}`);
  expectTrue(/^<\?xml version="1\.0" encoding="utf-8"\?>/i.test(text), `no UTF-8 XML declaration: ${text.slice(0, 60)}`);
  const parsed = parser.parse(text) as Record<string, unknown>;
  const roots = Object.keys(parsed).filter((k) => k !== '?xml');
  expectTrue(roots.length === 1, `expected one root element, got ${roots.join(', ')}`);
  expectTrue(!/\sxmlns(:\w+)?=/.test(text), 'the XML is schemaless and without a namespace');
  const root = roots[0]!;
  return { root, body: parsed[root] };
}

function expectTrue(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/**
 * The JSON the Spark convention derives from a parsed XML element: spec arrays become arrays (also
 * with one or no child), empty elements null, other elements objects; text stays text.
 */
export function sparkOf(name: string, value: unknown): unknown {
  const item = SPEC_ARRAYS[name];
  if (item !== undefined) {
    if (value === '' || value === undefined || value === null) return [];
    const items = (value as Record<string, unknown>)[item];
    return Array.isArray(items) ? items.map((i) => sparkOf(item, i)) : [];
  }
  if (value === '' || value === undefined || value === null) return null;
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, sparkOf(k, v)]));
  }
  return String(value);
}

/** A JSON answer with every scalar as text (numbers and booleans as XML writes them), to compare with {@link sparkOf}. */
export function asText(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(asText);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, asText(v)]));
  return String(value);
}

/** W3C datetime (NOTE-datetime) with the time zone the spec requires: Z or ±hh:mm. */
export const W3C_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Datatypes of service definition attributes. */
const ATTRIBUTE_DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'];

/** The statuses of GET requests. */
const REQUEST_STATUSES = ['open', 'closed'];

/** FixMyStreet's extended statuses of service request updates (upper case in its spec). */
const EXTENDED_STATUSES = [
  'OPEN', 'CLOSED', 'FIXED', 'IN_PROGRESS', 'ACTION_SCHEDULED', 'INVESTIGATING', 'DUPLICATE',
  'NOT_COUNCILS_RESPONSIBILITY', 'NO_FURTHER_ACTION', 'INTERNAL_REFERRAL', 'REOPEN',
];

/** Problems of a JSON service (GET Service List), [] when it is valid. */
export function serviceProblems(s: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const f of ['service_code', 'service_name']) if (typeof s[f] !== 'string' || s[f] === '') problems.push(`${f} is not a non-empty string`);
  // An empty element is null in JSON (Spark convention; the spec's JSON examples show `"description":null`).
  for (const f of ['description', 'keywords', 'group']) if (!(typeof s[f] === 'string' || s[f] === null)) problems.push(`${f} is not text`);
  if (typeof s['metadata'] !== 'boolean') problems.push('metadata is not true/false');
  if (!['realtime', 'batch', 'blackbox'].includes(String(s['type']))) problems.push(`type ${String(s['type'])}`);
  return problems;
}

/** Problems of a JSON service definition, [] when it is valid. */
export function definitionProblems(d: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof d['service_code'] !== 'string') problems.push('service_code is not a string');
  const attributes = d['attributes'];
  if (!Array.isArray(attributes)) return [...problems, 'attributes is not an array'];
  const orders = new Set<number>();
  for (const a of attributes as Record<string, unknown>[]) {
    const at = `attribute ${String(a['code'])}`;
    if (typeof a['variable'] !== 'boolean') problems.push(`${at}: variable is not true/false`);
    if (typeof a['code'] !== 'string') problems.push(`${at}: code is not a string`);
    if (!ATTRIBUTE_DATATYPES.includes(String(a['datatype']))) problems.push(`${at}: datatype ${String(a['datatype'])}`);
    if (typeof a['required'] !== 'boolean') problems.push(`${at}: required is not true/false`);
    if (!(typeof a['datatype_description'] === 'string' || a['datatype_description'] === null)) problems.push(`${at}: datatype_description`);
    if (typeof a['description'] !== 'string') problems.push(`${at}: description`);
    const order = a['order'];
    if (typeof order !== 'number' || !Number.isInteger(order) || order < 1 || orders.has(order)) problems.push(`${at}: order must be a positive integer not used by another attribute`);
    else orders.add(order);
    if (String(a['datatype']).endsWith('valuelist')) {
      const values = a['values'];
      if (!Array.isArray(values) || values.length === 0) problems.push(`${at}: a list without values`);
      else for (const v of values as Record<string, unknown>[]) if (typeof v['key'] !== 'string' || typeof v['name'] !== 'string') problems.push(`${at}: value ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

/** Problems of a JSON request (GET Service Requests / Request), [] when it is valid. */
export function requestProblems(r: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const f of ['service_request_id', 'service_code', 'service_name']) if (typeof r[f] !== 'string' || r[f] === '') problems.push(`${f} is not a non-empty string`);
  if (!REQUEST_STATUSES.includes(String(r['status']))) problems.push(`status ${String(r['status'])}`);
  for (const f of ['requested_datetime', 'updated_datetime']) if (!W3C_DATETIME.test(String(r[f]))) problems.push(`${f} ${String(r[f])} is not a W3C datetime with a time zone`);
  if (r['expected_datetime'] !== null && r['expected_datetime'] !== undefined && !W3C_DATETIME.test(String(r['expected_datetime']))) problems.push('expected_datetime');
  for (const f of ['lat', 'long']) if (!(r[f] === null || r[f] === undefined || typeof r[f] === 'number')) problems.push(`${f} is not a number`);
  for (const f of ['status_notes', 'description', 'agency_responsible', 'service_notice', 'address', 'address_id', 'zipcode', 'media_url']) {
    if (!(r[f] === null || r[f] === undefined || typeof r[f] === 'string')) problems.push(`${f} is not text`);
  }
  return problems;
}

/** Problems of a JSON service request update (FixMyStreet extension), [] when it is valid. */
export function updateProblems(u: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const f of ['update_id', 'service_request_id']) if (typeof u[f] !== 'string' || u[f] === '') problems.push(`${f} is not a non-empty string`);
  if (!EXTENDED_STATUSES.includes(String(u['status']).toUpperCase())) problems.push(`status ${String(u['status'])}`);
  if (!W3C_DATETIME.test(String(u['updated_datetime']))) problems.push(`updated_datetime ${String(u['updated_datetime'])}`);
  if (!(typeof u['description'] === 'string' || u['description'] === null)) problems.push('description is not text');
  return problems;
}

/** Problems of an errors document (JSON), [] when it is valid. */
export function errorProblems(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0) return ['errors is not a non-empty array'];
  return (body as Record<string, unknown>[]).flatMap((e, i) => [
    ...(typeof e['code'] === 'number' || typeof e['code'] === 'string' ? [] : [`error ${i}: code`]),
    ...(typeof e['description'] === 'string' && e['description'] !== '' ? [] : [`error ${i}: description`]),
  ]);
}
