/**
 * The signed webhook channel against a real PostgreSQL (createTestDatabase) and a real local HTTP
 * receiver on port 0: signatures, the unit filter, retries after a failure, and no re-send of what was
 * already delivered when the same event is handled again.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ActorContext, Clock } from '@tongban/domain';
import { PostgresEventStore, type RecordedEvent, runMigrations } from '@tongban/eventstore';
import { connectNats, encodeEnvelope, ensureTicketEventsStream, startConsumer } from '@tongban/messaging';
import { loadReferenceData } from '@tongban/reference-data';
import { TicketExecutor } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase, natsUrl, uniqueName, waitFor } from '@tongban/testing';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { ChannelDeliveryError } from './channels';
import { deliverNotices, inboxChannel, messageIdOf } from './inbox';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import {
  DELIVERY_HEADER, SIGNATURE_HEADER, type WebhookPayload, type WebhookSubscription, WebhookConfigError,
  parseWebhookSubscriptions, verifyWebhookSignature, webhookChannel,
} from './webhook';

const TOWNSHIP = 'adm-513437100';
const OTHER_UNIT = 'adm-513437101';
const REPORTER: ActorContext = { kind: 'citizen', id: 'device-webhook-1' };
const ROUTING: ActorContext = { kind: 'system', id: 'routing' };
const ref = loadReferenceData();
const clock: Clock = { now: () => new Date() };

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
      res.statusCode = status;
      res.end();
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
});

/** A ticket submitted and routed to the township; returns its TicketRouted event. */
async function routedEvent(): Promise<RecordedEvent> {
  const ticketId = uuidv7();
  await executor.execute(ticketId, {
    type: 'SubmitTicket', ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, serviceCode: 'dangerous-structure', division: '513437100001',
    title: '危墙', description: '围墙出现裂缝', address: '', channel: 'app',
    reporter: { deviceId: REPORTER.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
    attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
  }, REPORTER, { correlationId: ticketId });
  await executor.execute(ticketId, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: 'housing-construction' }, ROUTING, { correlationId: ticketId });
  const event = (await store.readStream(`ticket-${ticketId}`)).find((e) => e.type === 'TicketRouted');
  if (!event) throw new Error('no TicketRouted');
  return event;
}

const sub = (id: string, extra: Partial<WebhookSubscription> = {}): WebhookSubscription => ({ id, url: `${base}/${id}`, secret: `secret-${id}`, ...extra });
const handle = (subs: WebhookSubscription[], event: RecordedEvent): Promise<number> =>
  deliverNotices([inboxChannel(pool), webhookChannel({ pool, subscriptions: subs, timeoutMs: 2000 })], store, event, new Date());
const to = (id: string): Received[] => received.filter((r) => r.path === `/${id}`);

