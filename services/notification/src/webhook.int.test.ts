/**
 * The signed webhook channel and its outbox senders against a real PostgreSQL (createTestDatabase) and
 * a real local HTTP receiver on port 0: signatures, the unit filter, retries with backoff, the retry
 * horizon, abandoned deliveries listed and redriven, no re-send of what was delivered, and one POST per
 * delivery with two senders side by side (issue 16 items 14, 15).
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ActorContext } from '@tongban/domain';
import { PostgresEventStore, type RecordedEvent, runMigrations } from '@tongban/eventstore';
import { connectNats, encodeEnvelope, ensureTicketEventsStream, startConsumer } from '@tongban/messaging';
import { loadReferenceData } from '@tongban/reference-data';
import { TicketExecutor, systemClock } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase, natsUrl, uniqueName, waitFor } from '@tongban/testing';
import { execFile } from 'node:child_process';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { deliverNotices } from './delivery';
import { inboxChannel, messageIdOf } from './inbox';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import {
  ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, type WebhookPayload, type WebhookSubscription, WebhookConfigError,
  isWebhookSecret, parseWebhookSubscriptions, webhookChannel, webhookHeaders, webhookSend,
} from './webhook';
import {
  type WebhookSenderOptions, WebhookSender, listWebhookDeliveries, redriveWebhookDeliveries, webhookDeliveryCounts,
} from './webhook-outbox';

const TOWNSHIP = 'adm-513437100';
const OTHER_UNIT = 'adm-513437101';
const REPORTER: ActorContext = { kind: 'citizen', id: 'device-webhook-1' };
const ROUTING: ActorContext = { kind: 'system', id: 'routing' };
const TOWNSHIP_ADMIN: ActorContext = { kind: 'staff', id: `admin@${TOWNSHIP}`, role: 'admin', unitId: TOWNSHIP, unitKind: 'administration', unitDivision: '513437100', unitLevel: 'township' };
const ref = loadReferenceData();
const clock = systemClock;

interface Received { path: string; headers: Record<string, string | string[] | undefined>; raw: string; status: number }

let db: TestDatabase;
let pool: pg.Pool;
let store: PostgresEventStore;
let executor: TicketExecutor;
let server: Server;
let base: string;
let received: Received[] = [];
/** Status codes to answer per path, consumed in order; then 204. */
const script = new Map<string, number[]>();
/** Delay before answering, ms, per path. */
const delays = new Map<string, number>();

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 5 });
  store = await PostgresEventStore.create(pool, clock);
  await runMigrations(pool, 'notification', NOTIFICATION_MIGRATIONS);
  executor = new TicketExecutor({ store, ref, clock, service: 'test' });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const status = script.get(path)?.shift() ?? 204;
      received.push({ path, headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), status });
      setTimeout(() => {
        res.statusCode = status;
        res.end();
      }, delays.get(path) ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await pool?.end();
  await db?.drop();
});
beforeEach(() => {
  received = [];
  script.clear();
  delays.clear();
});

/** A ticket submitted (with `visibility`) and routed to the township; returns its TicketRouted event. */
async function routedEvent(visibility?: string): Promise<RecordedEvent> {
  const ticketId = uuidv7();
  await executor.execute(ticketId, {
    type: 'SubmitTicket', ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, serviceCode: 'dangerous-structure', division: '513437100001',
    title: '危墙', description: '围墙出现裂缝', address: '', channel: 'app',
    reporter: { deviceId: REPORTER.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
    attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 }, ...(visibility ? { visibility } : {}),
  }, REPORTER, { correlationId: ticketId });
  await executor.execute(ticketId, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: 'housing-construction' }, ROUTING, { correlationId: ticketId });
  const event = (await store.readStream(`ticket-${ticketId}`)).find((e) => e.type === 'TicketRouted');
  if (!event) throw new Error('no TicketRouted');
  return event;
}

