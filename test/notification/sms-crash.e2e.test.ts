/**
 * Kill the notification process mid-send: no duplicate SMS. The notification service runs as a real
 * process (its own main.ts) on a real PostgreSQL and a private JetStream stream; the ticket's events are
 * written to the event store and published as the relay does; the SMS provider is a local server speaking
 * Alibaba Cloud's API (signatures checked) that records the acceptance SMS and then holds its answer.
 * The process is killed (SIGKILL) while it waits and started again: JetStream redelivers the unacked
 * event, the new process finds the unrecorded claim, asks the provider (QuerySendDetails, OutId) and
 * records the message as sent without sending it again.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ActorContext } from '@tongban/domain';
import { PostgresEventStore } from '@tongban/eventstore';
import { connectNats, encodeEnvelope, ensureTicketEventsStream } from '@tongban/messaging';
import { loadReferenceData } from '@tongban/reference-data';
import { TicketExecutor, systemClock } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase, natsUrl, uniqueName, waitFor } from '@tongban/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { type FakeSmsServer, fakeAliyun } from '../../services/notification/src/testing/fake-sms-providers';
import { freePort } from '../../scripts/stack';

const ROOT = join(__dirname, '..', '..');
const ref = loadReferenceData();
const clock = systemClock;
const TOWNSHIP = 'adm-513437100';
const ADMIN: ActorContext = { kind: 'staff', id: `admin@${TOWNSHIP}`, role: 'admin', unitId: TOWNSHIP, unitKind: 'administration', unitDivision: '513437100', unitLevel: 'township' };
const PHONE = '13800009999';

let db: TestDatabase;
let pool: pg.Pool;
let sms: FakeSmsServer;
let env: NodeJS.ProcessEnv;
let child: ChildProcess | undefined;
const ns = uniqueName('smscrash').replace(/[^A-Za-z0-9_]/g, '_');

/** Starts the notification service and resolves when it reports ready. */
function startNotification(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services', 'notification', 'src', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    for (const s of [proc.stdout, proc.stderr]) s?.on('data', (c: Buffer) => { output = (output + c.toString()).slice(-4000); });
    proc.on('message', (m: { ready?: string }) => { if (m.ready === 'notification') resolve(proc); });
    proc.once('exit', (code, signal) => reject(new Error(`notification exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  sms = await fakeAliyun('LTAI-e2e', 'e2e-secret');
  env = {
    ...process.env, DATABASE_URL: db.url, NATS_URL: natsUrl(), TONGBAN_NAMESPACE: ns, TONGBAN_EVENTS_STREAM: `${ns}_EVENTS`, TONGBAN_EVENTS_SUBJECT: `${ns}.events`,
    NOTIFICATION_ADDR: `127.0.0.1:${await freePort()}`, LOG_LEVEL: 'warn',
    TONGBAN_SMS_PROVIDER: 'aliyun', TONGBAN_SMS_ENDPOINT: sms.url, TONGBAN_SMS_ACCESS_KEY_ID: 'LTAI-e2e', TONGBAN_SMS_ACCESS_KEY_SECRET: 'e2e-secret',
    TONGBAN_SMS_TEMPLATES: JSON.stringify({ accepted: 'SMS_100' }), TONGBAN_NOTIFY_CLAIM_LEASE_MS: '1000',
  };
}, 60_000);

afterAll(async () => {
  sms?.hold(false);
  child?.kill('SIGKILL');
  const nc = await connectNats(natsUrl());
  const jsm = await jetstreamManager(nc);
  for (const name of [`${ns}_EVENTS`, `${ns}_EVENTS_DEADLETTER`]) await jsm.streams.delete(name).catch(() => undefined);
  await nc.close();
  await pool?.end();
  await sms?.close();
  await db?.drop();
});

it('sends the acceptance SMS exactly once although the notification process was killed mid-send', async () => {
  const store = await PostgresEventStore.create(pool, clock);
  const executor = new TicketExecutor({ store, ref, clock, service: 'test' });
  const id = uuidv7();
  await executor.execute(id, {
    type: 'SubmitTicket', ticketId: id, reference: 'LS-2026-990001', serviceCode: 'sanitation', division: '513437100001', title: '垃圾', description: '路边堆满垃圾',
    address: '', channel: 'open311', reporter: { deviceId: 'dev-1', staffId: '', unitId: '', accountId: '', name: '', phone: PHONE, email: '' }, attributes: {}, mediaUrl: '',
    policy: ref.catalogue.slaPolicy,
  }, { kind: 'open311', id: 'fms' }, { correlationId: id });
  await executor.execute(id, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: '' }, { kind: 'system', id: 'routing' }, { correlationId: id });
  await executor.execute(id, { type: 'AcceptTicket' }, ADMIN, { correlationId: id });
  const accepted = (await store.readStream(`ticket-${id}`)).find((e) => e.type === 'TicketAccepted')!;

  child = await startNotification();
  sms.hold(true);
  const arrived = sms.nextSend();
  const nc = await connectNats(natsUrl());
  try {
    const jsm = await jetstreamManager(nc);
    await ensureTicketEventsStream(jsm, { streamName: `${ns}_EVENTS`, subjectPrefix: `${ns}.events` });
    await jetstream(nc).publish(`${ns}.events.${accepted.type}`, encodeEnvelope(accepted), { msgID: accepted.id });
  } finally {
    await nc.close();
  }
  expect(await arrived).toMatchObject({ phone: PHONE, templateCode: 'SMS_100', outId: expect.any(String) });
  // The provider has the message; the process dies before it hears back or records anything.
  child.kill('SIGKILL');
  await new Promise((resolve) => child!.once('exit', resolve));
  sms.hold(false);
  child = await startNotification();

  await waitFor(async () => {
    const { rows } = await pool.query("SELECT state FROM notification_ledger WHERE ticket_id = $1 AND channel = 'sms'", [id]);
    return rows[0]?.state === 'sent' ? true : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250, description: 'the SMS recorded as sent after the restart (JetStream redelivers after its ack wait)' });
  expect(sms.sent.filter((s) => s.phone === PHONE)).toHaveLength(1);
  expect(sms.badSignatures).toBe(0);
}, 240_000);
