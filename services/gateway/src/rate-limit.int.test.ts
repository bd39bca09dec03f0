/**
 * Rate limits at the gateway with tiny limits against fake services: per citizen device, per staff
 * member, per IP without a token, per Open311 client application (and per IP for failed api_key
 * checks); 429 as problem+json on /api/v1 and as an Open311 errors document under /open311, both with
 * Retry-After.
 */
import { signToken, type Principal } from '@tongban/auth';
import { SERVICE_NAMES, type ServiceName } from '@tongban/runtime';
import { XMLParser } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { FAKE_API_KEY, FAKE_SIGNING_KEY, type FakeUpstreams, startFakeUpstreams } from './testing/fake-upstreams';
import { DEFAULT_RATE_LIMITS, loadRateLimits, trustProxyOf } from './rate-limit';
import { buildGateway } from './server';

const key = FAKE_SIGNING_KEY;
const TICKET = '01900000-0000-7000-8000-0000000000aa';
const citizen = (id: string): Principal => ({ kind: 'citizen', id });
const admin: Principal = { kind: 'staff', id: 'admin@adm-513437100', role: 'admin', unitId: 'adm-513437100', division: '513437100' };

let fakes: FakeUpstreams;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  fakes = await startFakeUpstreams();
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [s, fakes.address])) as Record<ServiceName, string>;
  app = buildGateway({
    logger: pino({ level: 'silent' }), swaggerUi: false,
    config: { addresses, testClock: false },
    rateLimits: { perDevice: 3, perStaff: 5, perApiKey: 2, perIp: 4, windowMs: 60_000 },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  await fakes.stop();
});

const get = async (path: string, token?: string) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const statuses = async (n: number, send: () => Promise<Response>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).status);
  return out;
};
const form = (fields: Record<string, string>) => fetch(`${base}/open311/v2/servicerequestupdates.xml`, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(),
});

it('reads the limits from the environment (0: none) and refuses nonsense', () => {
  expect(loadRateLimits({})).toEqual(DEFAULT_RATE_LIMITS);
  expect(loadRateLimits({ TONGBAN_RATE_LIMIT_PER_MINUTE: '10', TONGBAN_RATE_LIMIT_STAFF_PER_MINUTE: '0', TONGBAN_RATE_LIMIT_API_KEY_PER_MINUTE: '20', TONGBAN_RATE_LIMIT_IP_PER_MINUTE: '30' }))
    .toEqual({ perDevice: 10, perStaff: 0, perApiKey: 20, perIp: 30, windowMs: 60_000 });
  expect(() => loadRateLimits({ TONGBAN_RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/TONGBAN_RATE_LIMIT_PER_MINUTE/);
});

it('limits each citizen device on its own and answers 429 problem+json with Retry-After', async () => {
  const a = await signToken(citizen('device-a'), key, new Date());
  const b = await signToken(citizen('device-b'), key, new Date());
  expect(await statuses(3, () => get('/api/v1/inbox', a))).toEqual([200, 200, 200]);
  const res = await get('/api/v1/inbox', a);
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  expect(await res.json()).toMatchObject({ status: 429, reason: 'rate_limited', type: 'urn:tongban:problem:rate_limited', title: '请求过于频繁，请稍后再试', instance: '/api/v1/inbox' });
  // another device is not affected
  expect((await get('/api/v1/inbox', b)).status).toBe(200);
});

it('gives staff a higher limit', async () => {
  const token = await signToken(admin, key, new Date());
  expect(await statuses(6, () => get('/api/v1/inbox', token))).toEqual([200, 200, 200, 200, 200, 429]);
});

it('limits requests without a token per IP, but never the probes', async () => {
  expect(await statuses(5, () => get('/api/v1/services'))).toEqual([200, 200, 200, 200, 429]);
  // Open311 reads share the IP's bucket; under /open311 the 429 is an Open311 errors document
  const res = await fetch(`${base}/open311/v2/services.xml`);
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  const body = new XMLParser({ parseTagValue: false }).parse(await res.text());
  expect(body.errors.error).toEqual({ code: '429', description: expect.stringContaining('too many requests') });
  const json = await fetch(`${base}/open311/v2/discovery.json`);
  expect(json.status).toBe(429);
  expect(await json.json()).toEqual([{ code: 429, description: expect.stringContaining('too many requests') }]);
  expect(await statuses(3, () => get('/healthz'))).toEqual([200, 200, 200]);
});

it('limits Open311 POSTs per client application, and failed api_key checks per IP', async () => {
  // the IP's bucket is exhausted by the test before: a verified client is still served, up to its own limit
  const update = { api_key: FAKE_API_KEY, service_request_id: TICKET, description: '补充', update_id: 'u-1' };
  expect(await statuses(2, () => form(update))).toEqual([200, 200]);
  const limited = await form(update);
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(await limited.text()).toContain('<code>429</code>');
  // wrong keys: 403 until the IP has failed perIp times, then 429 before the key is even checked
  const bad = { ...update, api_key: 'tb311_0000000000000000_' + '00'.repeat(32) };
  expect(await statuses(5, () => form(bad))).toEqual([403, 403, 403, 403, 429]);
  const checks = fakes.callsTo('intake.verifyApiKey').length;
  expect((await form(bad)).status).toBe(429);
  expect(fakes.callsTo('intake.verifyApiKey').length).toBe(checks);
});

it('counts per client IP behind a trusted proxy (TONGBAN_TRUST_PROXY)', async () => {
  expect(trustProxyOf({})).toBe(false);
  expect(trustProxyOf({ TONGBAN_TRUST_PROXY: 'true' })).toBe(true);
  expect(trustProxyOf({ TONGBAN_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' })).toBe('10.0.0.0/8, 127.0.0.1');
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [s, fakes.address])) as Record<ServiceName, string>;
  const proxied = buildGateway({
    logger: pino({ level: 'silent' }), swaggerUi: false, trustProxy: '127.0.0.1',
    config: { addresses, testClock: false },
    rateLimits: { perIp: 1 },
  });
  try {
    await proxied.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(proxied.server.address() as { port: number }).port}/api/v1/services`;
    const from = (ip: string) => fetch(url, { headers: { 'x-forwarded-for': ip } });
    expect((await from('203.0.113.1')).status).toBe(200);
    expect((await from('203.0.113.1')).status).toBe(429);
    expect((await from('203.0.113.2')).status).toBe(200);
  } finally {
    await proxied.close();
  }
});
