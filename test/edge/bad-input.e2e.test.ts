/**
 * Bad input at the HTTP edge, on the whole platform (real processes, PostgreSQL, NATS), through real
 * sockets (issue 16 items 4, 5, 6, 17, 18): every refusal is a 4xx naming what was wrong —
 * problem+json under /api, an Open311 errors document under /open311 (also for what Node's HTTP parser
 * refuses) —, nothing is silently altered, nothing reaches SQL, and Open311's default date windows read
 * the platform's (test) clock. A reporter's command with an Idempotency-Key writes once; the key reused for
 * another request, on a staff command or in a bad form is a 4xx problem+json. A new ticket (REST and Open311)
 * takes the same keys.
 */
import { createConnection } from 'node:net';
import { waitFor } from '@tongban/testing';
import { call } from '../open311/support/client';
import { parseXml } from '../open311/support/georeport';
import { type Open311Stack, startOpen311Stack } from '../open311/support/stack';
import { STACK_START_TIMEOUT_MS, type TestStack } from '../support/test-stack';

let platform: Open311Stack;
let stack: TestStack;
let apiKey: string;

beforeAll(async () => {
  platform = await startOpen311Stack('edge-app');
  ({ stack, apiKey } = platform);
}, STACK_START_TIMEOUT_MS);

afterAll(async () => {
  await platform?.stop();
});

/** An answer read off a raw socket. */
interface RawAnswer { status: number; headers: Record<string, string>; body: string }

/** Sends bytes as they are (no client normalizes them) and reads the answer until the body is complete. */
function rawRequest(bytes: Buffer | string): Promise<RawAnswer> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const parse = (): RawAnswer | undefined => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? NaN);
      const body = all.subarray(end + 4);
      if (!Number.isNaN(length) && body.length < length) return undefined;
      return { status: Number(statusLine!.split(' ')[1]), headers, body: body.toString('utf8') };
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const answer = parse();
      if (answer) { socket.destroy(); resolve(answer); }
    });
    socket.on('close', () => { const answer = parse(); if (answer) resolve(answer); else reject(new Error(`no answer: ${Buffer.concat(chunks).toString('latin1')}`)); });
    socket.on('error', reject);
  });
}

/** The Open311 errors of an answer in either format: code and description of each. */
function open311Errors(contentType: string, body: string): { code: string; description: string }[] {
  if (contentType.startsWith('application/json')) return (JSON.parse(body) as { code: number; description: string }[]).map((e) => ({ code: String(e.code), description: e.description }));
  expect(contentType).toMatch(/^text\/xml/);
  const doc = parseXml(body);
  expect(doc.root).toBe('errors');
  return (doc.body as { error: { code: string; description: string }[] }).error;
}

