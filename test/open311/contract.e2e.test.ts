/**
 * Open311 GeoReport v2 contract, written from the specification (support/georeport.ts): every
 * endpoint in XML and JSON against the whole platform (real processes, PostgreSQL, NATS). Checks
 * types, required fields, date formats, error documents and status codes (404 unknown resource, 403
 * api_key, 400 otherwise), the XML/JSON equivalence (Spark convention), Unicode round trips, the 4000
 * character limit, the retry window and API key revocation.
 */
import { createTestDatabase, type TestDatabase, waitFor } from '@tongban/testing';
import pg from 'pg';
import { runApiKeyCommand } from '../../services/intake/src/apikey-cli';
import { type TestStack, startTestStack } from '../support/test-stack';
import { type Form, call, getBoth } from './support/client';
import { W3C_DATETIME, definitionProblems, errorProblems, requestProblems, serviceProblems, updateProblems } from './support/georeport';

let db: TestDatabase;
let pool: pg.Pool;
let stack: TestStack;
let base: string;
let apiKey: string;

beforeAll(async () => {
  // The stack runs on a database of this file's, so that API keys can be issued with the admin tool.
  db = await createTestDatabase();
  stack = await startTestStack({ DATABASE_URL: db.url, TONGBAN_OPEN311_RETRY_WINDOW_SECONDS: '600' });
  base = stack.url;
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  apiKey = await runApiKeyCommand(pool, ['create', '--name', 'contract-app'], () => undefined);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await stack?.stop();
  await db?.drop();
});

const FORMATS = ['xml', 'json'] as const;

/** A valid request of `dangerous-structure` located by a village code. */
const report = (extra: Form = {}): Form => ({
  api_key: apiKey, service_code: 'dangerous-structure', address_id: '513437100001', 'attribute[at_risk]': 'no',
  description: '西街30号围墙出现裂缝', ...extra,
});

/** POSTs a request in a format and returns its service_request_id (asserting the spec's response). */
async function submit(form: Form, format: 'xml' | 'json' = 'json'): Promise<string> {
  const res = await call(base, 'POST', `requests.${format}`, { form });
  expect(res.status).toBe(200);
  const [request] = format === 'json' ? res.json : (res.xml!.body as { request: Record<string, string>[] }).request;
  expect(typeof request.service_request_id).toBe('string');
  expect(request.service_request_id).not.toBe('');
  expect(request.token).toBeUndefined();
  // Routing and the read model are asynchronous: wait until the list (served from the read model, the
  // laggiest view) names the agency, so that reads in both formats that follow see the same state.
  await waitFor(async () => {
    const read = await call(base, 'GET', `requests.json?service_request_id=${request.service_request_id}`);
    return read.status === 200 && (read.json as { agency_responsible?: string }[])[0]?.agency_responsible ? true : undefined;
  }, { timeoutMs: 15_000, intervalMs: 50 });
  return request.service_request_id;
}

/** The errors of an error answer, checked against the spec in both formats. */
function errorsOf(res: Awaited<ReturnType<typeof call>>): { code: string; description: string }[] {
  if (res.json !== undefined) {
    expect(errorProblems(res.json)).toEqual([]);
    return (res.json as { code: unknown; description: string }[]).map((e) => ({ code: String(e.code), description: e.description }));
  }
  expect(res.xml!.root).toBe('errors');
  const errors = (res.xml!.body as { error: { code: string; description: string }[] }).error;
  expect(errors.length).toBeGreaterThan(0);
  return errors;
}

describe('Service Discovery', () => {
  it('lists the GeoReport v2 endpoint with its formats, in XML and JSON, and names the jurisdiction', async () => {
    const { json, xml } = await getBoth(base, 'discovery');
    expect(json.status).toBe(200);
    expect(xml.xml!.root).toBe('discovery');
    const d = json.json;
    for (const f of ['changeset', 'contact', 'key_service']) expect(typeof d[f]).toBe('string');
    expect(d.endpoints).toEqual([expect.objectContaining({
      specification: 'http://wiki.open311.org/GeoReport_v2', url: expect.stringMatching(/\/open311\/v2$/), changeset: expect.any(String),
      type: expect.stringMatching(/^(production|test)$/), formats: expect.arrayContaining(['text/xml', 'application/json']),
    })]);
    expect(json.text).toContain('lsz.gov.cn');
  });
});

