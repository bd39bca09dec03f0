/**
 * Issue 6 through the gateway, every process real: an auditor verifies a ticket (others get 403), the
 * anchor role anchors it, SQL tampering is reported with its revision, the ticket is replayed to a
 * revision and to an instant, supervisors get their statistics (others 403), and the auditor CLI works
 * through the API (verify, history, a masked export, an unmasked export that is recorded).
 */
import { createTestDatabase, type TestDatabase, waitFor } from '@tongban/testing';
import pg from 'pg';
import { runCli } from '../../services/query/src/cli/main';
import { type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
let db: TestDatabase;
let pool: pg.Pool;
let auditor: string;
let id: string;
let acceptedAt: string;

beforeAll(async () => {
  db = await createTestDatabase();
  stack = await startTestStack({ DATABASE_URL: db.url, TONGBAN_ANCHOR_INTERVAL_MS: '300' });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  auditor = await stack.staffToken('auditor', '5134');
  const device = await stack.device();
  const submitted = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, body: { service_code: 'dangerous-structure', division: '513437100001', title: '西街30号围墙成危墙', description: '围墙出现裂缝' },
  });
  expect(submitted.status).toBe(201);
  id = submitted.body.id;
  await stack.waitForTicket(id, device.token, (v) => v.status === 'routed');
  const admin = await stack.staffToken('admin', '513437100');
  expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
  acceptedAt = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  expect((await stack.api('POST', `/api/v1/tickets/${id}/reply`, { token: admin, body: { message: '已收到，正在处理。', public: true } })).status).toBe(200);
  await stack.waitForTicket(id, auditor, (v) => v.revision >= 3);
}, 120_000);
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
  await db?.drop();
});

it('verifies for auditors only, and the anchor role anchors the ticket', async () => {
  const admin = await stack.staffToken('admin', '513437100');
  const denied = await stack.api('GET', `/api/v1/tickets/${id}/verify`, { token: admin });
  expect(denied.status).toBe(403);
  expect(denied.body.reason).toBe('auditor_only');
  const anchored = await waitFor(async () => {
    const res = await stack.api('GET', `/api/v1/tickets/${id}/verify`, { token: auditor });
    return res.status === 200 && res.body.anchor?.revision >= 3 ? res.body : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200, description: 'the ticket to be anchored' });
  expect(anchored).toMatchObject({ intact: true, stream: `ticket-${id}`, lastRevision: anchored.anchor.revision });
  expect(anchored.checkedEvents).toBe(anchored.lastRevision + 1);
});

it('replays to a revision and to an instant with the live decider', async () => {
  const atRouted = await stack.api('GET', `/api/v1/tickets/${id}/replay?revision=1`, { token: auditor });
  expect(atRouted.status).toBe(200);
  expect(atRouted.body).toMatchObject({ id, revision: 1, state: { status: 'routed', holderUnitId: 'adm-513437100' } });
  expect(atRouted.body.events.map((e: { type: string }) => e.type)).toEqual(['TicketSubmitted', 'TicketRouted']);
  const atAccept = await stack.api('GET', `/api/v1/tickets/${id}/replay?at=${encodeURIComponent(acceptedAt)}`, { token: auditor });
  expect(atAccept.body.state).toMatchObject({ status: 'in_progress', firstResponder: { unitId: 'adm-513437100' } });
  expect(atAccept.body.state.lastPublicReply).toBeUndefined();
  expect((await stack.api('GET', `/api/v1/tickets/${id}/replay?at=yesterday`, { token: auditor })).status).toBe(400);
  // A revision beyond the ticket's last is not found (it answered 200 with the latest state), on both routes.
  for (const route of ['history', 'replay']) {
    const beyond = await stack.api('GET', `/api/v1/tickets/${id}/${route}?revision=999`, { token: auditor });
    expect([beyond.status, beyond.headers.get('content-type'), beyond.body.reason]).toEqual([404, expect.stringContaining('application/problem+json'), 'revision_not_found']);
  }
  // Both bounds given: the events within both (documented in README and docs/audit.md).
  const both = async (revision: number) => (await stack.api('GET', `/api/v1/tickets/${id}/history?revision=${revision}&at=${encodeURIComponent(acceptedAt)}`, { token: auditor })).body;
  expect(await both(1)).toMatchObject({ revision: 1, state: { status: 'routed' } });
  expect(await both(3)).toMatchObject({ revision: 2, state: { status: 'in_progress' } });
});

