/**
 * Issue 16 items 14 and 15, on real processes (two notification replicas) and a real HTTP receiver:
 * - a slow receiver gets one POST per delivery across both replicas;
 * - a 10 s receiver outage loses nothing: deliveries are retried with backoff and arrive once it is
 *   back; their state is visible (`npm run webhooks -- status`) and nothing is dead-lettered.
 */
import { waitFor } from '@tongban/testing';
import { execFile } from 'node:child_process';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listDeadLettersCli } from '../support/deadletters-cli';
import { submission } from '../support/load';
import { type TestStack, startTestStack } from '../support/test-stack';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

let stack: TestStack;
let server: Server;
let citizen: string;
/** Delivery ids of every POST, in arrival order, with the status answered. */
const posts: { id: string; status: number; at: number }[] = [];
let answer = { status: 204, delayMs: 0 };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, delayMs } = answer;
      posts.push({ id: String(req.headers['webhook-id']), status, at: Date.now() });
      setTimeout(() => { res.statusCode = status; res.end(); }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  stack = await startTestStack({ TONGBAN_WEBHOOKS: JSON.stringify([{ id: 'county', url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]) });
  await stack.addReplica('notification');
  citizen = (await stack.device()).token;
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

const submitMany = async (label: string, n: number): Promise<void> => {
  for (let i = 0; i < n; i++) {
    const res = await stack.api('POST', '/api/v1/tickets', { token: citizen, headers: { 'idempotency-key': `${label}-${i}-${Date.now()}` }, body: submission(i) });
    expect(res.status).toBe(201);
  }
};
const delivered = () => new Set(posts.filter((p) => p.status === 204).map((p) => p.id));

it('two replicas and a slow receiver: one POST per delivery', async () => {
  answer = { status: 204, delayMs: 2000 };
  posts.length = 0;
  await submitMany('slow', 12);
  await waitFor(() => delivered().size >= 12, { timeoutMs: 60_000, intervalMs: 200, description: '12 deliveries' });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const ids = posts.map((p) => p.id);
  expect(ids).toHaveLength(delivered().size);
  expect(new Set(ids).size).toBe(ids.length);
}, 120_000);

it('a 10 s receiver outage loses no notice: retried with backoff, delivered once it is back, state visible', async () => {
  answer = { status: 503, delayMs: 0 };
  posts.length = 0;
  const outageStart = Date.now();
  await submitMany('outage', 3);
  await waitFor(() => new Set(posts.map((p) => p.id)).size >= 3, { timeoutMs: 20_000, intervalMs: 100, description: 'first attempts' });
  const pending = JSON.parse((await run('npx', ['tsx', 'services/notification/src/webhooks-cli.ts', 'list', '--state', 'pending'], { cwd: root, env: { ...process.env, ...stack.env } })).stdout.trim().split('\n')[0]!);
  expect(pending).toMatchObject({ subscriptionId: 'county', state: 'pending', lastError: expect.stringContaining('503') });
  // The same state through the API (auditors and admins only).
  const auditor = await stack.staffToken('auditor', '5134');
  const api = await stack.api('GET', '/api/v1/webhooks/deliveries?subscription=county&state=pending', { token: auditor });
  expect(api.status).toBe(200);
  expect(api.body.deliveries.length).toBeGreaterThanOrEqual(1);
  expect(api.body.deliveries[0]).toMatchObject({ subscriptionId: 'county', state: 'pending', lastError: expect.stringContaining('503') });
  expect(api.body.counts).toEqual(expect.arrayContaining([expect.objectContaining({ subscriptionId: 'county', state: 'pending' })]));
  expect((await stack.api('GET', '/api/v1/webhooks/deliveries', { token: citizen })).status).toBe(403);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - outageStart))));
  answer = { status: 204, delayMs: 0 };
  await waitFor(() => delivered().size >= 3, { timeoutMs: 60_000, intervalMs: 200, description: 'the 3 notices delivered after the outage' });
  const failedIds = new Set(posts.filter((p) => p.status === 503).map((p) => p.id));
  expect(failedIds.size).toBe(3);
  for (const id of failedIds) expect(posts.filter((p) => p.id === id && p.status === 204)).toHaveLength(1);
  // More than the old five attempts within ~4 s: retries went on through the 10 s outage.
  expect(Math.max(...posts.map((p) => p.at)) - outageStart).toBeGreaterThan(10_000);
  const status = (await run('npx', ['tsx', 'services/notification/src/webhooks-cli.ts', 'status'], { cwd: root, env: { ...process.env, ...stack.env } })).stdout
    .trim().split('\n').map((l) => JSON.parse(l) as { subscription: string; state: string; count: number });
  expect(status.filter((s) => s.state !== 'delivered')).toEqual([]);
  expect(await listDeadLettersCli(stack.env)).toEqual([]);
  expect(stack.unexpectedExits()).toEqual([]);
}, 120_000);
