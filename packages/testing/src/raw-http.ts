import { type OutgoingHttpHeaders, request } from 'node:http';

/** What {@link rawPost} answers: the status, the content type (empty when none) and the body as text. */
export interface RawAnswer {
  status: number;
  type: string;
  body: string;
}

/**
 * POSTs `body` with node:http itself rather than fetch, for requests fetch cannot send: a header given in
 * several lines (an array value), a body larger than a server accepts (sent whole, its Content-Length set).
 * @throws the connection's error (refused, reset before an answer).
 */
export function rawPost(url: string, headers: OutgoingHttpHeaders, body: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => { text += c; });
      r.on('end', () => resolve({ status: r.statusCode ?? 0, type: String(r.headers['content-type'] ?? ''), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
