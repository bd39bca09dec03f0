/**
 * Readiness tells the truth (issue 12 item 2), on a whole stack of real processes: the gateway's
 * /readyz turns 503 naming the relay within 10 s of the relay being killed, and 200 again once it is
 * restarted; a frozen consumer service (deadline, SIGSTOP) likewise; the 200 body lists every process.
 */
import { waitFor } from '@tongban/testing';
import { type TestStack, startTestStack, STACK_START_TIMEOUT_MS } from '../support/test-stack';

let stack: TestStack;

beforeAll(async () => { stack = await startTestStack(); }, STACK_START_TIMEOUT_MS + 10_000);
afterAll(async () => stack?.stop(), 30_000);

const readyz = () => stack.api('GET', '/readyz');

it('is ready with every process named', async () => {
  const res = await waitFor(async () => { const r = await readyz(); return r.status === 200 ? r : undefined; }, { timeoutMs: 15_000, intervalMs: 250 });
  expect(res.body.processes).toEqual({ identity: 'ready', intake: 'ready', routing: 'ready', casework: 'ready', deadline: 'ready', notification: 'ready', query: 'ready', relay: 'ready' });
}, 30_000);

it('kill the relay: 503 naming it within 10 s; restart: 200 again', async () => {
  await stack.kill('relay', 'SIGKILL');
  const t0 = Date.now();
  const down = await waitFor(async () => { const r = await readyz(); return r.status === 503 ? r : undefined; }, { timeoutMs: 10_000, intervalMs: 200, description: '/readyz 503 after the relay died' });
  const notReadyAfterMs = Date.now() - t0;
  expect(down.headers.get('content-type')).toContain('application/problem+json');
  expect(down.body).toMatchObject({ reason: 'not_ready', processes: { relay: expect.stringMatching(/^no heartbeat/) } });
  expect(down.body.detail).toContain('relay (no heartbeat');
  await stack.restart('relay');
  const t1 = Date.now();
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 10_000, intervalMs: 200, description: '/readyz 200 after the relay is back' });
  console.log(`relay killed → /readyz 503 after ${notReadyAfterMs} ms; restarted → 200 after ${Date.now() - t1} ms`);
}, 60_000);

it('a frozen consumer service (deadline) turns it 503 naming it, and 200 when it runs again', async () => {
  expect(stack.signal('deadline', 'SIGSTOP')).toBe(true);
  try {
    const down = await waitFor(async () => { const r = await readyz(); return r.status === 503 ? r : undefined; }, { timeoutMs: 10_000, intervalMs: 200 });
    expect(down.body.processes.deadline).toMatch(/^no heartbeat/);
  } finally {
    stack.signal('deadline', 'SIGCONT');
  }
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 10_000, intervalMs: 200 });
}, 60_000);