describe('GET Service List', () => {
  it('lists every service with the spec fields, in zh-Hans by default and English on request', async () => {
    const { json } = await getBoth(base, 'services');
    expect(json.status).toBe(200);
    expect(Array.isArray(json.json)).toBe(true);
    for (const s of json.json) expect(serviceProblems(s)).toEqual([]);
    const wall = json.json.find((s: any) => s.service_code === 'dangerous-structure');
    expect(wall).toMatchObject({ service_name: '危房危墙', metadata: true, type: 'realtime', group: 'safety' });
    const { json: en } = await getBoth(base, 'services', { 'accept-language': 'en-US,en;q=0.9' });
    expect(en.json.find((s: any) => s.service_code === 'dangerous-structure').service_name).toBe('Dangerous building or wall');
    expect(en.headers.get('content-language')).toBe('en');
  });

  it('answers 404 for another jurisdiction_id and serves its own', async () => {
    for (const f of FORMATS) {
      const other = await call(base, 'GET', `services.${f}?jurisdiction_id=sfgov.org`);
      expect(other.status).toBe(404);
      expect(errorsOf(other)[0]?.code).toBe('404');
      expect((await call(base, 'GET', `services.${f}?jurisdiction_id=lsz.gov.cn`)).status).toBe(200);
    }
  });
});

describe('GET Service Definition', () => {
  it('defines dangerous-structure with a required yes/no singlevaluelist and the division attribute', async () => {
    const { json } = await getBoth(base, 'services/dangerous-structure');
    expect(definitionProblems(json.json)).toEqual([]);
    expect(json.json.service_code).toBe('dangerous-structure');
    const atRisk = json.json.attributes.find((a: any) => a.datatype === 'singlevaluelist' && a.required === true);
    expect(atRisk.values.map((v: any) => v.key).sort()).toEqual(['no', 'yes']);
    expect(json.json.attributes.map((a: any) => a.code)).toContain('division');
  });

  it('defines every listed service', async () => {
    const services = (await call(base, 'GET', 'services.json')).json as { service_code: string; metadata: boolean }[];
    for (const s of services.filter((x) => x.metadata)) {
      const def = await call(base, 'GET', `services/${encodeURIComponent(s.service_code)}.json`);
      expect([s.service_code, definitionProblems(def.json)]).toEqual([s.service_code, []]);
    }
  });

  it('answers 404 for an unknown service_code in both formats', async () => {
    for (const f of FORMATS) {
      const res = await call(base, 'GET', `services/potholes.${f}`);
      expect(res.status).toBe(404);
      expect(errorsOf(res)[0]).toMatchObject({ code: '404', description: expect.stringContaining('potholes') });
    }
  });
});