it('serves statistics to supervisors (their subtree) and auditors, 403 to others', async () => {
  const supervisor = await stack.staffToken('supervisor', '513437');
  const stats = await stack.api('GET', '/api/v1/stats?groupBy=unit', { token: supervisor });
  expect(stats.status).toBe(200);
  expect(stats.body).toMatchObject({ division: '513437', groupBy: 'unit', total: { received: 1, openNow: 1, firstRepliesOnTime: { count: 1, of: 1, rate: 1 } } });
  expect(stats.body.groups).toEqual([expect.objectContaining({ key: 'adm-513437100', name: '锦城镇', received: 1 })]);
  expect((await stack.api('GET', '/api/v1/stats?division=513401', { token: supervisor })).status).toBe(403);
  expect((await stack.api('GET', '/api/v1/stats', { token: await stack.staffToken('admin', '513437100') })).status).toBe(403);
  expect((await stack.api('GET', '/api/v1/stats?groupBy=county&from=2020-01-01', { token: auditor })).body.groups[0]).toMatchObject({ key: '513437', received: 1 });
});

it('the auditor CLI works through the API: history, masked and recorded unmasked export', async () => {
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli([...args, '--api', stack.url, '--token', auditor], { out: { write: (s: string) => { out += s; } }, err: { write: (s: string) => { err += s; } }, env: {} });
    return { code, out, err };
  };
  const history = await run('history', id);
  expect(history.code).toBe(0);
  expect(history.out).toMatch(/#2  TicketAccepted\n    by staff · admin@adm-513437100/);
  const masked = await run('export', '--division', '513437');
  expect(masked.code).toBe(0);
  expect(masked.out.trim().split('\n').length).toBeGreaterThanOrEqual(4);
  const unmasked = await run('export', '--division', '513437', '--unmasked', '--reason', 'e2e check');
  expect(unmasked).toMatchObject({ code: 0 });
  expect(unmasked.err).toMatch(/UNMASKED \(recorded as disclosure [0-9a-f-]{36}\)/);
  const { rows } = await pool.query(`SELECT data, metadata FROM events WHERE stream = 'audit-disclosures'`);
  expect(rows).toEqual([expect.objectContaining({ data: expect.objectContaining({ division: '513437', reason: 'e2e check', via: 'api' }) })]);
  expect(rows[0].metadata.actor).toMatchObject({ kind: 'staff', role: 'auditor' });
});

it('reports SQL tampering with its revision, through the API and the CLI', async () => {
  await pool.query(`UPDATE events SET data = jsonb_set(data, '{message}', '"从未收到"') WHERE stream = $1 AND type = 'TicketReplied'`, [`ticket-${id}`]);
  const { rows } = await pool.query<{ revision: string }>(`SELECT revision FROM events WHERE stream = $1 AND type = 'TicketReplied'`, [`ticket-${id}`]);
  const res = await stack.api('GET', `/api/v1/tickets/${id}/verify`, { token: auditor });
  expect(res.body).toMatchObject({ intact: false, firstBadRevision: Number(rows[0]!.revision) });
  let out = '';
  const code = await runCli(['verify', '--division', '513437', '--api', stack.url, '--token', auditor], { out: { write: (s: string) => { out += s; } }, err: { write: () => undefined }, env: {} });
  expect(code).toBe(1);
  expect(out).toMatch(/BROKEN   ticket-.* first bad revision \d+/);
});
