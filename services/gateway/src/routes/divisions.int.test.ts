import { SERVICE_NAMES, type ServiceName } from '@tongban/runtime';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import QRCode from 'qrcode';
import { buildGateway } from '../server';
import { publicOrigin } from './app-qr';

// The division routes answer from the gateway's reference data: no upstream is called (the addresses
// point nowhere on purpose).
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [s, '127.0.0.1:1'])) as Record<ServiceName, string>;
  app = buildGateway({ logger: pino({ level: 'silent' }), swaggerUi: false, config: { addresses, testClock: false } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(() => app.close());

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('GET /api/v1/divisions', () => {
  it('walks the cascade county → township → village without a token, cacheable', async () => {
    const top = await get('/api/v1/divisions');
    expect(top.status).toBe(200);
    expect(top.body.divisions.map((d: { code: string }) => d.code)).toEqual(['5134']);
    const counties = await get('/api/v1/divisions?parent=5134');
    expect(counties.body.divisions).toHaveLength(17);
    expect(counties.headers.get('cache-control')).toBe('public, max-age=86400');
    const townships = await get('/api/v1/divisions?parent=513437');
    expect(townships.body.divisions.find((d: { name: string }) => d.name === '锦城镇')).toMatchObject({ code: '513437100', initials: 'jcz', children: expect.any(Number) });
    const villages = await get('/api/v1/divisions?parent=513437100');
    expect(villages.body.divisions.length).toBeGreaterThan(0);
    expect(villages.body.divisions[0]).toMatchObject({ level: 'village', parent: '513437100', children: 0 });
  });

  it('searches by pinyin initials and name, within a subtree', async () => {
    const res = await get(`/api/v1/divisions?q=jcz&within=513437`);
    expect(res.status).toBe(200);
    expect(res.body.divisions[0]).toMatchObject({ name: '锦城镇', path: [{ code: '5134', name: '凉山彝族自治州' }, { code: '513437', name: '雷波县' }] });
    const byName = await get(`/api/v1/divisions?q=${encodeURIComponent('雷波')}&level=county`);
    expect(byName.body.divisions.map((d: { name: string }) => d.name)).toEqual(['雷波县']);
  });

  it('answers one division with its path, and 404 for an unknown one', async () => {
    const one = await get('/api/v1/divisions/513437100');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ code: '513437100', name: '锦城镇', level: 'township' });
    const unknown = await get('/api/v1/divisions/513499999');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ reason: 'unknown_division' });
  });

  it('refuses bad parameters with problem+json', async () => {
    expect((await get('/api/v1/divisions?parent=abc')).body.reason).toBe('validation_failed');
    expect((await get('/api/v1/divisions?parent=5134&q=x')).body.reason).toBe('conflicting_parameters');
    expect((await get('/api/v1/divisions?level=county')).body.reason).toBe('conflicting_parameters');
    expect((await get('/api/v1/divisions?q=x&limit=0')).body.reason).toBe('invalid_limit');
    expect((await get('/api/v1/divisions?parent=519999')).body.reason).toBe('unknown_division');
    expect((await get('/api/v1/divisions?q=x&foo=1')).status).toBe(400);
    const badToken = await get('/api/v1/divisions', { authorization: 'Bearer nope' });
    expect(badToken.status).toBe(401);
  });
});

describe('GET /app/qr.svg', () => {
  it('is a QR code of the app preset to the division, for posters', async () => {
    const res = await fetch(`${base}/app/qr.svg?division=513437100001`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    const svg = await res.text();
    const url = `${base}/app/?division=513437100001`;
    const expected = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    // The same modules as the QR code of that URL (the label is added for screen readers).
    expect(svg.replace(/ role="img" aria-label="[^"]*"/, '')).toBe(expected);
    expect(svg).toContain(`aria-label="雷波县 锦城镇 `);
    expect(svg).toContain(url.replace(/&/g, '&#38;'));
  });

  it('names the public address (TONGBAN_PUBLIC_URL, else the request\'s), and refuses unknown or missing divisions', async () => {
    const res = await fetch(`${base}/app/qr.svg?division=513437100`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(await res.text()).toContain(`https://${base.slice('http://'.length)}/app/?division=513437100`);
    expect(publicOrigin({ headers: {}, protocol: 'http', host: 'x' } as never, 'https://tongban.lsz.gov.cn/some/path')).toBe('https://tongban.lsz.gov.cn');
    expect((await fetch(`${base}/app/qr.svg?division=519999999`)).status).toBe(404);
    expect((await get('/app/qr.svg')).body.reason).toBe('validation_failed');
  });
});