/** A citizen's ticket, submitted through REST; resolves with its id. */
async function submitTicket(token: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.api('POST', '/api/v1/tickets', {
    token, body: { service_code: 'sanitation', division: '513437100001', title: '垃圾未清运', description: '西街垃圾堆积三天', ...extra },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('integers beyond their wire type (item 4)', () => {
  it('answers a rating score outside 32 bits 400 score_out_of_range, like any score outside 1–5', async () => {
    const device = await stack.device();
    const id = await submitTicket(device.token);
    for (const score of ['2147483648', '-2147483649', '1e15', '9007199254740993', '2147483647', '6']) {
      const res = await stack.api('POST', `/api/v1/tickets/${id}/rating`, { token: device.token, body: `{"score":${score}}` });
      expect([score, res.status, res.headers.get('content-type')?.split(';')[0], res.body.reason]).toEqual([score, 400, 'application/problem+json', 'score_out_of_range']);
    }
  });
});

describe('Open311 errors for everything under /open311 (item 5)', () => {
  it('answers headers over the 64 KB limit with 431 problem+json under /api (the parser\'s refusal)', async () => {
    const api = await rawRequest(`GET /api/v1/tickets?x=${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect([api.status, api.headers['content-type']]).toEqual([431, 'application/problem+json']);
  });

  it('answers hundreds (or a thousand) of service_request_id with a 400 naming the limit, on both GETs', async () => {
    for (const n of [300, 1000]) {
      const ids = Array.from({ length: n }, (_, i) => `01900000-0000-7000-8000-${String(i).padStart(12, '0')}`).join(',');
      for (const path of ['requests', 'servicerequestupdates']) {
        for (const f of ['json', 'xml'] as const) {
          const res = await call(stack.url, 'GET', `${path}.${f}?service_request_id=${ids}`);
          expect(res.status).toBe(400);
          expect(open311Errors(res.contentType, res.text).map((e) => e.description).join(' ')).toContain(`at most 200 service_request_id may be given in one request (${n} were)`);
        }
      }
    }
  });

  it('answers a raw space in the query (refused by the HTTP parser) with an Open311 errors document', async () => {
    for (const f of ['json', 'xml']) {
      const res = await rawRequest(`GET /open311/v2/requests.${f}?service_code=a b HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(open311Errors(res.headers['content-type']!, res.body)[0]?.code).toBe('400');
    }
  });
});

describe('one rule for invalid characters in Open311 parameters (item 6)', () => {
  it('refuses a NUL in service_request_id with 400 naming it, wherever the parameter appears, before any service sees it', async () => {
    for (const f of ['json', 'xml'] as const) {
      for (const path of [`requests.${f}?service_request_id=%00`, `requests.${f}?service_request_id=a%00`, `servicerequestupdates.${f}?service_request_id=%00`, `requests/a%00.${f}`, `tokens/%00.${f}`]) {
        const res = await call(stack.url, 'GET', path);
        const descriptions = open311Errors(res.contentType, res.text).map((e) => e.description).join(' ');
        expect([path, res.status]).toEqual([path, 400]);
        expect(descriptions).toMatch(path.startsWith('tokens') ? /^token contains U\+0000/ : /service_request_id/);
      }
      const post = await call(stack.url, 'POST', `servicerequestupdates.${f}`, { form: { api_key: apiKey, service_request_id: 'a\u0000', description: '补充' } });
      expect(post.status).toBe(400);
      expect(open311Errors(post.contentType, post.text)[0]?.description).toMatch(/^service_request_id contains U\+0000/);
    }
    // Nothing reached PostgreSQL: no service logged an encoding error.
    expect(stack.logs().filter((l) => /invalid byte sequence|0x00/.test(l))).toEqual([]);
  });
});

describe('text is refused, never altered (item 17)', () => {
  const post = (body: Buffer | string, contentType: string) => fetch(`${stack.url}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const form = (description: string) => `api_key=${apiKey}&service_code=sanitation&address_id=513437100001&description=${description}`;

  it('refuses invalid UTF-8 in an Open311 POST (percent-encoded or raw) with 400 naming the field', async () => {
    for (const body of [form('%C3%28abc'), Buffer.concat([Buffer.from(form('')), Buffer.from([0xff, 0xfe, 0x41])])]) {
      const res = await post(body, 'application/x-www-form-urlencoded');
      expect(res.status).toBe(400);
      expect(open311Errors(res.headers.get('content-type')!, await res.text())).toEqual([{ code: '400', description: 'description is not valid UTF-8' }]);
    }
  });

  it('decodes a declared charset correctly (GB18030, ISO-8859-1) and answers an unknown one 400 with code 415', async () => {
    // 西街 in GB18030, percent-encoded; "Café" in ISO-8859-1.
    for (const [charset, encoded, expected] of [['gb18030', '%CE%F7%BD%D6%C0%AC%BB%F8', '西街垃圾'], ['ISO-8859-1', 'Caf%E9+d%E9chets', 'Café déchets']] as const) {
      const res = await post(form(encoded), `application/x-www-form-urlencoded; charset=${charset}`);
      expect(res.status).toBe(200);
      const id = (await res.json() as { service_request_id: string }[])[0]!.service_request_id;
      const view = await waitFor(async () => {
        const r = await call(stack.url, 'GET', `requests/${id}.json`);
        return r.status === 200 ? r.json[0] : undefined;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      expect(view.description).toBe(expected);
    }
    const unknown = await post(form('x'), 'application/x-www-form-urlencoded; charset=x-klingon');
    expect(unknown.status).toBe(400);
    expect(open311Errors(unknown.headers.get('content-type')!, await unknown.text())[0]?.code).toBe('415');
  });

  it('refuses an unpaired surrogate or invalid UTF-8 in a REST body with 400 naming the field, and a non-UTF-8 JSON charset with 415', async () => {
    const device = await stack.device();
    const body = (description: string) => `{"service_code":"sanitation","division":"513437100001","title":"t","description":"${description}"}`;
    const surrogate = await stack.api('POST', '/api/v1/tickets', { token: device.token, body: body('\\ud800 x') });
    expect([surrogate.status, surrogate.body.reason, surrogate.body.errors]).toEqual([400, 'invalid_characters', [{ location: 'body/description', message: 'contains an unpaired surrogate (U+D800)' }]]);
    const bytes = Buffer.concat([Buffer.from(body('').slice(0, -2)), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const invalid = await fetch(`${stack.url}/api/v1/tickets`, { method: 'POST', headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json' }, body: bytes });
    const problem = await invalid.json() as { reason: string; errors: unknown };
    expect([invalid.status, problem.reason, problem.errors]).toEqual([400, 'invalid_characters', [{ location: 'body/description', message: 'is not valid UTF-8' }]]);
    const latin1 = await stack.api('POST', '/api/v1/tickets', { token: device.token, body: body('x'), headers: { 'content-type': 'application/json; charset=iso-8859-1' } });
    expect([latin1.status, latin1.body.reason]).toEqual([415, 'unsupported_charset']);
    // A multipart submission's ticket part follows the same rule, as a field or as a file part.
    const multipart = async (ticket: string | Blob) => {
      const f = new FormData();
      if (typeof ticket === 'string') f.append('ticket', ticket);
      else f.append('ticket', ticket, 'ticket.json');
      const res = await fetch(`${stack.url}/api/v1/tickets`, { method: 'POST', headers: { authorization: `Bearer ${device.token}` }, body: f });
      return { status: res.status, body: await res.json() as { reason: string; errors: unknown } };
    };
    expect(await multipart(body('\\ud800 x'))).toEqual({ status: 400, body: expect.objectContaining({ reason: 'invalid_characters', errors: [{ location: 'body/ticket/description', message: 'contains an unpaired surrogate (U+D800)' }] }) });
    expect(await multipart(new Blob([bytes], { type: 'application/json' }))).toEqual({ status: 400, body: expect.objectContaining({ reason: 'invalid_characters', errors: [{ location: 'body/ticket', message: 'is not valid UTF-8' }] }) });
    // …also a field part (no filename) whose bytes are not UTF-8 — GBK from an old client, or declared
    // latin1 — which was decoded with U+FFFD (or as Latin-1) and submitted altered; one declared
    // application/json (curl -F 'ticket=…;type=application/json') is read as the JSON it is, and a second
    // ticket part is refused rather than replacing the first.
    const rawMultipart = async (...parts: { headers: string; bytes: Buffer }[]) => {
      const boundary = 'tongban-edge-boundary';
      const payload = Buffer.concat([
        ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\n${p.headers}\r\n\r\n`), p.bytes, Buffer.from('\r\n')]),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
      const res = await fetch(`${stack.url}/api/v1/tickets`, { method: 'POST', headers: { authorization: `Bearer ${device.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, body: payload });
      return { status: res.status, body: await res.json() as { reason: string; errors?: unknown; id?: string } };
    };
    const field = 'Content-Disposition: form-data; name="ticket"';
    const gbk = Buffer.concat([Buffer.from(body('').slice(0, -2)), Buffer.from([0xce, 0xf7, 0xbd, 0xd6]), Buffer.from('"}')]); // 西街 in GBK
    const notUtf8 = { status: 400, body: expect.objectContaining({ reason: 'invalid_characters', errors: [{ location: 'body/ticket', message: 'is not valid UTF-8' }] }) };
    expect(await rawMultipart({ headers: field, bytes: gbk })).toEqual(notUtf8);
    expect(await rawMultipart({ headers: `${field}\r\nContent-Type: text/plain; charset=gbk`, bytes: gbk })).toEqual(notUtf8);
    // JSON is UTF-8 (RFC 8259): the part's bytes are read as UTF-8 whatever charset it declares.
    const declaredLatin1 = await rawMultipart({ headers: `${field}\r\nContent-Type: text/plain; charset=iso-8859-1`, bytes: Buffer.from(body('café')) });
    expect(declaredLatin1).toEqual({ status: 201, body: expect.objectContaining({ id: expect.any(String) }) });
    expect((await stack.api('GET', `/api/v1/tickets/${declaredLatin1.body.id!}`, { token: device.token })).body.description).toBe('café');
    const typed = await rawMultipart({ headers: `${field}\r\nContent-Type: application/json`, bytes: Buffer.from(body('西街 typed')) });
    expect(typed).toEqual({ status: 201, body: expect.objectContaining({ id: expect.any(String) }) });
    expect(await rawMultipart({ headers: field, bytes: Buffer.from(body('first')) }, { headers: field, bytes: Buffer.from(body('second')) }))
      .toEqual({ status: 400, body: expect.objectContaining({ reason: 'unexpected_part' }) });
    // Over 1 MiB, as a JSON body: 413 (the field was cut at 1 MiB and answered "not valid JSON").
    expect(await rawMultipart({ headers: field, bytes: Buffer.from(body('x'.repeat(1_100_000))) })).toEqual({ status: 413, body: expect.objectContaining({ reason: 'payload_too_large' }) });
    // Over a file's 5 MB too: still the ticket's own limit, not "a file may have at most 5 MB".
    expect(await rawMultipart({ headers: field, bytes: Buffer.from(body('x'.repeat(5_300_000))) })).toEqual({ status: 413, body: expect.objectContaining({ reason: 'payload_too_large' }) });
    // Only the two accepted reports exist.
    const mine = await waitFor(async () => {
      const list = await stack.api('GET', '/api/v1/tickets', { token: device.token });
      const ids = (list.body.tickets as { id: string }[]).map((t) => t.id);
      return ids.length >= 2 ? ids : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    expect(mine.sort()).toEqual([declaredLatin1.body.id, typed.body.id].sort());
    const query = await stack.api('GET', '/api/v1/divisions?q=%C3%28');
    expect([query.status, query.body.reason, query.body.errors]).toEqual([400, 'invalid_characters', [{ location: 'querystring/q', message: 'is not valid UTF-8' }]]);
  });
});

describe('Idempotency-Key on a reporter\'s command', () => {
  it('writes a retried command once; refuses the key with another command or text (422), on a staff command and in a bad form (400), all problem+json; keeps callers apart', async () => {
    const device = await stack.device();
    const other = await stack.device();
    const id = await submitTicket(device.token);
    const admin = await stack.staffToken('admin', '513437100');
    const command = (name: string, token: string, key: string, body: unknown = {}) =>
      stack.api('POST', `/api/v1/tickets/${id}/${name}`, { token, body, headers: { 'idempotency-key': key } });
    const info = (token: string, key: string, text = '垃圾车今天也没来') => command('information', token, key, { text });
    const problem = (res: { status: number; headers: Headers; body: { reason?: string } }) => [res.status, res.headers.get('content-type')?.split(';')[0], res.body.reason];

    const first = await info(device.token, 'key-1');
    expect(first.status).toBe(200);
    expect(first.body.events).toEqual(['InformationAdded']);
    const again = await info(device.token, 'key-1');
    expect([again.status, again.body]).toEqual([200, first.body]);
    // The same key for another text or another command is not a retry: refused, nothing done.
    expect(problem(await info(device.token, 'key-1', '另一段补充'))).toEqual([422, 'application/problem+json', 'idempotency_key_reused']);
    expect(problem(await command('withdraw', device.token, 'key-1'))).toEqual([422, 'application/problem+json', 'idempotency_key_reused']);
    // Another caller's key is its own: here refused as any command of theirs on someone else's ticket.
    const foreign = await command('withdraw', other.token, 'key-1');
    expect(foreign.status).toBeGreaterThanOrEqual(400);
    expect(foreign.status).toBeLessThan(500);
    expect(foreign.body.reason).not.toBe('idempotency_key_reused');
    // A staff command takes none (staff retry with If-Match).
    expect(problem(await command('accept', admin, 'key-1'))).toEqual([400, 'application/problem+json', 'idempotency_key_not_supported']);
    // Bad forms: empty, longer than 256 characters, not printable ASCII (raw UTF-8 bytes on the socket).
    expect(problem(await info(device.token, ''))).toEqual([400, 'application/problem+json', 'validation_failed']);
    expect(problem(await info(device.token, 'k'.repeat(257)))).toEqual([400, 'application/problem+json', 'validation_failed']);
    const body = Buffer.from(JSON.stringify({ text: '密钥' }));
    const raw = await rawRequest(Buffer.concat([
      Buffer.from(`POST /api/v1/tickets/${id}/information HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${device.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nIdempotency-Key: `),
      Buffer.from('密钥-1', 'utf8'), Buffer.from('\r\nConnection: close\r\n\r\n'), body,
    ]));
    expect([raw.status, raw.headers['content-type']?.split(';')[0], JSON.parse(raw.body).reason]).toEqual([400, 'application/problem+json', 'validation_failed']);
    const longest = await info(device.token, 'k'.repeat(256));
    expect(longest.status).toBe(200);

    const history = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: admin });
    expect(history.status).toBe(200);
    expect((history.body.events as { type: string }[]).map((e) => e.type).filter((t) => t !== 'TicketRouted')).toEqual(['TicketSubmitted', 'InformationAdded', 'InformationAdded']);
  });
});

describe('Idempotency-Key on a new ticket', () => {
  const report = { service_code: 'sanitation', division: '513437100001', title: '垃圾未清运', description: '东街垃圾堆积' };
  const keyProblem = (res: { status: number; headers: Headers; body: { reason?: string; errors?: { location: string }[] } }) =>
    [res.status, res.headers.get('content-type')?.split(';')[0], res.body.reason, [...new Set(res.body.errors?.map((e) => e.location))]];

  it('takes the reporter commands\' keys (1–256 printable ASCII) on POST /api/v1/tickets: any other is 400 validation_failed problem+json and submits nothing', async () => {
    const device = await stack.device();
    const submit = (key: string) => stack.api('POST', '/api/v1/tickets', { token: device.token, body: report, headers: { 'idempotency-key': key } });
    const refused = [400, 'application/problem+json', 'validation_failed', ['headers/idempotency-key']];
    expect(keyProblem(await submit(''))).toEqual(refused);
    expect(keyProblem(await submit('k'.repeat(257)))).toEqual(refused);
    // Raw UTF-8 bytes on the socket (Node reads them as Latin-1: the key would reach intake altered).
    const body = Buffer.from(JSON.stringify(report));
    const raw = await rawRequest(Buffer.concat([
      Buffer.from(`POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${device.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nIdempotency-Key: `),
      Buffer.from('密钥-1', 'utf8'), Buffer.from('\r\nConnection: close\r\n\r\n'), body,
    ]));
    const rawProblem = JSON.parse(raw.body) as { reason?: string; errors?: { location: string }[] };
    expect([raw.status, raw.headers['content-type']?.split(';')[0], rawProblem.reason, [...new Set(rawProblem.errors?.map((e) => e.location))]]).toEqual(refused);
    // The longest key is taken, and a retry with it is the same ticket.
    const longest = await submit('n'.repeat(256));
    expect(longest.status).toBe(201);
    const again = await submit('n'.repeat(256));
    expect([again.status, again.body.id, again.headers.get('idempotent-replayed')]).toEqual([201, longest.body.id, 'true']);
    // The refused submissions wrote nothing: the device's list (read model, in event order) holds the one ticket.
    const mine = await waitFor(async () => {
      const res = await stack.api('GET', '/api/v1/tickets', { token: device.token });
      const ids = (res.body.tickets as { id: string }[] | undefined)?.map((t) => t.id) ?? [];
      return ids.includes(longest.body.id as string) ? ids : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    expect(mine).toEqual([longest.body.id]);
  });

  it('takes the same keys on Open311\'s POST requests: any other is a 400 errors document naming the header', async () => {
    const form = { api_key: apiKey, service_code: 'sanitation', address_id: '513437100001', description: '幂等键' };
    for (const key of ['', 'k'.repeat(257)]) {
      const res = await call(stack.url, 'POST', 'requests.json', { form, headers: { 'idempotency-key': key } });
      expect(res.status).toBe(400);
      expect(open311Errors(res.contentType, res.text).map((e) => e.description).join(' ')).toContain('Idempotency-Key');
    }
    const body = Buffer.from(new URLSearchParams(form).toString());
    const raw = await rawRequest(Buffer.concat([
      Buffer.from(`POST /open311/v2/requests.xml HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nIdempotency-Key: `),
      Buffer.from('密钥-1', 'utf8'), Buffer.from('\r\nConnection: close\r\n\r\n'), body,
    ]));
    expect(raw.status).toBe(400);
    expect(open311Errors(raw.headers['content-type']!, raw.body)).toEqual([{ code: '400', description: 'the Idempotency-Key header must be printable ASCII characters only' }]);
    const first = await call(stack.url, 'POST', 'requests.json', { form, headers: { 'idempotency-key': 'o'.repeat(256) } });
    const again = await call(stack.url, 'POST', 'requests.json', { form, headers: { 'idempotency-key': 'o'.repeat(256) } });
    expect(first.status).toBe(200);
    expect([again.status, again.json[0].service_request_id, again.headers.get('idempotent-replayed')]).toEqual([200, first.json[0].service_request_id, 'true']);
  });
});

describe('Open311 default date windows follow the platform clock (item 18)', () => {
  it('lists a request submitted at the test time by GET requests and servicerequestupdates without dates', async () => {
    // 200 days back: outside the default windows of the real time (90 days, 24 hours).
    const testNow = new Date(Date.now() - 200 * 86_400_000);
    await stack.setClock(testNow.toISOString());
    try {
      const res = await call(stack.url, 'POST', 'requests.json', { form: { api_key: apiKey, service_code: 'sanitation', address_id: '513437100001', description: '测试时钟' } });
      expect(res.status).toBe(200);
      const id = res.json[0].service_request_id as string;
      const admin = await stack.staffToken('admin', '513437100');
      await stack.waitForTicket(id, admin, (v) => v.holder?.id === 'adm-513437100');
      expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
      const listed = await waitFor(async () => {
        const r = await call(stack.url, 'GET', 'requests.json');
        return (r.json as { service_request_id: string }[]).some((x) => x.service_request_id === id) ? true : undefined;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      expect(listed).toBe(true);
      const updated = await waitFor(async () => {
        const r = await call(stack.url, 'GET', 'servicerequestupdates.json');
        return (r.json as { service_request_id: string }[]).some((x) => x.service_request_id === id) ? true : undefined;
      }, { timeoutMs: 15_000, intervalMs: 100 });
      expect(updated).toBe(true);
    } finally {
      await stack.setClock(new Date().toISOString());
    }
  });
});