/** A Standard Webhooks secret per subscription id: whsec_ and the base64 of 32 bytes. */
const secretOf = (id: string): string => `whsec_${Buffer.from(`tongban-test-webhook-${id}`.padEnd(32, '.').slice(0, 32)).toString('base64')}`;
const sub = (id: string, extra: Partial<WebhookSubscription> = {}): WebhookSubscription => ({ id, url: `${base}/${id}`, secret: secretOf(id), ...extra });
/** What a receiver does: the library's verify over the raw body and the three headers (throws when it does not verify). */
const verify = (secret: string, raw: string, headers: Received['headers']): unknown =>
  new Webhook(secret).verify(raw, { [ID_HEADER]: String(headers[ID_HEADER]), [TIMESTAMP_HEADER]: String(headers[TIMESTAMP_HEADER]), [SIGNATURE_HEADER]: String(headers[SIGNATURE_HEADER]) });
const handle = (subs: WebhookSubscription[], event: RecordedEvent): Promise<number> =>
  deliverNotices([inboxChannel(pool), webhookChannel({ pool, subscriptions: subs })], store, event, new Date(event.recordedAt));
/** A sender for `subs` (fast retries unless told otherwise). */
const sender = (subs: WebhookSubscription[], options: Partial<WebhookSenderOptions> = {}) =>
  new WebhookSender({ pool, send: webhookSend(subs, 2000), maxBackoffMs: 50, ...options });
