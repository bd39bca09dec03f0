/**
 * Open311 documents in both formats from one value. GeoReport v2 defines XML (schemaless, no namespace,
 * UTF-8 declaration) and derives JSON from it with the Spark convention
 * (wiki.open311.org/JSON_and_XML_Conversion): a container whose children are all the same repeated
 * element is an array, even with one child; an empty element is null; other elements are properties.
 *
 * Values: an object becomes child elements in key order; a {@link Open311List} becomes a container of
 * repeated `itemName` elements (a JSON array); null and '' become an empty element (JSON null);
 * undefined is left out; numbers and booleans are written as text in XML and as numbers and booleans in JSON.
 */

/** The two formats, chosen by the path suffix (`services.xml`, `services.json`). */
export type Open311Format = 'xml' | 'json';

/** Every format, in the order routes are registered. */
export const OPEN311_FORMATS: readonly Open311Format[] = ['xml', 'json'];

/** Content types of the formats (GeoReport v2, "Format Support"). */
export const CONTENT_TYPES: Readonly<Record<Open311Format, string>> = {
  xml: 'text/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** Any Open311 value. */
export type Open311Value = string | number | boolean | null | undefined | Open311List | Open311Object;

/** Child elements by name, in order. */
export interface Open311Object {
  [element: string]: Open311Value;
}

/** A container of repeated elements named `itemName` (a JSON array). */
export class Open311List {
  constructor(readonly itemName: string, readonly items: readonly Open311Value[]) {}
}

/** Shorthand for a {@link Open311List}. */
export function list(itemName: string, items: readonly Open311Value[]): Open311List {
  return new Open311List(itemName, items);
}

/** The format named by a path: `.json` → json, anything else (`.xml`, no suffix) → xml (the required one). */
export function formatOfPath(path: string): Open311Format {
  const clean = path.split('?')[0] ?? path;
  return /\.json$/i.test(clean) ? 'json' : 'xml';
}

// XML 1.0 Char production: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF. Anything else
// (other controls, lone surrogates, U+FFFE/U+FFFF) cannot appear in a well-formed document.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for element content, dropping characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function scalarText(value: string | number | boolean): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return typeof value === 'boolean' ? (value ? 'true' : 'false') : value;
}

function element(name: string, value: Open311Value, out: string[]): void {
  if (value === undefined) return;
  if (value === null || (typeof value === 'string' && value === '')) {
    out.push(`<${name}/>`);
  } else if (value instanceof Open311List) {
    out.push(`<${name}>`);
    for (const item of value.items) element(value.itemName, item, out);
    out.push(`</${name}>`);
  } else if (typeof value === 'object') {
    out.push(`<${name}>`);
    for (const [child, childValue] of Object.entries(value)) element(child, childValue, out);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${escapeXml(scalarText(value))}</${name}>`);
  }
}

/** The XML document: UTF-8 declaration, then `root` holding `value`. */
export function toXml(root: string, value: Open311Value): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  element(root, value, out);
  out.push('\n');
  return out.join('');
}

/** The Spark-convention JSON value of `value` (the root element itself is not named in JSON). */
export function toJsonValue(value: Open311Value): unknown {
  // An empty element is null in JSON, whether the value was null or an empty string.
  if (value === undefined || value === null || value === '') return null;
  if (value instanceof Open311List) return value.items.filter((i) => i !== undefined).map(toJsonValue);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toJsonValue(v)]));
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** The JSON document. */
export function toJson(value: Open311Value): string {
  return JSON.stringify(toJsonValue(value));
}

/** The document in a format: body and content type. */
export function render(format: Open311Format, root: string, value: Open311Value): { body: string; contentType: string } {
  return { body: format === 'xml' ? toXml(root, value) : toJson(value), contentType: CONTENT_TYPES[format] };
}
