import { createConnection } from 'node:net';
import { status } from '@grpc/grpc-js';
import { signToken, signingKeyFromSecret, verifyToken, type Principal } from '@tongban/auth';
import { SERVICE_NAMES, type ServiceName } from '@tongban/runtime';
import { rawPost } from '@tongban/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { FAKE_KEYS, FAKE_SIGNING_KEY, startFakeUpstreams, type FakeUpstreams } from './testing/fake-upstreams';
import { COMMAND_ROUTES } from './routes/commands';
import { buildGateway, type GatewayOptions } from './server';
import type { TestClockControl } from './test-clock';

const key = FAKE_SIGNING_KEY;
const admin: Principal = { kind: 'staff', id: 'admin@adm-513437100', role: 'admin', unitId: 'adm-513437100', division: '513437100' };
const citizen: Principal = { kind: 'citizen', id: 'device-1' };

let fakes: FakeUpstreams;
let adminToken: string;
let citizenToken: string;

interface Running {
  app: FastifyInstance;
  base: string;
}
const running: Running[] = [];

/** Calls to the fake services other than identity's key fetch (which verifying a token needs). */
function upstreamCalls() {
  return fakes.calls.filter((c) => c.method !== 'identity.getVerificationKeys');
}

async function startGateway(options: GatewayOptions = {}): Promise<Running> {
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [s, fakes.address])) as Record<ServiceName, string>;
  const app = buildGateway({
    logger: pino({ level: 'silent' }),
    swaggerUi: false, // served by the child-process test (main.int.test.ts)
    ...options,
    config: { addresses, testClock: false, ...options.config },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const r = { app, base: `http://127.0.0.1:${address.port}` };
  running.push(r);
  return r;
}

let gw: Running;

beforeAll(async () => {
  fakes = await startFakeUpstreams();
  adminToken = await signToken(admin, key, new Date());
  citizenToken = await signToken(citizen, key, new Date());
  gw = await startGateway();
});

afterEach(() => {
  fakes.behaviour = () => undefined;
  fakes.calls.length = 0;
});

afterAll(async () => {
  await Promise.all(running.map((r) => r.app.close()));
  await fakes.stop();
});

function auth(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extra };
}

