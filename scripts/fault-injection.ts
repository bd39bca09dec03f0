/**
 * `npm run fault-injection [-- --rate <submissions/s>] [--settle <s>]`: the fault-injection run of
 * issue 16 ("Done when"), on a private PostgreSQL and a private NATS server so the shared ones are never
 * touched. The whole platform runs as real processes under load — citizen submissions at `--rate`
 * (default 10/s), and a worker that accepts and publicly answers each new ticket — with a webhook
 * subscribed to every notice, while these faults are injected in turn:
 *   kill -9 of every process (restarted after 2 s, as a supervisor would), NATS SIGTERM restart,
 *   NATS SIGKILL restart, PostgreSQL `restart -m fast`, `restart -m immediate`, and a 10 s stop.
 * Then the load stops, the platform is given `--settle` seconds (default 60) to catch up, and the run
 * prints one JSON summary and exits 1 when any of these is not zero:
 *   lostNotices (tickets created without their ticket-arrived notice, answers without their
 *   public-reply notice), lostWebhooks (inbox notices never POSTed), deadLetters, processesExited (on
 *   their own), http500 (answers 500). Also printed: duplicateNotices (a ticket, kind and recipient with more
 *   than one notice) and ticketsRepliedTwice (tickets the worker answered twice because the first answer's
 *   response was lost to a kill: each reply is its own event and notice, so these explain duplicateNotices).
 */
import { signToken } from '@tongban/auth';
import { createPool } from '@tongban/eventstore';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connectNats, listDeadLetters } from '@tongban/messaging';
import { loadReferenceData, seededStaff } from '@tongban/reference-data';
import { startNatsCluster, startPrivatePostgres, uniqueName } from '@tongban/testing';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { startSubmissionLoad } from '../test/support/load';
import { loadKeyRing } from '../services/identity/src/signing-keys';
import { PROCESSES, startStack } from './stack';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => process.stderr.write(`[fault-injection ${new Date().toISOString()}] ${message}\n`);

