import { XMLParser } from 'fast-xml-parser';
import { escapeXml, formatOfPath, list, render, toJson, toXml } from './format';

const parser = new XMLParser({ parseTagValue: false, trimValues: false });

describe('Open311 documents', () => {
  it('writes XML with the UTF-8 declaration, escaped text, empty elements for null and repeated list items', () => {
    const xml = toXml('service_requests', list('request', [
      { service_request_id: 'a&b', status_notes: null, lat: 27.5, metadata: true, note: '<b>"x"\'' },
      { service_request_id: 'c', skipped: undefined },
    ]));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests>')).toBe(true);
    expect(xml).toContain('<status_notes/>');
    expect(xml).not.toContain('skipped');
    const doc = parser.parse(xml);
    expect(doc.service_requests.request).toEqual([
      { service_request_id: 'a&b', status_notes: '', lat: '27.5', metadata: 'true', note: '<b>"x"\'' },
      { service_request_id: 'c' },
    ]);
  });

  it('turns a container of repeated elements into a JSON array even with one child (Spark convention)', () => {
    const value = { service_code: 'x', attributes: list('attribute', [{ code: 'a', values: list('value', [{ key: 'k', name: 'n' }]) }]) };
    expect(JSON.parse(toJson(value))).toEqual({ service_code: 'x', attributes: [{ code: 'a', values: [{ key: 'k', name: 'n' }] }] });
    expect(JSON.parse(toJson(list('request', [{ a: 1 }])))).toEqual([{ a: 1 }]);
    expect(JSON.parse(toJson(list('request', [])))).toEqual([]);
  });

  it('writes empty elements as null in JSON, numbers and booleans as JSON numbers and booleans, ids as strings', () => {
    expect(JSON.parse(toJson({ a: null, b: '', c: 0, d: false, e: '0123' }))).toEqual({ a: null, b: null, c: 0, d: false, e: '0123' });
  });

  it('drops characters XML 1.0 cannot carry and keeps every other character, astral ones included', () => {
    expect(escapeXml('a\u0000b\u0008c\uFFFEd\tz\n')).toBe('abcd\tz\n');
    const text = '西街 ꆈꌠ 😀 é (e\u0301) 👩‍👩‍👧';
    expect(parser.parse(toXml('x', { t: text })).x.t).toBe(text);
  });

  it('chooses the format by the path suffix, XML when there is none', () => {
    expect(formatOfPath('/open311/v2/services.json?x=1')).toBe('json');
    expect(formatOfPath('/open311/v2/services.xml')).toBe('xml');
    expect(formatOfPath('/open311/v2/')).toBe('xml');
    expect(render('json', 'errors', list('error', [])).contentType).toBe('application/json; charset=utf-8');
    expect(render('xml', 'errors', list('error', [])).contentType).toBe('text/xml; charset=utf-8');
  });
});
