/**
 * The gateway's Open311 edge against fake services: HTTP ↔ gRPC mapping, the tokens it acts with, and
 * the error documents (the real services and the spec contract are tested in test/open311).
 */
import { status } from '@grpc/grpc-js';
import { verifyToken } from '@tongban/auth';
import { SERVICE_NAMES, type ServiceName } from '@tongban/runtime';
import { rawPost } from '@tongban/testing';
import { XMLParser } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { FAKE_API_CLIENT, FAKE_API_KEY, FAKE_KEYS, type FakeUpstreams, startFakeUpstreams } from '../testing/fake-upstreams';
import { buildGateway } from '../server';

const xml = new XMLParser({ parseTagValue: false });
const TICKET = '01900000-0000-7000-8000-0000000000aa';

let fakes: FakeUpstreams;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  fakes = await startFakeUpstreams();
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [s, fakes.address])) as Record<ServiceName, string>;
  app = buildGateway({ logger: pino({ level: 'silent' }), swaggerUi: false, config: { addresses, testClock: false }, open311: { jurisdictionId: 'lsz.gov.cn' } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

afterEach(() => {
  fakes.behaviour = () => undefined;
  fakes.calls.length = 0;
});

afterAll(async () => {
  await app.close();
  await fakes.stop();
});

function form(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  return p.toString();
}

async function post(path: string, fields: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers }, body: form(fields) });
}

async function tokenOf(method: string, index = 0): Promise<unknown> {
  const raw = fakes.callsTo(method)[index]?.metadata.get('authorization')[0];
  return verifyToken(String(raw).replace(/^Bearer /, ''), FAKE_KEYS);
}

const submission = { api_key: FAKE_API_KEY, service_code: 'dangerous-structure', address_id: '513437100001', 'attribute[at_risk]': 'yes', description: '围墙裂缝', device_id: 'dev-1', account_id: 'acc-9' };