describe('POST Service Request', () => {
  it('creates requests in both formats and returns service_request_id, service_notice and account_id', async () => {
    const json = await call(base, 'POST', 'requests.json', { form: report({ account_id: 'acc-1', lat: '28.262', long: '103.571' }) });
    expect(json.status).toBe(200);
    expect(json.json).toEqual([{ service_request_id: expect.any(String), service_notice: expect.any(String), account_id: 'acc-1' }]);
    const xml = await call(base, 'POST', 'requests.xml', { form: report({ description: 'XML 格式' }) });
    expect(xml.xml!.root).toBe('service_requests');
    expect((xml.xml!.body as any).request).toEqual([{ service_request_id: expect.any(String), service_notice: expect.any(String), account_id: '' }]);
  });

  it('answers 403 for a missing or wrong api_key, in both formats', async () => {
    for (const f of FORMATS) {
      for (const key of [undefined, 'tb311_0000000000000000_' + '0'.repeat(64), 'not-a-key']) {
        const res = await call(base, 'POST', `requests.${f}`, { form: report({ api_key: key }) });
        expect(res.status).toBe(403);
        expect(errorsOf(res)[0]?.code).toBe('403');
      }
    }
  });

  it('answers 404 for an unknown service_code and 400 with every problem for invalid requests', async () => {
    expect((await call(base, 'POST', 'requests.json', { form: report({ service_code: 'potholes' }) })).status).toBe(404);
    for (const f of FORMATS) {
      const res = await call(base, 'POST', `requests.${f}`, { form: { api_key: apiKey, lat: '95', long: '200', description: '<p>html</p>' } });
      expect(res.status).toBe(400);
      const errors = errorsOf(res);
      expect(errors.length).toBeGreaterThanOrEqual(4);
      const text = errors.map((e) => e.description).join('\n');
      for (const word of ['service_code', 'lat', 'long', 'description']) expect(text).toContain(word);
    }
    const cases: [Form, string][] = [
      [report({ address_id: undefined }), 'location'],
      [report({ 'attribute[at_risk]': undefined }), 'attribute[at_risk]'],
      [report({ address_id: undefined, lat: '30.5723', long: '104.0665' }), 'lat/long 30.5723, 104.0665'],
      [report({ address_id: '12345' }), 'address_id'],
      [report({ 'attribute[at_risk]': 'perhaps' }), 'attribute[at_risk]'],
    ];
    for (const [form, word] of cases) {
      const res = await call(base, 'POST', 'requests.json', { form });
      expect([res.status, errorsOf(res).map((e) => e.description).join('\n')]).toEqual([400, expect.stringContaining(word)]);
    }
  });

  it('accepts the division as an attribute with lat/long, and multivaluelist attributes as attribute[code][]', async () => {
    const id = await submit({
      api_key: apiKey, service_code: 'sanitation', lat: '28.26', long: '103.57', 'attribute[division]': '513437100',
      'attribute[waste_kind][]': ['household', 'sewage'], description: '垃圾和污水',
    });
    const { json } = await getBoth(base, `requests/${id}`);
    expect(json.json[0]).toMatchObject({ service_request_id: id, lat: 28.26, long: 103.57, address_id: '513437100' });
  });

  it('accepts lat/long alone (WGS-84 by default, or GCJ-02) and routes it to the county, or to the township named in address_string', async () => {
    const county = await submit({ api_key: apiKey, service_code: 'sanitation', lat: '28.2663', long: '103.5698', description: '只有经纬度' });
    const township = await submit({
      api_key: apiKey, service_code: 'sanitation', lat: '28.2631', long: '103.5716', coordinate_system: 'GCJ-02', address_string: '锦城镇西街', description: '经纬度和地址',
    });
    const read = async (id: string) => ((await call(base, 'GET', `requests/${id}.json`)).json as Record<string, unknown>[])[0];
    expect(await read(county)).toMatchObject({ address_id: '513437', agency_responsible: expect.stringContaining('雷波县') });
    expect(await read(township)).toMatchObject({ address_id: '513437100', agency_responsible: expect.stringContaining('锦城镇') });
  });

  it('gives a retry of the same body from the same device the same service_request_id', async () => {
    const form = report({ device_id: `device-${Date.now()}`, description: '重试同一份报告' });
    const first = await submit(form);
    expect(await submit(form, 'xml')).toBe(first);
    expect(await submit({ ...form, deviceid: form['device_id'], device_id: undefined })).toBe(first);
    expect(await submit({ ...form, description: '另一份报告' })).not.toBe(first);
    expect(await submit({ ...form, device_id: `${String(form['device_id'])}-2` })).not.toBe(first);
  });

  it('refuses a revoked api_key', async () => {
    const key = await runApiKeyCommand(pool, ['create', '--name', 'short-lived'], () => undefined);
    expect((await call(base, 'POST', 'requests.json', { form: report({ api_key: key }) })).status).toBe(200);
    await runApiKeyCommand(pool, ['revoke', key]);
    expect((await call(base, 'POST', 'requests.json', { form: report({ api_key: key }) })).status).toBe(403);
  });
});