async function post(path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${gw.base}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function expectProblem(res: Response, httpStatus: number, reason: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(httpStatus);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = await res.json() as Record<string, unknown>;
  expect(problem).toMatchObject({ status: httpStatus, reason, type: `urn:tongban:problem:${reason}` });
  expect(typeof problem['title']).toBe('string');
  expect(typeof problem['detail']).toBe('string');
  return problem;
}

const validSubmission = { service_code: 'road-damage', division: '513437100001', title: 'Pothole', description: 'A deep pothole on the main road' };

describe('problem+json for bad requests', () => {
  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await post('/api/v1/tickets', '{"title": ', auth(citizenToken));
    await expectProblem(res, 400, 'invalid_json');
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('answers a __proto__ key (prototype poisoning) with 400 invalid_json saying so, not only "not valid JSON"', async () => {
    const res = await post('/api/v1/tickets', JSON.stringify({ ...validSubmission }).replace('{', '{"__proto__":{"admin":true},'), auth(citizenToken));
    const problem = await expectProblem(res, 400, 'invalid_json');
    expect(problem['detail']).toContain('"__proto__"');
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('answers a schema violation with 400 validation_failed naming the field', async () => {
    const { title: _title, ...withoutTitle } = validSubmission;
    const res = await post('/api/v1/tickets', withoutTitle, auth(citizenToken));
    const problem = await expectProblem(res, 400, 'validation_failed');
    expect(problem['errors']).toEqual([{ location: 'body/title', message: 'is required' }]);
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('rejects unknown fields and wrong types (no coercion)', async () => {
    await expectProblem(await post('/api/v1/tickets', { ...validSubmission, colour: 'red' }, auth(citizenToken)), 400, 'validation_failed');
    await expectProblem(await post('/api/v1/tickets/t1/rating', { score: '5' }, auth(citizenToken)), 400, 'validation_failed');
    await expectProblem(await post('/api/v1/tickets/t1/transfer', { reason: 'no target' }, auth(adminToken)), 400, 'validation_failed');
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('answers a 10 MB body with 413', async () => {
    const big = JSON.stringify({ ...validSubmission, description: 'x'.repeat(10 * 1024 * 1024) });
    const res = await rawPost(`${gw.base}/api/v1/tickets`, auth(citizenToken), big);
    expect(res.status).toBe(413);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 413, reason: 'payload_too_large' });
    expect(upstreamCalls()).toHaveLength(0);
  });

  it.each([
    ['a malformed request line', 'NOT A REQUEST\r\n\r\n', 400, 'Bad Request', 'malformed_request'],
    ['oversized headers', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431, 'Request Header Fields Too Large', 'headers_too_large'],
  ])('answers %s Node cannot parse with problem+json', async (_name, raw, httpStatus, title, reason) => {
    const { port } = new URL(gw.base);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: Number(port) }, () => socket.end(raw));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => { text += c; });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.startsWith(`HTTP/1.1 ${httpStatus} ${title}\r\n`)).toBe(true);
    expect(answer).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      type: `urn:tongban:problem:${reason}`, title, status: httpStatus, detail: 'the HTTP request could not be parsed', reason,
    });
  });

  it('answers an unsupported media type with 415', async () => {
    const res = await post('/api/v1/tickets', 'hello', { authorization: `Bearer ${citizenToken}`, 'content-type': 'text/plain' });
    await expectProblem(res, 415, 'unsupported_media_type');
  });

  it('answers an unknown route with 404 problem+json', async () => {
    await expectProblem(await fetch(`${gw.base}/api/v1/nothing-here`), 404, 'route_not_found');
  });

  it.each([
    [undefined, 'zh-Hans', '未找到'], ['en-GB,en;q=0.8', 'en', 'Not found'], ['ii-CN', 'ii', 'ꀋꌬ'],
    ['fr;q=1, en;q=0.5, zh;q=0.7', 'zh-Hans', '未找到'], ['yi', 'zh-Hans', '未找到'],
  ])('writes the problem title in the Accept-Language (%s → %s)', async (acceptLanguage, language, title) => {
    const res = await fetch(`${gw.base}/api/v1/nothing-here`, { headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
    expect(res.headers.get('content-language')).toBe(language);
    expect(await res.json()).toMatchObject({ status: 404, reason: 'route_not_found', title });
  });

  it.each(['"1", "2"', 'W/"3"', 'abc', '-1'])('rejects If-Match %s with 400 invalid_if_match', async (ifMatch) => {
    const res = await post('/api/v1/tickets/t1/accept', {}, auth(adminToken, { 'if-match': ifMatch }));
    await expectProblem(res, 400, 'invalid_if_match');
    expect(upstreamCalls()).toHaveLength(0);
  });
});

describe('authentication at the gateway', () => {
  it('answers a write without a token with 401 before calling a service', async () => {
    const res = await post('/api/v1/tickets', validSubmission, { 'content-type': 'application/json' });
    const problem = await expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(problem['instance']).toBe('/api/v1/tickets');
    for (const spec of COMMAND_ROUTES) {
      await expectProblem(await post(`/api/v1/tickets/t1/${spec.path}`, {}, { 'content-type': 'application/json' }), 401, 'unauthenticated');
    }
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('needs a token to read tickets and the inbox', async () => {
    for (const path of ['/api/v1/tickets/t1', '/api/v1/tickets/t1/history', '/api/v1/tickets', '/api/v1/inbox']) {
      await expectProblem(await fetch(`${gw.base}${path}`), 401, 'unauthenticated');
    }
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('answers a forged or malformed token with 401 invalid_token', async () => {
    const forged = await signToken(admin, signingKeyFromSecret('another-secret-that-is-long-enough-0123456789'), new Date());
    await expectProblem(await fetch(`${gw.base}/api/v1/tickets/t1`, { headers: { authorization: `Bearer ${forged}` } }), 401, 'invalid_token');
    await expectProblem(await fetch(`${gw.base}/api/v1/tickets/t1`, { headers: { authorization: 'Basic abc' } }), 401, 'invalid_token');
    expect(upstreamCalls()).toHaveLength(0);
  });

  it('forwards the bearer token and the correlation id as gRPC metadata', async () => {
    const res = await fetch(`${gw.base}/api/v1/tickets/t1`, { headers: { authorization: `Bearer ${adminToken}`, 'x-correlation-id': 'corr-123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('corr-123');
    const [call] = fakes.callsTo('query.getTicket');
    expect(call?.metadata.get('authorization')).toEqual([`Bearer ${adminToken}`]);
    expect(call?.metadata.get('x-correlation-id')).toEqual(['corr-123']);
  });

  it('issues a verifiable citizen device token without a password', async () => {
    const res = await fetch(`${gw.base}/api/v1/devices`, { method: 'POST' });
    expect(res.status).toBe(201);
    const body = await res.json() as { deviceId: string; token: string };
    expect(body.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(verifyToken(body.token, FAKE_KEYS)).resolves.toEqual({ kind: 'citizen', id: body.deviceId });
    const other = await (await fetch(`${gw.base}/api/v1/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json() as { deviceId: string };
    expect(other.deviceId).not.toBe(body.deviceId);
  });
});

describe('gRPC status → problem+json', () => {
  const cases: [string, status, string | undefined, Record<string, string>, number, string][] = [
    ['PERMISSION_DENIED', status.PERMISSION_DENIED, 'not_holder', {}, 403, 'not_holder'],
    ['NOT_FOUND', status.NOT_FOUND, 'ticket_not_found', {}, 404, 'ticket_not_found'],
    ['FAILED_PRECONDITION', status.FAILED_PRECONDITION, 'invalid_transition', {}, 409, 'invalid_transition'],
    ['ABORTED revision_mismatch with If-Match', status.ABORTED, 'revision_mismatch', { 'if-match': '"3"' }, 412, 'revision_mismatch'],
    ['ABORTED revision_mismatch without If-Match', status.ABORTED, 'revision_mismatch', {}, 409, 'revision_mismatch'],
    ['INVALID_ARGUMENT', status.INVALID_ARGUMENT, 'score_out_of_range', {}, 400, 'score_out_of_range'],
    ['UNAUTHENTICATED', status.UNAUTHENTICATED, 'unauthenticated', {}, 401, 'unauthenticated'],
    ['ALREADY_EXISTS', status.ALREADY_EXISTS, 'already_exists', {}, 409, 'already_exists'],
    ['UNAVAILABLE', status.UNAVAILABLE, undefined, {}, 503, 'unavailable'],
    ['INVALID_ARGUMENT without a reason', status.INVALID_ARGUMENT, undefined, {}, 400, 'invalid_argument'],
  ];
  it.each(cases)('%s', async (_name, code, reason, headers, httpStatus, expectedReason) => {
    fakes.behaviour = (method) => method === 'casework.executeCaseworkCommand'
      ? { failure: { code, details: `the service says ${expectedReason}`, ...(reason ? { reason } : {}) } }
      : undefined;
    const res = await post('/api/v1/tickets/t1/reply', { message: 'hello', public: true }, auth(adminToken, headers));
    const problem = await expectProblem(res, httpStatus, expectedReason);
    if (httpStatus < 500) expect(problem['detail']).toBe(`the service says ${expectedReason}`);
  });

  it('hides internals of unexpected failures (500)', async () => {
    fakes.behaviour = () => ({ failure: { code: status.INTERNAL, details: 'secret: pg password is hunter2', reason: 'internal' } });
    const res = await fetch(`${gw.base}/api/v1/tickets/t1`, { headers: auth(adminToken) });
    const problem = await expectProblem(res, 500, 'internal');
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('maps an Idempotency-Key reused with another body to 422', async () => {
    fakes.behaviour = () => ({ failure: { code: status.ALREADY_EXISTS, details: 'this Idempotency-Key was used with a different request body', reason: 'idempotency_key_reused' } });
    await expectProblem(await post('/api/v1/tickets', validSubmission, auth(citizenToken, { 'idempotency-key': 'k1' })), 422, 'idempotency_key_reused');
  });

  it('maps an unreachable service to 503', async () => {
    const lonely = await startGateway({ config: { addresses: { identity: fakes.address, intake: '127.0.0.1:1', routing: '127.0.0.1:1', casework: '127.0.0.1:1', deadline: '127.0.0.1:1', notification: '127.0.0.1:1', query: '127.0.0.1:1' } } });
    const res = await fetch(`${lonely.base}/api/v1/tickets/t1`, { headers: auth(adminToken) });
    await expectProblem(res, 503, 'unavailable');
    await expectProblem(await fetch(`${lonely.base}/readyz`), 503, 'not_ready');
  });

  it('answers 503, not 401, while identity (the verification keys) cannot be reached', async () => {
    const keyless = await startGateway({ config: { addresses: { ...Object.fromEntries(SERVICE_NAMES.map((s) => [s, fakes.address])) as Record<ServiceName, string>, identity: '127.0.0.1:1' } } });
    await expectProblem(await fetch(`${keyless.base}/api/v1/tickets/t1`, { headers: auth(adminToken) }), 503, 'unavailable');
  });
});

describe('tickets', () => {
  it('submits with the Idempotency-Key forwarded, answering 201 with intake\'s status, links and ETag', async () => {
    fakes.behaviour = (method) => method === 'intake.submitTicket'
      ? { response: { ticketId: 'ticket-1', reference: 'LS-2026-000001', revision: 1, replayed: false, status: 'routed' } }
      : undefined;
    const body = { ...validSubmission, address: 'Main road', lat: 27.9, long: 102.2, onBehalfOf: { name: '阿呷', contact: '138' } };
    const res = await post('/api/v1/tickets', body, auth(adminToken, { 'idempotency-key': 'key-42' }));
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe('/api/v1/tickets/ticket-1');
    expect(await res.json()).toEqual({
      id: 'ticket-1', reference: 'LS-2026-000001', status: 'routed', revision: 1,
      links: { self: '/api/v1/tickets/ticket-1', history: '/api/v1/tickets/ticket-1/history' },
    });
    const [call] = fakes.callsTo('intake.submitTicket');
    expect(call?.request).toMatchObject({
      idempotencyKey: 'key-42',
      ticket: {
        serviceCode: 'road-damage', division: '513437100001', title: 'Pothole', description: 'A deep pothole on the main road',
        address: 'Main road', lat: 27.9, long: 102.2, onBehalfOf: { name: '阿呷', contact: '138' },
      },
    });
  });

  it('marks a replayed submission', async () => {
    fakes.behaviour = (method) => method === 'intake.submitTicket'
      ? { response: { ticketId: 'ticket-1', reference: 'LS-2026-000001', revision: 0, replayed: true, status: '' } }
      : undefined;
    const res = await post('/api/v1/tickets', validSubmission, auth(citizenToken, { 'idempotency-key': 'key-42' }));
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    // No status (an older intake's answer decodes as empty): submitted, as before.
    expect(await res.json()).toMatchObject({ status: 'submitted', revision: 0 });
  });

  it('returns the ticket view with its ETag, the history and lists', async () => {
    const view = await fetch(`${gw.base}/api/v1/tickets/t9`, { headers: auth(citizenToken) });
    expect(view.status).toBe(200);
    expect(view.headers.get('etag')).toBe('"1"');
    expect(await view.json()).toEqual({ id: 't9', status: 'routed', revision: 1, routedUnit: 'adm-513437100' });

    const history = await (await fetch(`${gw.base}/api/v1/tickets/t9/history`, { headers: auth(citizenToken) })).json();
    expect(history).toEqual({ id: 't9', events: [{ revision: 0, type: 'TicketSubmitted' }, { revision: 1, type: 'TicketRouted' }] });

    const list = await fetch(`${gw.base}/api/v1/tickets?status=routed&unit=adm-513437100&limit=10`, { headers: auth(adminToken) });
    expect(await list.json()).toEqual({ tickets: [{ id: 'ticket-1' }] });
    expect(fakes.callsTo('query.listTickets')[0]?.request).toMatchObject({ status: 'routed', unitId: 'adm-513437100', limit: 10, offset: 0 });
  });

  it('serves the inbox and public reference data (no token needed or forwarded for reference data)', async () => {
    const inbox = await (await fetch(`${gw.base}/api/v1/inbox`, { headers: auth(adminToken) })).json() as { messages: unknown[]; unread: number };
    expect(inbox).toEqual({ messages: [{ id: 'm1', ticketId: 'ticket-1', kind: 'ticket-arrived', title: 't', body: 'b', createdAt: '2026-01-01T00:00:00.000Z', eventId: 'e1', read: true }], unread: 2 });
    // Marking read: the body becomes MarkInboxRead's request, the answer its unread count.
    const marked = await post('/api/v1/inbox/read', { upTo: '2026-01-01T00:00:00Z' }, auth(adminToken));
    expect([marked.status, await marked.json()]).toEqual([200, { unread: 1 }]);
    expect((await post('/api/v1/inbox/read', { ids: ['6f1c2d3e-4b5a-5c6d-9e7f-8a9b0c1d2e3f'] }, auth(adminToken))).status).toBe(200);
    expect(fakes.callsTo('notification.markInboxRead').map((c) => c.request)).toEqual([
      { upTo: '2026-01-01T00:00:00Z', messageIds: [] }, { upTo: '', messageIds: ['6f1c2d3e-4b5a-5c6d-9e7f-8a9b0c1d2e3f'] },
    ]);
    for (const body of [{}, { upTo: 'x', ids: ['6f1c2d3e-4b5a-5c6d-9e7f-8a9b0c1d2e3f'] }, { ids: ['nope'] }, { ids: [] }]) {
      await expectProblem(await post('/api/v1/inbox/read', body, auth(adminToken)), 400, 'validation_failed');
    }
    expect(fakes.callsTo('notification.markInboxRead')).toHaveLength(2);

    const units = await fetch(`${gw.base}/api/v1/units?division=513437100`);
    expect(units.status).toBe(200);
    expect(await units.json()).toEqual({ units: [{ id: 'adm-513437100', name: '锦城镇', kind: 'administration', division: '513437100' }] });
    const [call] = fakes.callsTo('query.listUnits');
    expect(call?.request).toEqual({ division: '513437100' });
    // ListUnits and ListServices are public methods: the gateway forwards no token (and mints none).
    expect(call?.metadata.get('authorization')).toEqual([]);

    expect(await (await fetch(`${gw.base}/api/v1/services`)).json()).toEqual({ services: [{ service_code: 'road-damage' }] });
    // A caller's (valid) token is not forwarded either.
    expect((await fetch(`${gw.base}/api/v1/services`, { headers: auth(citizenToken) })).status).toBe(200);
    expect(fakes.callsTo('query.listServices').map((c) => c.metadata.get('authorization'))).toEqual([[], []]);
  });
});

describe('commands', () => {
  it('forwards If-Match as expected_revision and returns the new revision as ETag', async () => {
    const quoted = await post('/api/v1/tickets/t1/accept', undefined, auth(adminToken, { 'if-match': '"3"' }));
    expect(quoted.status).toBe(200);
    expect(quoted.headers.get('etag')).toBe('"5"');
    expect(await quoted.json()).toEqual({ id: 't1', revision: 5, events: ['SomethingHappened'] });
    await post('/api/v1/tickets/t1/accept', {}, auth(adminToken, { 'if-match': '4' }));
    await post('/api/v1/tickets/t1/accept', {}, auth(adminToken));
    await post('/api/v1/tickets/t1/accept', {}, auth(adminToken, { 'if-match': '*' }));
    const requests = fakes.callsTo('routing.executeRoutingCommand').map((c) => c.request as { expectedRevision?: number; command: unknown });
    expect(requests.map((r) => r.expectedRevision)).toEqual([3, 4, undefined, undefined]);
    expect(requests[0]?.command).toEqual({ $case: 'accept', value: {} });
  });

  const routeCases: [string, unknown, string, unknown][] = [
    ['accept', {}, 'routing.executeRoutingCommand', { $case: 'accept', value: {} }],
    ['reply', { message: 'On our way', public: true }, 'casework.executeCaseworkCommand', { $case: 'reply', value: { message: 'On our way', public: true } }],
    ['resolve', { resolution: 'Fixed' }, 'casework.executeCaseworkCommand', { $case: 'resolve', value: { resolution: 'Fixed' } }],
    ['transfer', { department: 'water', reason: 'pipes' }, 'routing.executeRoutingCommand', { $case: 'transfer', value: { department: 'water', unitId: '', reason: 'pipes' } }],
    ['transfer', { unit: 'dep-513437-water', reason: 'pipes' }, 'routing.executeRoutingCommand', { $case: 'transfer', value: { department: '', unitId: 'dep-513437-water', reason: 'pipes' } }],
    ['handback', { findings: 'Done' }, 'routing.executeRoutingCommand', { $case: 'handBack', value: { findings: 'Done' } }],
    ['request-information', { question: 'Where?' }, 'casework.executeCaseworkCommand', { $case: 'requestInformation', value: { question: 'Where?' } }],
    ['information', { text: 'Here' }, 'intake.executeReporterCommand', { $case: 'addInformation', value: { text: 'Here' } }],
    ['notes', { text: 'Internal' }, 'casework.executeCaseworkCommand', { $case: 'note', value: { text: 'Internal' } }],
    ['deadline', { dueAt: '2015-06-30T18:00:00+08:00', reason: 'Needs parts' }, 'casework.executeCaseworkCommand', { $case: 'setDeadline', value: { dueAt: '2015-06-30T10:00:00.000Z', reason: 'Needs parts' } }],
    ['verify', { method: 'visit', note: 'Checked' }, 'casework.executeCaseworkCommand', { $case: 'verify', value: { method: 'visit', note: 'Checked' } }],
    ['close', {}, 'casework.executeCaseworkCommand', { $case: 'close', value: { reason: '' } }],
    ['reopen', { reason: 'Still broken' }, 'intake.executeReporterCommand', { $case: 'reopen', value: { reason: 'Still broken' } }],
    ['rating', { score: 5, comment: 'Great' }, 'intake.executeReporterCommand', { $case: 'rate', value: { score: 5, comment: 'Great' } }],
    ['follow', {}, 'intake.executeReporterCommand', { $case: 'follow', value: {} }],
    ['callback', { reached: true, channel: 'phone', rating: 'satisfied' }, 'casework.executeCaseworkCommand', { $case: 'callback', value: { reached: true, channel: 'phone', rating: 'satisfied', comment: '' } }],
    ['reject', { reason: 'Not ours', category: 'out-of-scope' }, 'casework.executeCaseworkCommand', { $case: 'reject', value: { reason: 'Not ours', category: 'out-of-scope' } }],
    ['duplicate', { of: 't0' }, 'casework.executeCaseworkCommand', { $case: 'markDuplicate', value: { ofTicketId: 't0' } }],
    ['merge', { into: 't0' }, 'casework.executeCaseworkCommand', { $case: 'merge', value: { intoTicketId: 't0' } }],
    ['withdraw', undefined, 'intake.executeReporterCommand', { $case: 'withdraw', value: { reason: '' } }],
    ['reassign', { unit: 'adm-513437', staff: 'admin@adm-513437', reason: 'Too slow' }, 'routing.executeRoutingCommand', { $case: 'reassign', value: { unitId: 'adm-513437', staffId: 'admin@adm-513437', reason: 'Too slow' } }],
    ['escalate', { reason: 'Breached' }, 'routing.executeRoutingCommand', { $case: 'escalate', value: { reason: 'Breached' } }],
    ['return', { reasonCode: 'wrong_place', legalBasis: '区划图' }, 'routing.executeRoutingCommand', { $case: 'returnTicket', value: { reasonCode: 'wrong_place', reason: '', legalBasis: '区划图' } }],
    ['return-review', { approve: true, unit: 'adm-513437101' }, 'routing.executeRoutingCommand', { $case: 'reviewReturn', value: { approve: true, unitId: 'adm-513437101', reason: '' } }],
  ];
  it.each(routeCases)('POST …/%s goes to the right service as the right command', async (path, body, method, command) => {
    const res = await post(`/api/v1/tickets/t1/${path}`, body === undefined ? '' : body, auth(adminToken));
    expect(res.status).toBe(200);
    const calls = fakes.calls.filter((c) => c.method.endsWith('Command'));
    expect(calls.map((c) => c.method)).toEqual([method]);
    expect(calls[0]?.request).toEqual({ ticketId: 't1', ...(method.startsWith('intake.') ? { clientUpdateId: '' } : {}), command });
  });

  it('looks a reference in `into` / `of` up as the caller (query.ListTickets) and sends the ticket id; an unknown one is a 4xx problem', async () => {
    const res = await post('/api/v1/tickets/t1/merge', { into: 'ls-2026-000007' }, auth(adminToken));
    expect(res.status).toBe(200);
    const [lookup] = fakes.callsTo('query.listTickets');
    expect(lookup?.request).toMatchObject({ references: ['LS-2026-000007'], limit: 1 });
    expect(lookup?.metadata.get('authorization')).toEqual([`Bearer ${adminToken}`]);
    expect((fakes.callsTo('casework.executeCaseworkCommand')[0]?.request as { command: unknown }).command).toEqual({ $case: 'merge', value: { intoTicketId: 'ticket-1' } });
    fakes.behaviour = (method) => (method === 'query.listTickets' ? { response: { ticketsJson: '[]' } } : undefined);
    await expectProblem(await post('/api/v1/tickets/t1/merge', { into: 'LS-2026-000008' }, auth(adminToken)), 404, 'merge_target_not_found');
    await expectProblem(await post('/api/v1/tickets/t1/duplicate', { of: 'LS-2026-000008' }, auth(adminToken)), 400, 'duplicate_target_not_found');
    expect(fakes.callsTo('casework.executeCaseworkCommand')).toHaveLength(1);
  });

  it('covers every command route in the table above', () => {
    expect(new Set(routeCases.map(([path]) => path))).toEqual(new Set(COMMAND_ROUTES.map((r) => r.path)));
  });

  it('answers a reporter command that intake replayed (an Idempotency-Key written before) with Idempotent-Replayed: true', async () => {
    const first = await post('/api/v1/tickets/t1/information', { text: '大约三米高' }, auth(citizenToken, { 'idempotency-key': 'k-1' }));
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    fakes.behaviour = (method) => method === 'intake.executeReporterCommand'
      ? { response: { outcome: { ticketId: 't1', revision: 4, eventTypes: ['InformationAdded'] }, replayed: true } }
      : undefined;
    const again = await post('/api/v1/tickets/t1/information', { text: '大约三米高' }, auth(citizenToken, { 'idempotency-key': 'k-1' }));
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('etag')).toBe('"4"');
    expect(await again.json()).toEqual({ id: 't1', revision: 4, events: ['InformationAdded'] });
  });

  it('forwards a reporter command\'s Idempotency-Key as intake\'s client_update_id; refuses one on a staff command without calling a service', async () => {
    await post('/api/v1/tickets/t1/information', { text: '大约三米高' }, auth(citizenToken, { 'idempotency-key': 'k-1' }));
    await post('/api/v1/tickets/t1/information', { text: '大约三米高' }, auth(citizenToken));
    expect(fakes.calls.map((c) => [c.method, (c.request as { clientUpdateId: string }).clientUpdateId])).toEqual([
      ['intake.executeReporterCommand', 'k-1'],
      ['intake.executeReporterCommand', ''],
    ]);
    fakes.calls.length = 0;
    await expectProblem(await post('/api/v1/tickets/t1/close', { reason: 'Confirmed by phone' }, auth(adminToken, { 'idempotency-key': 'k-2' })), 400, 'idempotency_key_not_supported');
    await expectProblem(await post('/api/v1/tickets/t1/information', { text: 'x' }, auth(citizenToken, { 'idempotency-key': 'k'.repeat(257) })), 400, 'validation_failed');
    await expectProblem(await post('/api/v1/tickets/t1/information', { text: 'x' }, auth(citizenToken, { 'idempotency-key': '' })), 400, 'validation_failed');
    await expectProblem(await post('/api/v1/tickets/t1/information', { text: 'x' }, auth(citizenToken, { 'idempotency-key': 'clé-1' })), 400, 'validation_failed');
    expect(upstreamCalls()).toEqual([]);
  });

  it('answers a deadline at a leap second (23:59:60, a date-time the format allows but no instant JavaScript has) 400 naming dueAt, without calling a service', async () => {
    for (const dueAt of ['2026-12-31T23:59:60Z', '2027-01-01T07:59:60+08:00']) {
      const problem = await expectProblem(await post('/api/v1/tickets/t1/deadline', { dueAt, reason: 'Needs parts' }, auth(adminToken)), 400, 'validation_failed');
      expect(problem['errors']).toEqual([{ location: 'body/dueAt', message: 'must match format "date-time"' }]);
    }
    expect(upstreamCalls()).toEqual([]);
  });

  it('refuses an Idempotency-Key sent in two header lines (Node joined them into the key "k-1, k-2") on a submission and a reporter command, calling no service', async () => {
    const twice = async (path: string, body: unknown) => {
      const res = await rawPost(`${gw.base}${path}`, { ...auth(citizenToken), 'idempotency-key': ['k-1', 'k-2'] }, JSON.stringify(body));
      return { ...res, body: JSON.parse(res.body) as Record<string, unknown> };
    };
    for (const [path, body] of [['/api/v1/tickets', validSubmission], ['/api/v1/tickets/t1/information', { text: '大约三米高' }]] as const) {
      const res = await twice(path, body);
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ reason: 'validation_failed', errors: [{ location: 'headers/idempotency-key', message: 'is given 2 times; give it once' }] });
    }
    expect(upstreamCalls()).toEqual([]);
  });

  it('sends a citizen\'s close to intake and a staff close to casework', async () => {
    await post('/api/v1/tickets/t1/close', { reason: 'Thanks' }, auth(citizenToken));
    await post('/api/v1/tickets/t1/close', { reason: 'Confirmed by phone' }, auth(adminToken));
    expect(fakes.calls.map((c) => [c.method, (c.request as { command: unknown }).command])).toEqual([
      ['intake.executeReporterCommand', { $case: 'close', value: { reason: 'Thanks' } }],
      ['casework.executeCaseworkCommand', { $case: 'close', value: { reason: 'Confirmed by phone' } }],
    ]);
  });
});

describe('test clock', () => {
  it('does not exist without TONGBAN_TEST_CLOCK=1', async () => {
    const res = await fetch(`${gw.base}/api/v1/test/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ now: '2015-06-01T09:00:00+08:00' }) });
    await expectProblem(res, 404, 'route_not_found');
    await expectProblem(await fetch(`${gw.base}/api/v1/test/clock`), 404, 'route_not_found');
  });

  it('sets and reads the platform time when enabled', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const control: TestClockControl = {
      set: async (instant) => { now = instant; return { acknowledged: ['intake', 'routing'] }; },
      now: () => now,
      close: async () => undefined,
    };
    const withClock = await startGateway({ config: { testClock: true }, testClock: control });
    const put = await fetch(`${withClock.base}/api/v1/test/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ now: '2015-06-01T09:00:00+08:00' }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ now: '2015-06-01T01:00:00.000Z', acknowledged: ['intake', 'routing'], missing: ['identity', 'casework', 'deadline', 'notification', 'query'] });
    expect(await (await fetch(`${withClock.base}/api/v1/test/clock`)).json()).toEqual({ now: '2015-06-01T01:00:00.000Z' });
    const bad = await fetch(`${withClock.base}/api/v1/test/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ now: 'yesterday' }) });
    await expectProblem(bad, 400, 'validation_failed');
    const leap = await fetch(`${withClock.base}/api/v1/test/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ now: '2016-12-31T23:59:60Z' }) });
    await expectProblem(leap, 400, 'validation_failed');
  });
});

describe('docs and health', () => {
  it('serves the OpenAPI document', async () => {
    const doc = await (await fetch(`${gw.base}/openapi.json`)).json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/tickets', '/api/v1/tickets/{id}', '/api/v1/tickets/{id}/transfer', '/api/v1/devices']));
    expect(doc.paths['/api/v1/test/clock']).toBeUndefined();
    const accept = doc.paths['/api/v1/tickets/{id}/accept']?.['post'] as { requestBody: { required: boolean } };
    expect(accept.requestBody.required).toBe(false);
  });

  it('answers liveness, and readiness only when the platform processes are heard from', async () => {
    expect(await (await fetch(`${gw.base}/healthz`)).json()).toEqual({ status: 'ok' });
    // Fake upstreams answer, but no service process sends heartbeats in this namespace: not ready,
    // naming them (the ready case runs on real processes: test/operations/readiness.e2e.test.ts).
    const lonely = await startGateway({ config: { namespace: `gwtest_${process.pid}_${Date.now()}` } });
    const ready = await fetch(`${lonely.base}/readyz`);
    expect(ready.status).toBe(503);
    const body = await ready.json() as { reason: string; detail: string; processes: Record<string, string> };
    expect(body.reason).toBe('not_ready');
    expect(body.processes['relay']).toBe('no heartbeat');
    expect(body.detail).toContain('relay (no heartbeat)');
  });
});