/** Runs `s` until nothing is due for `quietMs`. */
const drain = async (s: WebhookSender, quietMs = 300): Promise<void> => {
  let idleSince = Date.now();
  while (Date.now() - idleSince < quietMs) {
    if ((await s.runOnce()) > 0) idleSince = Date.now();
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
const to = (id: string): Received[] => received.filter((r) => r.path === `/${id}`);
const stateOf = async (messageId: string, subscription: string) =>
  (await pool.query<{ state: string; attempts: number }>('SELECT state, attempts FROM webhook_outbox WHERE message_id = $1 AND subscription_id = $2', [messageId, subscription])).rows[0];

describe('webhook channel', () => {
  it('POSTs the notice with a signature that verifies with the secret, and a deterministic delivery id', async () => {
    const event = await routedEvent();
    expect(await handle([sub('a')], event)).toBe(1);
    await drain(sender([sub('a')]));
    const [req] = to('a');
    expect(req).toBeDefined();
    const id = messageIdOf(event, { recipient: { kind: 'unit', id: TOWNSHIP } });
    expect(req!.headers['content-type']).toBe('application/json');
    // Standard Webhooks: webhook-id is the delivery id, webhook-timestamp this attempt's unix seconds.
    expect(req!.headers[ID_HEADER]).toBe(id);
    expect(Math.abs(Number(req!.headers[TIMESTAMP_HEADER]) - Date.now() / 1000)).toBeLessThan(60);
    expect(req!.headers[SIGNATURE_HEADER]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    // A receiver verifies with the library's Webhook.verify, which answers the parsed body.
    expect(verify(secretOf('a'), req!.raw, req!.headers)).toEqual(JSON.parse(req!.raw));
    expect(() => verify(secretOf('b'), req!.raw, req!.headers)).toThrow(WebhookVerificationError);
    expect(() => verify(secretOf('a'), req!.raw.replace('危墙', '危房'), req!.headers)).toThrow(WebhookVerificationError);
    expect(() => verify(secretOf('a'), req!.raw, { ...req!.headers, [ID_HEADER]: 'another-id' })).toThrow(WebhookVerificationError);
    // A replay an hour later is refused (the library's 5-minute tolerance), although correctly signed.
    expect(() => verify(secretOf('a'), req!.raw, webhookHeaders(secretOf('a'), id, req!.raw, Date.now() / 1000 - 3600))).toThrow(/timestamp too old/);
    const payload = JSON.parse(req!.raw) as WebhookPayload;
    expect(payload).toEqual({
      id, kind: 'ticket-arrived', ticketId: event.stream.replace(/^ticket-/, ''), reference: expect.stringMatching(/^LS-2026-/), status: 'routed', recipient: { kind: 'unit', id: TOWNSHIP },
      title: expect.stringContaining('危墙'), body: '围墙出现裂缝', createdAt: event.recordedAt,
    });
    // The same message id in the inbox.
    const { rows } = await pool.query('SELECT id FROM inbox_messages WHERE event_id = $1', [event.id]);
    expect(rows).toEqual([{ id }]);
    expect(await stateOf(id, 'a')).toEqual({ state: 'delivered', attempts: 1 });
  });

  it('never names the reporter: a notice to the reporter\'s device has no recipient id; a confidential ticket\'s texts are left out (issue 14 item 6)', async () => {
    for (const visibility of ['agency', 'confidential']) {
      received = [];
      const routed = await routedEvent(visibility);
      const ticketId = routed.stream.replace(/^ticket-/, '');
      await executor.execute(ticketId, { type: 'AcceptTicket' }, TOWNSHIP_ADMIN, { correlationId: ticketId });
      const accepted = (await store.readStream(routed.stream)).find((e) => e.type === 'TicketAccepted')!;
      await handle([sub('all')], routed);
      await handle([sub('all')], accepted);
      await drain(sender([sub('all')]));
      const payloads = to('all').map((r) => JSON.parse(r.raw) as WebhookPayload);
      expect(payloads.map((p) => [p.kind, p.recipient])).toEqual([['ticket-arrived', { kind: 'unit', id: TOWNSHIP }], ['accepted', { kind: 'device' }]]);
      for (const p of payloads) expect(p).toMatchObject({ ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, status: expect.any(String) });
      expect(JSON.stringify(payloads)).not.toContain(REPORTER.id);
      const texts = payloads.map((p) => [p.title === '', p.body === '']);
      expect({ visibility, texts }).toEqual({ visibility, texts: visibility === 'confidential' ? [[true, true], [true, true]] : [[false, false], [false, false]] });
    }
  });

  it('sends only to subscriptions whose units (and kinds) match', async () => {
    const event = await routedEvent();
    const subs = [
      sub('all'), sub('township', { units: [TOWNSHIP] }), sub('other', { units: [OTHER_UNIT] }),
      sub('replies', { kinds: ['public-reply'] }), sub('arrivals', { units: [OTHER_UNIT, TOWNSHIP], kinds: ['ticket-arrived'] }),
    ];
    await handle(subs, event);
    await drain(sender(subs));
    expect(received.map((r) => r.path).sort()).toEqual(['/all', '/arrivals', '/township']);
  });

  it('a receiver failing a few times is retried with backoff and gets exactly one successful delivery', async () => {
    const event = await routedEvent();
    script.set('/flaky', [500, 503, 502]);
    const subs = [sub('flaky'), sub('steady')];
    // Handling the event only enqueues: a failing receiver does not fail (or hold) the event.
    await expect(handle(subs, event)).resolves.toBe(1);
    await drain(sender(subs));
    expect(to('flaky').map((r) => r.status)).toEqual([500, 503, 502, 204]);
    expect(to('steady').map((r) => r.status)).toEqual([204]);
    expect(new Set(to('flaky').map((r) => r.headers[ID_HEADER])).size).toBe(1);
    const id = messageIdOf(event, { recipient: { kind: 'unit', id: TOWNSHIP } });
    expect(await stateOf(id, 'flaky')).toEqual({ state: 'delivered', attempts: 4 });
  });

  it('keeps retrying an unreachable receiver until the horizon, then abandons it visibly; a redrive delivers it once', async () => {
    const event = await routedEvent();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down: WebhookSubscription = { id: 'down', url: `http://127.0.0.1:${port}/down`, secret: secretOf('down') };
    await handle([down], event);
    const outcomes: { ok: boolean; abandoned: boolean }[] = [];
    // A horizon of about 1.5 s for the test (hours in production: TONGBAN_WEBHOOK_RETRY_HOURS).
    await drain(sender([down], { retryHours: 1.5 / 3600, onOutcome: (o) => outcomes.push(o) }), 800);
    const id = messageIdOf(event, { recipient: { kind: 'unit', id: TOWNSHIP } });
    expect(outcomes.length).toBeGreaterThan(2);
    expect(outcomes.at(-1)).toMatchObject({ ok: false, abandoned: true });
    expect(await stateOf(id, 'down')).toMatchObject({ state: 'abandoned' });
    const [listed] = await listWebhookDeliveries(pool, { subscription: 'down' });
    expect(listed).toMatchObject({ messageId: id, state: 'abandoned', lastError: expect.stringContaining('failed') });
    expect((await webhookDeliveryCounts(pool)).find((c) => c.subscription === 'down')).toEqual({ subscription: 'down', state: 'abandoned', count: 1 });

    // The receiver is back (same subscription id, now reachable): a redrive delivers it exactly once.
    const back = sub('down');
    expect(await redriveWebhookDeliveries(pool, { subscription: 'down' })).toBe(1);
    await drain(sender([back]));
    expect(to('down')).toHaveLength(1);
    expect(await stateOf(id, 'down')).toMatchObject({ state: 'delivered' });
    expect(await redriveWebhookDeliveries(pool, { subscription: 'down' })).toBe(0);
  });

  it('an already-delivered message is not re-sent when the same event is handled again', async () => {
    const event = await routedEvent();
    const s = sender([sub('once')]);
    for (let i = 0; i < 3; i++) {
      await handle([sub('once')], event);
      await drain(s, 100);
    }
    expect(to('once')).toHaveLength(1);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM inbox_messages WHERE event_id = $1', [event.id]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('two replicas sending side by side to a slow receiver POST each delivery once', async () => {
    const events = await Promise.all(Array.from({ length: 6 }, () => routedEvent()));
    const slow = sub('slow');
    delays.set('/slow', 400);
    for (const event of events) await handle([slow], event);
    const a = sender([slow], { concurrency: 2, leaseMs: 2000 });
    const b = sender([slow], { concurrency: 2, leaseMs: 2000 });
    await Promise.all([drain(a, 600), drain(b, 600)]);
    const ids = to('slow').map((r) => r.headers[ID_HEADER]);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
  });
});

describe('webhook channel behind the JetStream consumer', () => {
  it('a failing receiver does not hold the event: it is acked at once and the sender delivers once the receiver answers', async () => {
    const event = await routedEvent();
    const nc = await connectNats(natsUrl());
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const name = uniqueName('notif');
    const streamName = `${name}_events`;
    const subjectPrefix = `${name}.events`;
    try {
      await ensureTicketEventsStream(jsm, { streamName, subjectPrefix });
      await js.publish(`${subjectPrefix}.${event.type}`, encodeEnvelope(event), { msgID: event.id });
      script.set('/js', [503]);
      const consumer = await startConsumer({
        js, jsm, streamName, durable: name, deadLetterSubject: `${name}.deadletter`, nakDelayMs: () => 50, onStatus: () => undefined,
        handler: async (e) => { await handle([sub('js')], e); },
      });
      try {
        await waitFor(async () => {
          const info = await jsm.consumers.info(streamName, name);
          return info.num_ack_pending === 0 && info.num_pending === 0 && info.delivered.stream_seq === 1;
        }, { description: 'the event acked' });
        await drain(sender([sub('js')]));
        expect(to('js').map((r) => r.status)).toEqual([503, 204]);
        expect(new Set(to('js').map((r) => r.headers[ID_HEADER])).size).toBe(1);
      } finally {
        await consumer.stop();
      }
    } finally {
      await jsm.streams.delete(streamName).catch(() => undefined);
      await nc.close();
    }
  });
});

describe('TONGBAN_WEBHOOKS', () => {
  /** The example secret of the Standard Webhooks specification (24 bytes). */
  const S = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  it('parses subscriptions; unset or empty means none', () => {
    expect(parseWebhookSubscriptions(undefined)).toEqual([]);
    expect(parseWebhookSubscriptions('')).toEqual([]);
    expect(parseWebhookSubscriptions(`[{"id":"a","url":"https://example.org/hook","secret":"${S}","units":["adm-1"],"kinds":["resolved","withdrawn"]}]`))
      .toEqual([{ id: 'a', url: 'https://example.org/hook', secret: S, units: ['adm-1'], kinds: ['resolved', 'withdrawn'] }]);
  });

  it('accepts only Standard Webhooks secrets: whsec_ and the base64 of 24–64 bytes', () => {
    expect(isWebhookSecret(S)).toBe(true);
    expect(isWebhookSecret(`whsec_${Buffer.alloc(64, 7).toString('base64')}`)).toBe(true);
    for (const bad of ['s', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', `whsec_${Buffer.alloc(23, 7).toString('base64')}`, `whsec_${Buffer.alloc(65, 7).toString('base64')}`, 'whsec_not base64!', 'whsec_']) {
      expect(isWebhookSecret(bad)).toBe(false);
    }
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[{"id":"a","url":"https://x.org","secret":"s"}]', /secret of "a" must be a Standard Webhooks secret: whsec_/],
    ['{"id":"a"}', /must be a JSON array/],
    ['[{"url":"https://x.org","secret":"s"}]', /\[0\]: id must be/],
    ['[{"id":"a","url":"ftp://x.org","secret":"s"}]', /url of "a"/],
    ['[{"id":"a","url":"https://x.org"}]', /secret of "a"/],
    [`[{"id":"a","url":"https://x.org","secret":"${S}","units":"adm-1"}]`, /units of "a" must be an array/],
    [`[{"id":"a","url":"https://x.org","secret":"${S}"},{"id":"a","url":"https://y.org","secret":"${S}"}]`, /\[1\]: duplicate id "a"/],
    ['[{"id":"a","url":"https://x.org","secret":"s","unit":["adm-1"]}]', /unknown field\(s\) unit/],
    // A misspelt kind started the service and received nothing.
    [`[{"id":"a","url":"https://x.org","secret":"${S}","kinds":["withdrawn","withdraw"]}]`, /kinds of "a": unknown notice kind\(s\) "withdraw" \(known: ticket-arrived, /],
  ])('refuses %s', (raw, message) => {
    expect(() => parseWebhookSubscriptions(raw)).toThrow(WebhookConfigError);
    expect(() => parseWebhookSubscriptions(raw)).toThrow(message);
  });
});

describe('npm run webhooks -- status', () => {
  /** Runs the command on a database without deliveries, with TONGBAN_WEBHOOKS as given (undefined: unset). */
  const status = async (webhooks: string | undefined): Promise<{ stdout: string; stderr: string }> => {
    const empty = await createTestDatabase();
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: empty.url };
      delete env['TONGBAN_WEBHOOKS'];
      if (webhooks !== undefined) env['TONGBAN_WEBHOOKS'] = webhooks;
      return await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/notification/src/webhooks-cli.ts', 'status'], {
        cwd: join(__dirname, '..', '..', '..'), env,
      });
    } finally {
      await empty.drop();
    }
  };

  it('says in one line that no subscription is configured, and how to configure one (it printed nothing)', async () => {
    const { stdout, stderr } = await status(undefined);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^no webhook subscriptions are configured: set TONGBAN_WEBHOOKS \(/)]);
  }, 30_000);

  it('names the configured subscriptions when none has had a delivery yet', async () => {
    const { stdout, stderr } = await status(JSON.stringify([sub('county'), sub('city')]));
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe('no webhook deliveries yet for the configured subscriptions: county, city');
  }, 30_000);
});
