import { parserErrorAnswer } from './server';

describe('answers to requests the HTTP parser refused', () => {
  it('under /open311: an Open311 errors document (HTTP 400) in the format of the path, code 431 naming the limits for an overflow', () => {
    const json = parserErrorAnswer('HPE_HEADER_OVERFLOW', Buffer.from('GET /open311/v2/requests.json?service_request_id=a,b HTTP/1.1\r\nHost: x\r\nX-Big: aaaa'));
    expect(json.status).toBe(400);
    expect(json.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(json.body)).toEqual([{ code: 431, description: expect.stringMatching(/exceed 65536 bytes; name at most 200 service_request_id/) }]);
    const xml = parserErrorAnswer('HPE_INVALID_CONSTANT', Buffer.from('GET /open311/v2/requests.xml?service_code=a b HTTP/1.1\r\n'));
    expect([xml.status, xml.contentType]).toEqual([400, 'text/xml; charset=utf-8']);
    expect(xml.body).toMatch(/<errors><error><code>400<\/code>/);
  });

  it('elsewhere, or when the bytes do not show the path: problem+json 431 or 400', () => {
    expect(parserErrorAnswer('HPE_HEADER_OVERFLOW', Buffer.from('GET /api/v1/tickets?x=aaa'))).toMatchObject({ status: 431, contentType: 'application/problem+json' });
    expect(parserErrorAnswer('HPE_HEADER_OVERFLOW', Buffer.from(',a,a,a,a'))).toMatchObject({ status: 431, contentType: 'application/problem+json' });
    expect(parserErrorAnswer('HPE_INVALID_METHOD', undefined)).toMatchObject({ status: 400, contentType: 'application/problem+json' });
    expect(JSON.parse(parserErrorAnswer('ERR_HTTP_REQUEST_TIMEOUT', undefined).body)).toMatchObject({ status: 408, reason: 'request_timeout' });
  });
});
