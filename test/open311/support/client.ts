/**
 * A small Open311 client for the tests: form-urlencoded POSTs, both formats of every read, and checks
 * that hold for every answer (UTF-8 content types; XML well-formed with its declaration; JSON the Spark
 * mapping of the XML; never HTML, never a 5xx).
 */
import { type XmlDocument, asText, parseXml, sparkOf } from './georeport';

/** One answer. */
export interface Open311Answer {
  status: number;
  contentType: string;
  headers: Headers;
  text: string;
  /** The parsed body: JSON for .json paths, the XML document (checked) for .xml paths. */
  json?: any;
  xml?: XmlDocument;
}

/** Form fields; an array repeats the name. */
export type Form = Record<string, string | readonly string[] | undefined>;

/** Encodes a form as application/x-www-form-urlencoded (UTF-8). */
function encodeForm(form: Form): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (v === undefined) continue;
    for (const one of typeof v === 'string' ? [v] : v) p.append(k, one);
  }
  return p.toString();
}

/** Calls the endpoint: `path` is relative to /open311/v2 (e.g. `services.xml`). */
export async function call(base: string, method: 'GET' | 'POST', path: string, options: { form?: Form; headers?: Record<string, string> } = {}): Promise<Open311Answer> {
  const res = await fetch(`${base}/open311/v2/${path}`, {
    method,
    headers: { ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } : {}), ...options.headers },
    ...(options.form ? { body: encodeForm(options.form) } : {}),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  if (/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text)) throw new Error(`${method} ${path}: HTML answer`);
  const answer: Open311Answer = { status: res.status, contentType, headers: res.headers, text };
  const format = path.split('?')[0]!.endsWith('.json') ? 'json' : 'xml';
  if (format === 'json') {
    if (contentType !== 'application/json; charset=utf-8') throw new Error(`${path}: content-type ${contentType}`);
    answer.json = JSON.parse(text);
  } else {
    if (!/^text\/xml; ?charset=utf-8$/i.test(contentType)) throw new Error(`${path}: content-type ${contentType}`);
    answer.xml = parseXml(text);
  }
  return answer;
}

/**
 * GETs a resource in both formats (`name` without suffix, e.g. `requests/123` or `requests?status=open`)
 * and checks that they say the same: same status, and the JSON equals the Spark mapping of the XML
 * (scalars compared as text). Returns the JSON answer and the XML one.
 */
export async function getBoth(base: string, name: string, headers: Record<string, string> = {}): Promise<{ json: Open311Answer; xml: Open311Answer }> {
  const [path, query] = name.split('?') as [string, string | undefined];
  const suffix = (f: string) => `${path}.${f}${query ? `?${query}` : ''}`;
  const [json, xml] = await Promise.all([call(base, 'GET', suffix('json'), { headers }), call(base, 'GET', suffix('xml'), { headers })]);
  if (json.status !== xml.status) throw new Error(`${name}: ${json.status} in JSON but ${xml.status} in XML`);
  const fromXml = sparkOf(xml.xml!.root, xml.xml!.body);
  expect(fromXml).toEqual(asText(json.json));
  return { json, xml };
}