async function main(): Promise<number> {
  const rate = arg('rate', 10);
  const settleMs = arg('settle', 60) * 1000;
  const postgres = await startPrivatePostgres();
  const nats = await startNatsCluster(1);
  // Webhook receiver: every delivery id POSTed (answers 204).
  const webhookIds = new Set<string>();
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => { webhookIds.add(String(req.headers['webhook-id'])); res.statusCode = 204; res.end(); });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const ns = uniqueName('fi').replace(/[^A-Za-z0-9_]/g, '_');
  const dbUrl = new URL(postgres.url);
  dbUrl.pathname = '/tongban';
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: dbUrl.toString(), NATS_URL: nats.url, TONGBAN_NAMESPACE: ns, TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`, TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
    LOG_LEVEL: 'warn', TONGBAN_RATE_LIMIT_PER_MINUTE: '0', TONGBAN_RATE_LIMIT_STAFF_PER_MINUTE: '0', TONGBAN_RATE_LIMIT_IP_PER_MINUTE: '0',
    TONGBAN_WEBHOOKS: JSON.stringify([{ id: 'everything', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]),
  };
  const logs: string[] = [];
  const stack = await startStack({ env, randomPorts: true, readyTimeoutMs: 150_000, output: (name, line) => { logs.push(`[${name}] ${line}`); if (logs.length > 5000) logs.shift(); } });
  const base = stack.gatewayUrl;
  const statuses: number[] = [];
  const call = async (method: string, path: string, token: string, body?: unknown): Promise<number> => {
    try {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      await res.text();
      statuses.push(res.status);
      return res.status;
    } catch {
      statuses.push(0);
      return 0;
    }
  };
  let summary: Record<string, unknown> = {};
  let failed = true;
  try {
    const device = await (await fetch(`${base}/api/v1/devices`, { method: 'POST' })).json() as { token: string };
    // Signed as `npm run token` signs: with the installation key identity keeps in the database.
    const keyPool = createPool(env['DATABASE_URL']!, { max: 1 });
    const key = await loadKeyRing(env, keyPool).finally(() => keyPool.end());
    const admin = await signToken(seededStaff(loadReferenceData(), 'admin', '513437100'), key.signing, new Date());
    const load = startSubmissionLoad(base, device.token, { intervalMs: Math.round(1000 / rate), maxInFlight: 50 });
    // The worker: accept and publicly answer each created ticket (retrying while it is not yet routed or a service is away).
    const answered = new Set<string>();
    let working = true;
    const worker = (async () => {
      const tries = new Map<string, number>();
      while (working) {
        const next = load.created().find((id) => !answered.has(id) && (tries.get(id) ?? 0) < 50);
        if (!next) { await sleep(200); continue; }
        tries.set(next, (tries.get(next) ?? 0) + 1);
        const accepted = await call('POST', `/api/v1/tickets/${next}/accept`, admin);
        if (accepted === 200 || accepted === 409) {
          if (await call('POST', `/api/v1/tickets/${next}/reply`, admin, { message: '已收到，正在处理。', public: true }) === 200) answered.add(next);
        } else {
          await sleep(100);
        }
      }
    })();
    const faults: [string, () => Promise<void>][] = [
      ...PROCESSES.map((name): [string, () => Promise<void>] => [`kill -9 ${name}`, async () => { await stack.kill(name, 'SIGKILL'); await sleep(2000); await stack.restart(name); }]),
      ['NATS SIGTERM restart', async () => { await nats.kill('n1', 'SIGTERM'); await sleep(2000); await nats.start('n1'); }],
      ['NATS SIGKILL restart', async () => { await nats.kill('n1', 'SIGKILL'); await sleep(2000); await nats.start('n1'); }],
      ['PostgreSQL restart -m fast', () => postgres.restart('fast')],
      ['PostgreSQL restart -m immediate', () => postgres.restart('immediate')],
      ['PostgreSQL stopped 10 s', async () => { await postgres.stop('fast'); await sleep(10_000); await postgres.start(); }],
    ];
    await sleep(5000);
    for (const [name, inject] of faults) {
      log(`${name} (created so far: ${load.created().length})`);
      await inject();
      await sleep(5000);
    }
    await load.stop();
    // The worker stops too, before the count: a reply it posted after the last count would be reported as a
    // lost notice (seen once the consumers had caught up before the worker had answered every ticket).
    working = false;
    await worker;
    log(`load stopped; settling up to ${settleMs / 1000} s`);
    const created = load.created();
    const pool = new pg.Pool({ connectionString: env['DATABASE_URL'], max: 2 });
    pool.on('error', () => undefined);
    const missing = async () => (await pool.query<{ arrived: number; replies: number; inbox: string[] }>(
      `SELECT (SELECT count(DISTINCT ticket_id)::int FROM inbox_messages WHERE kind = 'ticket-arrived' AND ticket_id = ANY($1::uuid[])) AS arrived,
              (SELECT count(DISTINCT ticket_id)::int FROM inbox_messages WHERE kind = 'public-reply' AND ticket_id = ANY($2::uuid[])) AS replies,
              (SELECT array_agg(id::text) FROM inbox_messages) AS inbox`, [created, [...answered]],
    )).rows[0]!;
    const settled = Date.now() + settleMs;
    let m = await missing();
    while (Date.now() < settled && (m.arrived < created.length || m.replies < answered.size || (m.inbox ?? []).some((id) => !webhookIds.has(id)))) {
      await sleep(1000);
      m = await missing();
    }
    const nc = await connectNats(nats.url);
    const letters = await listDeadLetters(jetstream(nc), await jetstreamManager(nc), { stream: `${ns}_EVENTS_DEADLETTER`, prefix: `${ns}.deadletter` });
    await nc.close();
    const duplicates = (await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT ticket_id, kind, recipient_id FROM inbox_messages WHERE kind IN ('ticket-arrived', 'public-reply') GROUP BY 1, 2, 3 HAVING count(*) > 1) d`,
    )).rows[0]!.n;
    // A reply whose answer was lost (the gateway killed mid-request) is posted again by the worker (no
    // Idempotency-Key on replies): two TicketReplied events, two notices — not a duplicate delivery (the
    // inbox holds one row per event and recipient: UNIQUE (event_id, recipient_kind, recipient_id)).
    const repliedTwice = (await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT stream FROM events WHERE type = 'TicketReplied' GROUP BY stream HAVING count(*) > 1) r`,
    )).rows[0]!.n;
    await pool.end();
    const answers = [...load.answers.map((a) => a.status), ...statuses];
    const byStatus: Record<string, number> = {};
    for (const s of answers) byStatus[String(s)] = (byStatus[String(s)] ?? 0) + 1;
    summary = {
      faults: faults.map(([name]) => name),
      ticketsCreated: created.length,
      ticketsAnswered: answered.size,
      lostNotices: (created.length - m.arrived) + (answered.size - m.replies),
      duplicateNotices: duplicates,
      ticketsRepliedTwice: repliedTwice,
      lostWebhooks: (m.inbox ?? []).filter((id) => !webhookIds.has(id)).length,
      deadLetters: letters.length,
      deadLettersByReason: letters.reduce<Record<string, number>>((acc, l) => ({ ...acc, [l.reason]: (acc[l.reason] ?? 0) + 1 }), {}),
      processesExited: stack.unexpectedExits(),
      http500: answers.filter((s) => s === 500).length,
      answersByStatus: byStatus,
    };
    failed = summary['lostNotices'] !== 0 || summary['lostWebhooks'] !== 0 || letters.length > 0 || stack.unexpectedExits().length > 0 || summary['http500'] !== 0;
    if (failed) for (const line of logs.filter((l) => /"level":(50|60)/.test(l)).slice(-30)) log(line);
  } finally {
    await stack.stop();
    await new Promise((resolve) => receiver.close(resolve));
    await nats.dispose();
    await postgres.dispose();
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`fault injection failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 2;
});
