import { createHash } from 'node:crypto';
import { fixture, jpegWithMetadata, pngWithMetadata } from '@tongban/attachments/testing';
import { type TestStack, startTestStack } from '../support/test-stack';

/** Photos through the real platform: multipart at submission and afterwards, stripping, hashes, access, limits. */

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(); }, 120_000);
afterAll(async () => { await stack?.stop(); });

const REPORT = { service_code: 'dangerous-structure', division: '513437100001', title: '西街30号围墙成危墙', description: '围墙出现裂缝' };
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function form(parts: { ticket?: unknown; media?: Uint8Array[]; fields?: Record<string, string> }): FormData {
  const f = new FormData();
  if (parts.ticket !== undefined) f.append('ticket', new Blob([JSON.stringify(parts.ticket)], { type: 'application/json' }), 'ticket.json');
  for (const [k, v] of Object.entries(parts.fields ?? {})) f.append(k, v);
  (parts.media ?? []).forEach((m, i) => f.append('media', new Blob([m]), `photo-${i}.jpg`));
  return f;
}

async function post(path: string, token: string, body: FormData, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body });
  return { status: res.status, headers: res.headers, body: await res.json() as any };
}

async function getFile(path: string, token?: string) {
  const res = await fetch(`${stack.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

it('submits a report with a photo in one multipart request, strips its metadata, and serves it to those who may read the ticket', async () => {
  const device = await stack.device();
  const tagged = jpegWithMetadata(fixture('wall.jpg'));
  const key = crypto.randomUUID();
  const res = await post('/api/v1/tickets', device.token, form({ ticket: REPORT, media: [tagged] }), { 'idempotency-key': key });
  expect(res.status).toBe(201);
  const stripped = sha(fixture('wall.jpg'));
  expect(res.body.attachments).toEqual([{ sha256: stripped, contentType: 'image/jpeg', size: fixture('wall.jpg').length, url: `/api/v1/attachments/${stripped}?ticket=${res.body.id}` }]);

  // The reporter gets the stripped bytes; immutable caching; no metadata left.
  const mine = await getFile(res.body.attachments[0].url, device.token);
  expect(mine.status).toBe(200);
  expect(mine.headers.get('content-type')).toBe('image/jpeg');
  expect(mine.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
  expect(sha(mine.bytes)).toBe(stripped);
  expect(Buffer.from(mine.bytes).toString('latin1')).not.toMatch(/Exif|TestCam|Zhang San/);
  // Not public: no token, another device → 404 (existence is not revealed).
  expect((await getFile(`/api/v1/attachments/${stripped}`)).status).toBe(404);
  expect((await getFile(`/api/v1/attachments/${stripped}?ticket=${res.body.id}`, (await stack.device()).token)).status).toBe(404);
  // The township that holds it (once routed) reads it through the read model, without the ticket hint.
  const admin = await stack.staffToken('admin', '513437100');
  await stack.waitForTicket(res.body.id, device.token, (v) => v.status === 'routed' && v.attachments?.length === 1);
  const staff = await getFile(`/api/v1/attachments/${stripped}`, admin);
  expect(staff.status).toBe(200);

  // The event records hash, type and size (the audit chain covers the file's identity).
  const auditor = await stack.staffToken('auditor', '5134');
  const history = await stack.api('GET', `/api/v1/tickets/${res.body.id}/history`, { token: auditor });
  expect(history.body.events.filter((e: { type: string }) => e.type === 'AttachmentAdded').map((e: { data: unknown }) => e.data))
    .toEqual([{ sha256: stripped, contentType: 'image/jpeg', size: fixture('wall.jpg').length }]);

  // A retry with the same Idempotency-Key: the same ticket, the photo not added twice.
  const again = await post('/api/v1/tickets', device.token, form({ ticket: REPORT, media: [tagged] }), { 'idempotency-key': key });
  expect(again.status).toBe(201);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body.id).toBe(res.body.id);
  const after = await stack.api('GET', `/api/v1/tickets/${res.body.id}/history`, { token: auditor });
  expect(after.body.events.filter((e: { type: string }) => e.type === 'AttachmentAdded')).toHaveLength(1);
}, 60_000);

it('adds photos later (keeping the location only when asked), once per file, at most six per ticket', async () => {
  const device = await stack.device();
  const created = await stack.api('POST', '/api/v1/tickets', { token: device.token, body: REPORT });
  const id = created.body.id as string;
  const png = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ media: [pngWithMetadata(fixture('wall.png'))] }));
  expect(png.status).toBe(201);
  expect(png.body.attachments[0]).toMatchObject({ sha256: sha(fixture('wall.png')), contentType: 'image/png' });
  const located = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ media: [jpegWithMetadata(fixture('wall.jpg'))], fields: { keep_location: 'true' } }));
  expect(located.status).toBe(201);
  const same = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ media: [fixture('wall.jpg')] }));
  expect(same.status).toBe(201);
  expect(same.body.revision).toBe(located.body.revision);

  const auditor = await stack.staffToken('auditor', '5134');
  const added = (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: auditor })).body.events
    .filter((e: { type: string }) => e.type === 'AttachmentAdded').map((e: { data: Record<string, unknown> }) => e.data);
  expect(added).toHaveLength(2);
  expect(added[0].lat).toBeUndefined();
  expect(added[1].lat).toBeCloseTo(27.925, 3);
  expect(added[1].long).toBeCloseTo(103.5, 3);

  // Fill up to six with distinct files, then the seventh is refused.
  const distinct = (n: number) => { const b = fixture('wall.png').slice(); return pngWithDistinctText(b, n); };
  const four = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ media: [distinct(1), distinct(2), distinct(3), distinct(4)] }));
  expect(four.status).toBe(201);
  const seventh = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ media: [distinct(5)] }));
  expect(seventh.status).toBe(409);
  expect(seventh.body.reason).toBe('too_many_attachments');
  // Someone else's device may not attach.
  const stranger = await post(`/api/v1/tickets/${id}/attachments`, (await stack.device()).token, form({ media: [distinct(6)] }));
  expect(stranger.status).toBe(403);
}, 60_000);

it('refuses files by content and size with problem+json, before anything is written', async () => {
  const device = await stack.device();
  const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00\x00\x00\x00;');
  const refusedSubmission = await post('/api/v1/tickets', device.token, form({ ticket: REPORT, media: [fixture('wall.jpg'), gif] }));
  expect(refusedSubmission.status).toBe(415);
  expect(refusedSubmission.body.reason).toBe('unsupported_media_type');
  expect((await stack.api('GET', '/api/v1/tickets', { token: device.token })).body.tickets).toEqual([]);

  const created = await stack.api('POST', '/api/v1/tickets', { token: device.token, body: REPORT });
  const id = created.body.id as string;
  const big = new Uint8Array(5 * 1024 * 1024 + 1);
  big.set(fixture('wall.jpg'));
  const tooBig = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ media: [big] }));
  expect(tooBig.status).toBe(413);
  expect(tooBig.body.reason).toBe('attachment_too_large');
  const truncated = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ media: [fixture('wall.jpg').subarray(0, 300)] }));
  expect(truncated).toMatchObject({ status: 400, body: { reason: 'malformed_image' } });
  const none = await post(`/api/v1/tickets/${id}/attachments`, device.token, form({ fields: { keep_location: 'true' } }));
  expect(none).toMatchObject({ status: 400, body: { reason: 'missing_media' } });
  const json = await stack.api('POST', `/api/v1/tickets/${id}/attachments`, { token: device.token, body: {} });
  expect(json).toMatchObject({ status: 415, body: { reason: 'unsupported_media_type' } });
  const noTicketPart = await post('/api/v1/tickets', device.token, form({ media: [fixture('wall.jpg')] }));
  expect(noTicketPart).toMatchObject({ status: 400, body: { reason: 'missing_ticket' } });
  const badReport = await post('/api/v1/tickets', device.token, form({ ticket: { ...REPORT, title: '' }, media: [fixture('wall.jpg')] }));
  expect(badReport).toMatchObject({ status: 400, body: { reason: 'validation_failed' } });
  expect((await getFile(`/api/v1/attachments/${'0'.repeat(64)}`, device.token)).status).toBe(404);
  expect((await getFile('/api/v1/attachments/not-a-hash', device.token)).status).toBe(400);
  const history = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: device.token });
  expect(history.body.events.filter((e: { type: string }) => e.type === 'AttachmentAdded')).toEqual([]);
}, 60_000);

/** A PNG that differs from the fixture by one private ancillary chunk (so its hash differs). */
function pngWithDistinctText(png: Uint8Array, n: number): Uint8Array {
  const ihdrEnd = 8 + 12 + 13;
  const data = new TextEncoder().encode(`n=${n}`);
  const type = new TextEncoder().encode('prVt');
  const chunk = new Uint8Array(12 + data.length);
  new DataView(chunk.buffer).setUint32(0, data.length);
  chunk.set(type, 4);
  chunk.set(data, 8);
  let crc = 0xffffffff;
  for (const byte of [...type, ...data]) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  new DataView(chunk.buffer).setUint32(8 + data.length, (crc ^ 0xffffffff) >>> 0);
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, ihdrEnd));
  out.set(chunk, ihdrEnd);
  out.set(png.subarray(ihdrEnd), ihdrEnd + chunk.length);
  return out;
}
