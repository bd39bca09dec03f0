/**
 * Issue 16 item 10, on real processes: an open transaction elsewhere no longer freezes the event
 * pipeline, and one that can (in the platform's own database) is visible within seconds — a log line
 * naming the blocking backend's database, pid and age, and the relay's /readyz — until it ends.
 */
import { createTestDatabase, waitFor, type TestDatabase } from '@tongban/testing';
import pg from 'pg';
import { submission } from '../support/load';
import { type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
let citizen: string;
let other: TestDatabase;

beforeAll(async () => {
  other = await createTestDatabase();
  // Health listeners on any free port; their ports are in the info log.
  stack = await startTestStack({ TONGBAN_HEALTH_PORT: '0', LOG_LEVEL: 'info' }, { keepLogLines: 20_000 });
  citizen = (await stack.device()).token;
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await other?.drop();
});

const submit = async (label: string): Promise<string> => {
  const res = await stack.api('POST', '/api/v1/tickets', { token: citizen, headers: { 'idempotency-key': `${label}-${Date.now()}` }, body: submission(1) });
  expect(res.status).toBe(201);
  return res.body.id as string;
};

/** A client with an open transaction that holds an xid. */
const openTransaction = async (url: string): Promise<{ client: pg.Client; pid: number }> => {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT pg_current_xact_id()');
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return { client, pid: rows[0]!.pid };
};

it('a transaction open in another database of the server does not hold the pipeline', async () => {
  const { client } = await openTransaction(other.url);
  try {
    const id = await submit('other-db');
    await stack.waitForProjected(id, 10_000);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}, 60_000);

it('a transaction open in the platform database is named in the log and the relay /readyz within seconds', async () => {
  const database = new URL(stack.env['DATABASE_URL']!).pathname.slice(1);
  const { client, pid } = await openTransaction(stack.env['DATABASE_URL']!);
  let id: string;
  try {
    id = await submit('own-db');
    const line = await waitFor(() => stack.logs().find((l) => l.includes('event pipeline stalled') && l.includes(`"blockingPid":${pid}`)), {
      timeoutMs: 10_000, intervalMs: 200, description: 'the stall log line',
    });
    expect(line).toContain(`"blockingDatabase":"${database}"`);
    expect(line).toMatch(/"blockingTransactionAgeSeconds":\d+/);
    const relayLine = stack.logs().find((l) => l.startsWith('[relay]') && l.includes('health listener'));
    const port = JSON.parse(relayLine!.slice(relayLine!.indexOf('{'))).healthPort as number;
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    const problem = await ready.json() as { checks: Record<string, string> };
    expect(problem.checks['pipeline']).toContain(`pid ${pid} in database ${database}`);
    // Held: the ticket is not published, so not projected, while the transaction is open (it is routed in its own
    // append: issue 13, so routing no longer shows the stall).
    const { rows } = await stack.pool(1).query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_views WHERE ticket_id = $1', [id]);
    expect(rows[0]!.n).toBe(0);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
  await stack.waitForProjected(id, 15_000);
  await waitFor(() => stack.logs().some((l) => l.includes('event pipeline moving again')), { timeoutMs: 10_000, description: 'the all-clear' });
}, 90_000);