describe('POST requests', () => {
  it('checks the api_key with intake (no token), then submits as the client application and its device', async () => {
    const res = await post('/open311/v2/requests.json', { ...submission, lat: '28.26', long: '103.57', first_name: 'John', last_name: 'Smith' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual([{ service_request_id: 'ticket-1', service_notice: expect.stringContaining('24 小时内首次答复'), account_id: 'acc-9' }]);
    expect(fakes.callsTo('intake.verifyApiKey')[0]?.metadata.get('authorization')).toEqual([]);
    expect(fakes.callsTo('intake.verifyApiKey')[0]?.request).toEqual({ apiKey: FAKE_API_KEY });
    await expect(tokenOf('intake.submitTicket')).resolves.toEqual({ kind: 'open311', id: FAKE_API_CLIENT, deviceId: 'dev-1' });
    expect(fakes.callsTo('intake.submitTicket')[0]?.request).toMatchObject({
      idempotencyKey: '',
      ticket: {
        serviceCode: 'dangerous-structure', division: '513437100001', title: '围墙裂缝', description: '围墙裂缝', lat: 28.26, long: 103.57,
        attributes: { at_risk: 'yes' }, reporterName: 'John Smith', accountId: 'acc-9',
      },
    });
  });

  it('answers 403 without an api_key or with a wrong one, in the requested format', async () => {
    const missing = await post('/open311/v2/requests.xml', { ...submission, api_key: '' });
    expect(missing.status).toBe(403);
    expect(missing.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(xml.parse(await missing.text())).toEqual({ '?xml': '', errors: { error: { code: '403', description: 'api_key is required' } } });
    const wrong = await post('/open311/v2/requests.json', { ...submission, api_key: 'tb311_nope' });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual([{ code: 403, description: 'invalid api_key' }]);
    expect(fakes.callsTo('intake.submitTicket')).toHaveLength(0);
  });

  it('answers 400 naming a single-valued parameter given twice (lat placed by the first value before), submitting nothing', async () => {
    const res = await post('/open311/v2/requests.json', { ...submission, lat: ['28.26', '27.89'], long: '103.57' });
    expect([res.status, await res.json()]).toEqual([400, [{ code: 400, description: 'lat is given 2 times; give it once' }]]);
    expect(fakes.callsTo('intake.submitTicket')).toHaveLength(0);
    // The api_key too (the first one was verified, the second never looked at), and jurisdiction_id.
    const keys = await post('/open311/v2/requests.json', { ...submission, api_key: [FAKE_API_KEY, 'tb311_other'], jurisdiction_id: ['lsz.gov.cn', 'sfgov.org'] });
    expect([keys.status, await keys.json()]).toEqual([400, [
      { code: 400, description: 'api_key is given 2 times; give it once' },
      { code: 400, description: 'jurisdiction_id is given 2 times; give it once' },
    ]]);
    expect(fakes.callsTo('intake.submitTicket')).toHaveLength(0);
  });

  it('answers 404 for another jurisdiction and 400 for a body that is not form-urlencoded', async () => {
    expect((await post('/open311/v2/requests.json', { ...submission, jurisdiction_id: 'sfgov.org' })).status).toBe(404);
    const json = await fetch(`${base}/open311/v2/requests.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(submission) });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual([{ code: 415, description: 'POST bodies must be application/x-www-form-urlencoded' }]);
  });

  it('maps failures of the services to 400/404 documents, never a 5xx', async () => {
    const cases: [status, number, unknown][] = [
      [status.INVALID_ARGUMENT, 400, [{ code: 400, description: 'unknown division 5134371' }]],
      [status.NOT_FOUND, 404, [{ code: 404, description: 'unknown division 5134371' }]],
      [status.UNAVAILABLE, 400, [{ code: 503, description: 'the service is temporarily unavailable; retry later' }]],
      [status.DEADLINE_EXCEEDED, 400, [{ code: 504, description: 'the service did not answer in time; retry later' }]],
      [status.INTERNAL, 400, [{ code: 400, description: 'general service error; if it persists, tell the operators' }]],
    ];
    for (const [code, httpStatus, body] of cases) {
      fakes.behaviour = (method) => (method === 'intake.submitTicket' ? { failure: { code, details: 'unknown division 5134371', reason: 'unknown_division' } } : undefined);
      const res = await post('/open311/v2/requests.json', submission);
      expect([res.status, await res.json()]).toEqual([httpStatus, body]);
    }
  });

  it('forwards an Idempotency-Key and says when an answer replays an earlier submission', async () => {
    fakes.behaviour = (method) => (method === 'intake.submitTicket' ? { response: { ticketId: 'ticket-1', reference: 'LS-2026-000001', revision: 0, replayed: true, status: '' } } : undefined);
    const res = await post('/open311/v2/requests.json', submission, { 'idempotency-key': 'k-1' });
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(fakes.callsTo('intake.submitTicket')[0]?.request).toMatchObject({ idempotencyKey: 'k-1' });
  });
});

describe('GET requests', () => {
  const views = [{ id: TICKET, status: 'resolved', service_code: 'sanitation', division: '513437100', description: 'd', submittedAt: '2026-03-01T00:00:00Z', updatedAt: '2026-03-02T00:00:00Z' }];

  it('passes the filters to the query service and reads as the public Open311 client', async () => {
    fakes.behaviour = (method) => (method === 'query.listTickets' ? { response: { ticketsJson: JSON.stringify(views) } } : undefined);
    const res = await fetch(`${base}/open311/v2/requests.json?service_code=sanitation,water-supply&status=closed&start_date=2026-03-01T00:00:00%2B08:00&end_date=2026-03-05T00:00:00.5Z&page=2&page_size=10`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([expect.objectContaining({ service_request_id: TICKET, status: 'closed', address_id: '513437100' })]);
    expect(fakes.callsTo('query.listTickets')[0]?.request).toMatchObject({
      serviceCodes: ['sanitation', 'water-supply'], statuses: ['resolved', 'closed', 'rejected', 'duplicate', 'withdrawn'],
      submittedFrom: '2026-02-28T16:00:00.000Z', submittedTo: '2026-03-05T00:00:00.500Z', offset: 10, limit: 10, ticketIds: [],
    });
    await expect(tokenOf('query.listTickets')).resolves.toEqual({ kind: 'open311', id: 'public' });
  });

  it('lets service_request_id override every other filter and pages through the query service', async () => {
    await fetch(`${base}/open311/v2/requests.xml?service_request_id=${TICKET},x&status=open&start_date=nonsense`);
    expect(fakes.callsTo('query.listTickets')[0]?.request).toMatchObject({ ticketIds: [TICKET, 'x'], statuses: [], submittedFrom: '', serviceCodes: [] });
    fakes.calls.length = 0;
    fakes.behaviour = (method, request) => (method === 'query.listTickets'
      ? { response: { ticketsJson: JSON.stringify(Array.from({ length: (request as { limit: number }).limit }, () => views[0])) } } : undefined);
    const all = await (await fetch(`${base}/open311/v2/requests.json`)).json() as unknown[];
    expect(all).toHaveLength(1000);
    expect(fakes.callsTo('query.listTickets').map((c) => (c.request as { offset: number; limit: number })).map((r) => [r.offset, r.limit])).toEqual([[0, 500], [500, 500]]);
  });

  it('reports every bad parameter at once, and 404 for an unknown service_code', async () => {
    const bad = await fetch(`${base}/open311/v2/requests.json?status=pending&start_date=2026-03-01&end_date=2026-01-01T00:00:00&page_size=5000`);
    expect(bad.status).toBe(400);
    expect((await bad.json() as unknown[]).length).toBe(4);
    const unknown = await fetch(`${base}/open311/v2/requests.xml?service_code=potholes`);
    expect(unknown.status).toBe(404);
    const wide = await fetch(`${base}/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z`);
    expect(await wide.json()).toEqual([{ code: 400, description: 'start_date to end_date may not span more than 90 days' }]);
  });

  it('answers 404 for an unknown request or token', async () => {
    fakes.behaviour = (method) => (method === 'query.getTicket' ? { failure: { code: status.NOT_FOUND, details: 'no ticket', reason: 'ticket_not_found' } } : undefined);
    const res = await fetch(`${base}/open311/v2/requests/${TICKET}.json`);
    expect([res.status, await res.json()]).toEqual([404, [{ code: 404, description: `service_request_id ${TICKET} was not found` }]]);
    const token = await fetch(`${base}/open311/v2/tokens/abc.xml`);
    expect(token.status).toBe(404);
    expect(fakes.callsTo('query.listTickets')).toHaveLength(0);
    fakes.behaviour = (method) => (method === 'query.listTickets' ? { response: { ticketsJson: '[]' } } : undefined);
    expect((await fetch(`${base}/open311/v2/tokens/LS-2026-000009.json`)).status).toBe(404);
    expect(fakes.callsTo('query.listTickets')[0]?.request).toMatchObject({ references: ['LS-2026-000009'] });
  });
});

describe('servicerequestupdates', () => {
  it('asks the query service for the range, oldest first', async () => {
    const res = await fetch(`${base}/open311/v2/servicerequestupdates.xml?start_date=2026-03-01T00:00:00Z&end_date=2026-03-02T00:00:00Z&service_request_id=${TICKET}`);
    expect(res.status).toBe(200);
    expect(xml.parse(await res.text())).toEqual({ '?xml': '', service_request_updates: '' });
    expect(fakes.callsTo('query.listTicketUpdates')[0]?.request).toEqual({
      from: '2026-03-01T00:00:00.000Z', to: '2026-03-02T00:00:00.999Z', ticketIds: [TICKET], limit: 1000,
    });
  });

  const withStatus = (ticketStatus: string) => (method: string) => (method === 'query.getTicket'
    ? { response: { viewJson: JSON.stringify({ id: TICKET, status: ticketStatus }) } } : undefined);

  it.each([
    ['resolved', 'CLOSED', { $case: 'close', value: { reason: '修好了' } }],
    ['resolved', 'FIXED', { $case: 'close', value: { reason: '修好了' } }],
    ['resolved', 'OPEN', { $case: 'reopen', value: { reason: '修好了' } }],
    ['resolved', 'REOPEN', { $case: 'reopen', value: { reason: '修好了' } }],
    ['in_progress', 'OPEN', { $case: 'addInformation', value: { text: '修好了' } }],
    ['awaiting_information', 'CLOSED', { $case: 'addInformation', value: { text: '修好了' } }],
  ])('on a %s request, status %s runs %j as the submitting client', async (ticketStatus, updateStatus, command) => {
    fakes.behaviour = withStatus(ticketStatus);
    const res = await post('/open311/v2/servicerequestupdates.json', {
      api_key: FAKE_API_KEY, service_request_id: TICKET, description: '修好了', status: updateStatus, updated_datetime: '2026-03-01T08:00:00+08:00', update_id: 'fms-1',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ update_id: `${TICKET}-5` }]);
    expect(fakes.callsTo('intake.executeReporterCommand')[0]?.request).toMatchObject({ ticketId: TICKET, clientUpdateId: 'fms-1', command });
    await expect(tokenOf('intake.executeReporterCommand')).resolves.toEqual({ kind: 'open311', id: FAKE_API_CLIENT });
  });

  it('answers an update_id used for another update 400 naming the update_id, not the REST API\'s Idempotency-Key header the client never sent', async () => {
    fakes.behaviour = (method) => (method === 'query.getTicket' ? withStatus('in_progress')(method)
      : method === 'intake.executeReporterCommand'
        ? { failure: { code: status.ALREADY_EXISTS, details: 'this client update id (Idempotency-Key) was used for another request on the ticket', reason: 'idempotency_key_reused' } }
        : undefined);
    const res = await post('/open311/v2/servicerequestupdates.json', { api_key: FAKE_API_KEY, service_request_id: TICKET, description: '另一段话', update_id: 'client-upd-1' });
    expect([res.status, await res.json()]).toEqual([400, [{
      code: 400, description: 'update_id "client-upd-1" was used for another update of this request (another description); post a new update with a new update_id',
    }]]);
    const xmlRes = await post('/open311/v2/servicerequestupdates.xml', { api_key: FAKE_API_KEY, service_request_id: TICKET, description: '另一段话', update_id: 'client-upd-1' });
    expect(xmlRes.status).toBe(400);
    expect(xml.parse(await xmlRes.text())).toMatchObject({ errors: { error: { code: '400', description: expect.stringMatching(/^update_id "client-upd-1" was used/) } } });
  });

  it('refuses updates without key (403), for unknown requests (404), from another client (403) and malformed ones (400)', async () => {
    expect((await post('/open311/v2/servicerequestupdates.xml', { service_request_id: TICKET, description: 'x' })).status).toBe(403);
    fakes.behaviour = (method) => (method === 'query.getTicket' ? { failure: { code: status.NOT_FOUND, details: 'no ticket' } } : undefined);
    expect((await post('/open311/v2/servicerequestupdates.xml', { api_key: FAKE_API_KEY, service_request_id: TICKET, description: 'x' })).status).toBe(404);
    fakes.behaviour = (method) => (method === 'query.getTicket' ? withStatus('in_progress')(method)
      : method === 'intake.executeReporterCommand' ? { failure: { code: status.PERMISSION_DENIED, details: 'only the reporter may do this', reason: 'not_reporter' } } : undefined);
    const other = await post('/open311/v2/servicerequestupdates.json', { api_key: FAKE_API_KEY, service_request_id: TICKET, description: 'x' });
    expect([other.status, await other.json()]).toEqual([403, [{ code: 403, description: 'only the reporter may do this' }]]);
    const bad = await post('/open311/v2/servicerequestupdates.json', { api_key: FAKE_API_KEY, status: 'MAYBE', updated_datetime: 'now' });
    expect(await bad.json()).toEqual([
      { code: 400, description: 'service_request_id is required' },
      { code: 400, description: 'description is required' },
      { code: 400, description: expect.stringMatching(/^status must be one of OPEN, CLOSED/) },
      { code: 400, description: 'updated_datetime must be a W3C datetime with a time zone' },
    ]);
  });
});

describe('Idempotency-Key in two header lines', () => {
  it('answers POST requests 400 in the format of the path, submitting nothing (Node joined them into one key "k-1, k-2")', async () => {
    const text = form(submission);
    const res = await rawPost(`${base}/open311/v2/requests.xml`, { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': ['k-1', 'k-2'] }, text);
    expect([res.status, res.type]).toEqual([400, 'text/xml; charset=utf-8']);
    expect(xml.parse(res.body)).toEqual({ '?xml': '', errors: { error: { code: '400', description: 'the Idempotency-Key header is given 2 times; give it once' } } });
    expect(fakes.callsTo('intake.submitTicket')).toHaveLength(0);
  });
});

describe('servicerequestupdates: a parameter given twice', () => {
  it('POST answers 400 naming each single-valued parameter given twice (the first was taken: another request, another text, another update_id), writing nothing', async () => {
    fakes.behaviour = (method) => (method === 'query.getTicket' ? { response: { viewJson: JSON.stringify({ id: TICKET, status: 'in_progress' }) } } : undefined);
    const res = await post('/open311/v2/servicerequestupdates.json', {
      api_key: FAKE_API_KEY, service_request_id: [TICKET, '01900000-0000-7000-8000-0000000000bb'], description: ['修好了', '没修好'], update_id: ['fms-1', 'fms-2'],
      status: 'OPEN', media_url: 'https://example.org/a.jpg', device_id: ['d-1', 'd-2'],
    });
    expect([res.status, await res.json()]).toEqual([400, [
      { code: 400, description: 'service_request_id is given 2 times; give it once' },
      { code: 400, description: 'description is given 2 times; give it once' },
      { code: 400, description: 'update_id is given 2 times; give it once' },
      { code: 400, description: 'device_id is given 2 times; give it once' },
    ]]);
    // An empty repeat counts as absent (GeoReport v2: an empty parameter is an absent one).
    expect((await post('/open311/v2/servicerequestupdates.json', { api_key: FAKE_API_KEY, service_request_id: TICKET, description: ['修好了', ''] })).status).toBe(200);
    // The device in both spellings (GeoReport's device_id, FixMyStreet's deviceid) with different values: refused too.
    const devices = await post('/open311/v2/servicerequestupdates.json', { api_key: FAKE_API_KEY, service_request_id: TICKET, description: '修好了', device_id: 'd-1', deviceid: 'd-2' });
    expect([devices.status, await devices.json()]).toEqual([400, [{ code: 400, description: 'device_id and deviceid are both given, with different values; give one' }]]);
    expect(fakes.callsTo('intake.executeReporterCommand')).toHaveLength(1);
  });

  it('GET answers 400 naming a date given twice, asking nothing', async () => {
    const res = await fetch(`${base}/open311/v2/servicerequestupdates.json?start_date=2026-03-01T00:00:00Z&start_date=2026-01-01T00:00:00Z&end_date=2026-03-02T00:00:00Z`);
    expect([res.status, await res.json()]).toEqual([400, [{ code: 400, description: 'start_date is given 2 times; give it once' }]]);
    const requests = await fetch(`${base}/open311/v2/requests.json?end_date=2026-03-01T00:00:00Z&end_date=2026-03-02T00:00:00Z&page_size=1&page_size=2`);
    expect([requests.status, await requests.json()]).toEqual([400, [
      { code: 400, description: 'page_size is given 2 times; give it once' },
      { code: 400, description: 'end_date is given 2 times; give it once' },
    ]]);
    expect(fakes.callsTo('query.listTicketUpdates')).toHaveLength(0);
    expect(fakes.callsTo('query.listTickets')).toHaveLength(0);
  });
});

describe('the Open311 edge', () => {
  it('answers unknown paths and methods under /open311 with a 404 document in the format of the path', async () => {
    const json = await fetch(`${base}/open311/v2/nothing.json`);
    expect([json.status, await json.json()]).toEqual([404, [{ code: 404, description: 'no Open311 resource GET /open311/v2/nothing.json' }]]);
    const put = await fetch(`${base}/open311/v2/requests.xml`, { method: 'PUT' });
    expect(put.status).toBe(404);
    expect(put.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect((await fetch(`${base}/open311/v2/services/dangerous-structure.yaml`)).status).toBe(404);
  });

  it('answers a malformed URL with a 400 document (problem+json outside /open311)', async () => {
    const res = await fetch(`${base}/open311/v2/services/%E5.json`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual([{ code: 400, description: expect.stringMatching(/^the request is malformed/) }]);
    const api = await fetch(`${base}/api/v1/tickets/%E5`);
    expect(api.status).toBe(400);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers a body over 1 MiB with a 400 document', async () => {
    const res = await post('/open311/v2/requests.json', { ...submission, description: 'x'.repeat(1024 * 1024) });
    expect([res.status, await res.json()]).toEqual([400, [{ code: 413, description: 'the request body is larger than 1 MiB' }]]);
  });

  it('speaks English when Accept-Language prefers it', async () => {
    const res = await fetch(`${base}/open311/v2/services.json`, { headers: { 'accept-language': 'en-GB,en;q=0.9,zh;q=0.5' } });
    expect(res.headers.get('content-language')).toBe('en');
    expect(res.headers.get('vary')).toMatch(/Accept-Language/);
    expect((await res.json() as { service_name: string }[])[0]?.service_name).toBe('Dangerous building or wall');
  });

  it('keeps the rest of the gateway on problem+json', async () => {
    const res = await fetch(`${base}/api/v1/nothing`);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