describe('GET Service Request(s)', () => {
  it('serves one request with the spec fields and datetimes with an offset, the same in XML and JSON', async () => {
    const id = await submit(report({ lat: '28.2601', long: '103.5712', address_string: '雷波县锦城镇西街30号', media_url: 'https://example.org/wall.jpg' }));
    const { json } = await getBoth(base, `requests/${id}`);
    expect(json.json).toHaveLength(1);
    const r = json.json[0];
    expect(requestProblems(r)).toEqual([]);
    expect(r).toMatchObject({
      service_request_id: id, status: 'open', service_code: 'dangerous-structure', service_name: '危房危墙', description: '西街30号围墙出现裂缝',
      address: '雷波县锦城镇西街30号', address_id: '513437100001', lat: 28.2601, long: 103.5712, media_url: 'https://example.org/wall.jpg',
      requested_datetime: expect.stringMatching(W3C_DATETIME), expected_datetime: expect.stringMatching(W3C_DATETIME),
    });
    expect(Date.parse(r.expected_datetime) - Date.parse(r.requested_datetime)).toBe(72 * 3_600_000);
  });

  it('answers 404 for an unknown service_request_id in both formats', async () => {
    for (const id of ['01900000-0000-7000-8000-00000000dead', 'nonsense']) {
      for (const f of FORMATS) {
        const res = await call(base, 'GET', `requests/${id}.${f}`);
        expect(res.status).toBe(404);
        expect(errorsOf(res)[0]?.code).toBe('404');
      }
    }
  });

  it('filters by service_request_id (which overrides the rest), service_code, status and dates', async () => {
    const a = await submit(report({ description: '过滤 A' }));
    const b = await submit({ api_key: apiKey, service_code: 'water-supply', address_id: '513431', description: '过滤 B' });
    const ids = (res: any) => (res.json as any[]).map((r) => r.service_request_id);
    // Lists come from the read model: wait until both are there.
    const listed = await waitFor(async () => {
      const res = await call(base, 'GET', 'requests.json?service_code=water-supply');
      return ids(res).includes(b) ? res : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    const byId = await waitFor(async () => {
      const res = await getBoth(base, `requests?service_request_id=${a},${b}&service_code=education&status=closed`);
      return ids(res.json).length === 2 ? res : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(ids(byId.json).sort()).toEqual([a, b].sort());
    for (const r of byId.json.json) expect(requestProblems(r)).toEqual([]);

    expect(ids(listed)).not.toContain(a);
    expect((listed.json as any[]).every((r) => r.service_code === 'water-supply')).toBe(true);

    const open = await getBoth(base, 'requests?status=open&service_code=dangerous-structure,water-supply');
    expect(ids(open.json)).toEqual(expect.arrayContaining([a, b]));
    expect((open.json.json as any[]).every((r) => r.status === 'open')).toBe(true);
    expect(ids((await call(base, 'GET', 'requests.json?status=closed')))).not.toContain(a);

    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const shanghai = (ms: number) => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
    const inRange = await call(base, 'GET', `requests.json?start_date=${encodeURIComponent(shanghai(now - 3_600_000))}&end_date=${encodeURIComponent(iso(now + 60_000))}`);
    expect(ids(inRange)).toEqual(expect.arrayContaining([a, b]));
    // Without milliseconds, and with an unencoded "+" (a space once decoded).
    const noMs = await call(base, 'GET', `requests.json?start_date=${shanghai(now - 3_600_000)}&end_date=${shanghai(now + 60_000)}`);
    expect(ids(noMs)).toEqual(expect.arrayContaining([a, b]));
    const before = await call(base, 'GET', `requests.json?start_date=${iso(now - 10 * 86_400_000)}&end_date=${iso(now - 9 * 86_400_000)}`);
    expect(ids(before)).toEqual([]);
    const paged = await call(base, 'GET', 'requests.json?page_size=1&page=2');
    expect(paged.json).toHaveLength(1);
  });

  it('refuses bad dates, statuses, ranges over 90 days and unknown service codes', async () => {
    for (const f of FORMATS) {
      for (const q of ['start_date=2026-03-01', 'end_date=yesterday', 'start_date=2026-03-01T00:00:00', 'status=pending',
        'start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z', 'start_date=2026-03-02T00:00:00Z&end_date=2026-03-01T00:00:00Z', 'page_size=1001']) {
        const res = await call(base, 'GET', `requests.${f}?${q}`);
        expect([q, res.status]).toEqual([q, 400]);
        expect(errorsOf(res)[0]?.code).toBe('400');
      }
      expect((await call(base, 'GET', `requests.${f}?service_code=potholes`)).status).toBe(404);
    }
  });
});

describe('GET service_request_id from a token', () => {
  it('answers 404 for an unknown token and resolves a request\'s reference', async () => {
    for (const f of FORMATS) expect((await call(base, 'GET', `tokens/LS-1999-999999.${f}`)).status).toBe(404);
    const id = await submit(report({ description: 'token' }));
    const admin = await stack.staffToken('auditor', '5134');
    const view = await stack.waitForTicket(id, admin, (v) => typeof v.reference === 'string');
    const { json } = await waitFor(async () => {
      const res = await getBoth(base, `tokens/${view.reference}`);
      return res.json.status === 200 ? res : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(json.json).toEqual([{ service_request_id: id, token: view.reference }]);
  });
});

describe('Service request updates (FixMyStreet extension)', () => {
  it('lists updates with the extension fields and accepts a reporter update from the submitting client', async () => {
    const id = await submit(report({ description: '等待更新', device_id: 'upd-device' }));
    const { json } = await waitFor(async () => {
      const res = await getBoth(base, `servicerequestupdates?service_request_id=${id}`);
      return (res.json.json as any[]).length > 0 ? res : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    for (const u of json.json) expect(updateProblems(u)).toEqual([]);
    expect(json.json[0]).toMatchObject({ service_request_id: id, status: 'OPEN' });

    for (const f of FORMATS) {
      const res = await call(base, 'POST', `servicerequestupdates.${f}`, { form: {
        api_key: apiKey, service_request_id: id, description: `补充：${f}`, status: 'OPEN', updated_datetime: '2026-03-01T08:00:00+08:00', update_id: `fms-${f}`,
      } });
      expect(res.status).toBe(200);
      const [update] = f === 'json' ? res.json : (res.xml!.body as any).request_update;
      expect(update.update_id).toEqual(expect.any(String));
    }
  });

  it('writes a repeated update (same client, request and update_id) once and answers the same update_id', async () => {
    const id = await submit(report({ description: '重复提交的更新', device_id: 'repeat-device' }));
    await waitFor(async () => {
      const res = await call(base, 'GET', `requests/${id}.json`);
      return res.status === 200 && res.json[0].status === 'open' ? res : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    const form = { api_key: apiKey, service_request_id: id, description: '补充：裂缝变宽', status: 'OPEN', update_id: 'fms-repeat-1' };
    const answers: string[] = [];
    for (const f of [...FORMATS, 'json']) {
      const res = await call(base, 'POST', `servicerequestupdates.${f}`, { form });
      expect(res.status).toBe(200);
      answers.push((f === 'json' ? res.json : (res.xml!.body as any).request_update)[0].update_id);
    }
    expect(new Set(answers).size).toBe(1);
    const another = await call(base, 'POST', 'servicerequestupdates.json', { form: { ...form, update_id: 'fms-repeat-2' } });
    expect(another.json[0].update_id).not.toBe(answers[0]);
    const { rows } = await pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM events WHERE stream = $1 AND type = 'InformationAdded'", [`ticket-${id}`],
    );
    expect(Number(rows[0]!.n)).toBe(2);
  });

  it('lists the information a client added — its words, the time, the status after it and the update_id its post answered — so that a client whose answer was lost finds it', async () => {
    const id = await submit(report({ description: '找回补充', device_id: 'lost-answer-device' }));
    const text = '补充：裂缝已有两指宽';
    const form = { api_key: apiKey, service_request_id: id, description: text, status: 'OPEN', update_id: 'fms-lost-1' };
    const posted = await call(base, 'POST', 'servicerequestupdates.json', { form });
    expect(posted.status).toBe(200);
    const updateId = posted.json[0].update_id as string;
    // The answer was lost: the same post again writes nothing and answers the same update_id, which the list holds.
    const again = await call(base, 'POST', 'servicerequestupdates.json', { form });
    expect(again.json[0].update_id).toBe(updateId);
    const { json } = await getBoth(base, `servicerequestupdates?service_request_id=${id}`);
    const listed = (json.json as Record<string, unknown>[]).filter((u) => u['update_id'] === updateId);
    expect(listed).toEqual([{ update_id: updateId, service_request_id: id, status: 'OPEN', updated_datetime: expect.stringMatching(W3C_DATETIME), description: text, media_url: null }]);
    expect(updateProblems(listed[0]!)).toEqual([]);
    expect((json.json as Record<string, unknown>[]).filter((u) => u['description'] === text)).toHaveLength(1);
  });

  it('lists the information added to a confidential request without its words (the confidential notice instead)', async () => {
    const device = await stack.device();
    const submitted = await stack.api('POST', '/api/v1/tickets', { token: device.token, body: {
      service_code: 'sanitation', division: '513437100001', title: '邻居堆放垃圾', description: '邻居长期堆放垃圾', visibility: 'confidential',
    } });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id as string;
    const secret = '就是隔壁王家，电话13800000000';
    expect((await stack.api('POST', `/api/v1/tickets/${id}/information`, { token: device.token, body: { text: secret } })).status).toBe(200);
    const { json } = await getBoth(base, `servicerequestupdates?service_request_id=${id}`);
    expect((json.json as Record<string, unknown>[]).map((u) => u['description'])).toContain('保密反映：内容与地址不公开');
    expect(json.text).not.toContain('王家');
  });

  it('answers 403 without a key or from another client, 404 for an unknown request, 400 for a bad update', async () => {
    const id = await submit(report({ description: '别的客户端' }));
    const other = await runApiKeyCommand(pool, ['create', '--name', 'other-app'], () => undefined);
    for (const f of FORMATS) {
      const post = (form: Form) => call(base, 'POST', `servicerequestupdates.${f}`, { form });
      expect((await post({ service_request_id: id, description: 'x' })).status).toBe(403);
      expect((await post({ api_key: other, service_request_id: id, description: 'x' })).status).toBe(403);
      expect((await post({ api_key: apiKey, service_request_id: '01900000-0000-7000-8000-00000000dead', description: 'x' })).status).toBe(404);
      const bad = await post({ api_key: apiKey, service_request_id: id, status: 'SOMETIMES', updated_datetime: 'now' });
      expect(bad.status).toBe(400);
      expect(errorsOf(bad).length).toBe(3);
    }
    const badDate = await call(base, 'GET', 'servicerequestupdates.json?start_date=last-week');
    expect(badDate.status).toBe(400);
  });
});

describe('Unicode and the description limit', () => {
  const texts = ['西街30号围墙成危墙', 'ꆈꌠ ꀊꇁꀨ ꉬꆹ', '危墙 😀🏚️ 👩‍👩‍👧', 'e\u0301 a\u0308 n\u0303 — 混合 ꆈꌠ\n第二行'];

  it('keeps Chinese, Yi, emoji and combining characters unchanged from submit to read, in both formats', async () => {
    for (const [i, text] of texts.entries()) {
      const id = await submit(report({ description: text, address_string: `地址 ${text}` }), i % 2 === 0 ? 'xml' : 'json');
      const { json, xml } = await getBoth(base, `requests/${id}`);
      expect(json.json[0].description).toBe(text);
      expect(json.json[0].address).toBe(`地址 ${text}`);
      expect((xml.xml!.body as any).request[0].description).toBe(text);
    }
  });

  it('accepts a 4000-character Chinese description and refuses 4001, in both formats', async () => {
    for (const f of FORMATS) {
      const id = await submit(report({ description: '危'.repeat(4000), device_id: `limit-${f}` }), f);
      const read = await call(base, 'GET', `requests/${id}.${f}`);
      const description = f === 'json' ? read.json[0].description : (read.xml!.body as any).request[0].description;
      expect([...description].length).toBe(4000);
      const res = await call(base, 'POST', `requests.${f}`, { form: report({ description: '危'.repeat(4001) }) });
      expect(res.status).toBe(400);
      expect(errorsOf(res)[0]?.description).toContain('4000');
    }
    // Counted as characters: 4000 emoji (8000 UTF-16 units) are accepted.
    const emoji = await submit(report({ description: '😀'.repeat(4000) }));
    const read = await call(base, 'GET', `requests/${emoji}.json`);
    expect(read.json[0].description).toBe('😀'.repeat(4000));
  });
});