describe('webhook channel', () => {
  it('POSTs the notice with a signature that verifies with the secret, and a deterministic delivery id', async () => {
    const event = await routedEvent();
    expect(await handle([sub('a')], event)).toBe(1);
    const [req] = to('a');
    expect(req).toBeDefined();
    const id = messageIdOf(event, { recipient: { kind: 'unit', id: TOWNSHIP } });
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers[DELIVERY_HEADER.toLowerCase()]).toBe(id);
    const signature = req!.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(signature, req!.raw, 'secret-a')).toBe(true);
    expect(verifyWebhookSignature(signature, req!.raw, 'wrong-secret')).toBe(false);
    expect(verifyWebhookSignature(signature, req!.raw.replace('危墙', '危房'), 'secret-a')).toBe(false);
    expect(verifyWebhookSignature(signature, req!.raw, 'secret-a', Date.now() / 1000 + 3600)).toBe(false);
    const payload = JSON.parse(req!.raw) as WebhookPayload;
    expect(payload).toEqual({
      id, kind: 'ticket-arrived', ticketId: event.stream.replace(/^ticket-/, ''), recipient: { kind: 'unit', id: TOWNSHIP },
      title: expect.stringContaining('危墙'), body: '围墙出现裂缝', createdAt: event.recordedAt,
    });
    // The same message id in the inbox.
    const { rows } = await pool.query('SELECT id FROM inbox_messages WHERE event_id = $1', [event.id]);
    expect(rows).toEqual([{ id }]);
  });

  it('sends only to subscriptions whose units (and kinds) match', async () => {
    const event = await routedEvent();
    await handle([
      sub('all'), sub('township', { units: [TOWNSHIP] }), sub('other', { units: [OTHER_UNIT] }),
      sub('replies', { kinds: ['public-reply'] }), sub('arrivals', { units: [OTHER_UNIT, TOWNSHIP], kinds: ['ticket-arrived'] }),
    ], event);
    expect(received.map((r) => r.path).sort()).toEqual(['/all', '/arrivals', '/township']);
  });

  it('a receiver failing once is retried on redelivery and gets exactly one successful delivery', async () => {
    const event = await routedEvent();
    script.set('/flaky', [500]);
    const subs = [sub('flaky'), sub('steady')];
    await expect(handle(subs, event)).rejects.toThrow(ChannelDeliveryError);
    expect(to('flaky').map((r) => r.status)).toEqual([500]);
    expect(to('steady').map((r) => r.status)).toEqual([204]);
    // The consumer redelivers the event: only the failed subscription is tried again.
    await handle(subs, event);
    expect(to('flaky').map((r) => r.status)).toEqual([500, 204]);
    expect(to('steady').map((r) => r.status)).toEqual([204]);
    const ids = new Set(to('flaky').map((r) => r.headers[DELIVERY_HEADER.toLowerCase()]));
    expect(ids.size).toBe(1);
    const { rows } = await pool.query('SELECT subscription_id FROM webhook_deliveries WHERE message_id = $1 ORDER BY 1', [[...ids][0]]);
    expect(rows.map((r: { subscription_id: string }) => r.subscription_id)).toEqual(['flaky', 'steady']);
  });

  it('an unreachable receiver fails the delivery (to be redelivered) and records nothing', async () => {
    const event = await routedEvent();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(handle([{ id: 'down', url: `http://127.0.0.1:${port}/`, secret: 's' }], event)).rejects.toThrow(/down: POST .* failed/);
    const { rows } = await pool.query('SELECT 1 FROM webhook_deliveries WHERE subscription_id = $1', ['down']);
    expect(rows).toHaveLength(0);
  });

  it('an already-delivered message is not re-sent when the same event is handled again', async () => {
    const event = await routedEvent();
    await handle([sub('once')], event);
    await handle([sub('once')], event);
    await handle([sub('once')], event);
    expect(to('once')).toHaveLength(1);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM inbox_messages WHERE event_id = $1', [event.id]);
    expect(rows[0]).toEqual({ n: 1 });
  });
});

describe('webhook channel behind the JetStream consumer', () => {
  it('a failed delivery is naked and redelivered by the consumer; the retry succeeds once and the message is acked', async () => {
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
        js, jsm, streamName, durable: name, deadLetterSubject: `${name}.deadletter`, nakDelayMs: () => 50, onError: () => undefined,
        handler: async (e) => { await handle([sub('js')], e); },
      });
      try {
        await waitFor(async () => {
          const info = await jsm.consumers.info(streamName, name);
          return to('js').length === 2 && info.num_ack_pending === 0 && info.num_pending === 0;
        }, { description: 'a failed then a successful delivery, acked' });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(to('js').map((r) => r.status)).toEqual([503, 204]);
        expect(new Set(to('js').map((r) => r.headers[DELIVERY_HEADER.toLowerCase()])).size).toBe(1);
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
  it('parses subscriptions; unset or empty means none', () => {
    expect(parseWebhookSubscriptions(undefined)).toEqual([]);
    expect(parseWebhookSubscriptions('')).toEqual([]);
    expect(parseWebhookSubscriptions('[{"id":"a","url":"https://example.org/hook","secret":"s","units":["adm-1"],"kinds":["resolved"]}]'))
      .toEqual([{ id: 'a', url: 'https://example.org/hook', secret: 's', units: ['adm-1'], kinds: ['resolved'] }]);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['{"id":"a"}', /must be a JSON array/],
    ['[{"url":"https://x.org","secret":"s"}]', /\[0\]: id must be/],
    ['[{"id":"a","url":"ftp://x.org","secret":"s"}]', /url of "a"/],
    ['[{"id":"a","url":"https://x.org"}]', /secret of "a"/],
    ['[{"id":"a","url":"https://x.org","secret":"s","units":"adm-1"}]', /units of "a" must be an array/],
    ['[{"id":"a","url":"https://x.org","secret":"s"},{"id":"a","url":"https://y.org","secret":"t"}]', /\[1\]: duplicate id "a"/],
    ['[{"id":"a","url":"https://x.org","secret":"s","unit":["adm-1"]}]', /unknown field\(s\) unit/],
  ])('refuses %s', (raw, message) => {
    expect(() => parseWebhookSubscriptions(raw)).toThrow(WebhookConfigError);
    expect(() => parseWebhookSubscriptions(raw)).toThrow(message);
  });
});
