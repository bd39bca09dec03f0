/** NOTIFY eventstore_appended after the append's commit (AppendNotifier), as a relay's LISTEN sees it. */
import pg from 'pg';
import { createTestDatabase, waitFor, type TestDatabase } from '@tongban/testing';
import { newTestEvent, newTicketStream } from '../testing/fixtures';
import { systemClock } from '../clock';
import { PostgresEventStore } from './adapter';
import { APPENDED_CHANNEL, AppendNotifier, NOTIFY_SPACING_MS } from './notifier';

describe('PostgreSQL event store notifications', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PostgresEventStore;
  let listener: pg.Client;
  let reader: pg.Client;
  /** For each notification received: how many of the watched streams' events were visible then. */
  let seen: number[];
  let watched: string[];
  /** When each notification arrived (Date.now(), ms). */
  let arrivals: number[];

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 8 });
    listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    listener.on('notification', (message) => {
      if (message.channel !== APPENDED_CHANNEL) return;
      arrivals.push(Date.now());
      // As a relay does: read on notification (queued on one connection, in arrival order).
      void reader.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE stream = ANY($1)', [watched]).then(({ rows }) => seen.push(rows[0]!.n));
    });
    listener.once('end', () => void reader.end());
    await listener.query(`LISTEN ${APPENDED_CHANNEL}`);
  });
  afterAll(async () => {
    await listener.end();
    await pool.end();
    await db.drop();
  });
  // A store per test; its last notification is counted before the next test starts (close() waits for
  // the NOTIFY in flight; a query on the listener returns after the notifications committed before it,
  // and one on the reader after the reads they started).
  beforeEach(async () => {
    seen = [];
    watched = [];
    arrivals = [];
    store = await PostgresEventStore.create(pool, systemClock);
  });
  afterEach(async () => {
    await store.close();
    await listener.query('SELECT 1');
    await reader.query('SELECT 1');
  });

  it('notifies after an append commits: a read on the notification finds the events', async () => {
    const stream = newTicketStream();
    watched = [stream];
    await store.append(stream, [newTestEvent(), newTestEvent()], 'no_stream');
    await waitFor(() => seen.length >= 1, { timeoutMs: 5000, description: 'a notification' });
    expect(seen[seen.length - 1]).toBe(2);
  });

  it('a burst of concurrent appends costs fewer notifications than appends, the last one after the last commit', async () => {
    watched = Array.from({ length: 40 }, () => newTicketStream());
    const started = Date.now();
    await Promise.all(watched.map((stream) => store.append(stream, [newTestEvent()], 'no_stream')));
    const elapsed = Date.now() - started;
    await waitFor(() => seen.includes(40), { timeoutMs: 5000, description: 'a notification after all 40 appends committed' });
    // At most one in flight and one per NOTIFY_SPACING_MS (20 % slack for early timers) — fewer than the appends
    // unless the machine is so busy that 40 appends on 8 connections took more than ~330 ms (seen at load 14).
    expect(seen.length).toBeLessThanOrEqual(Math.min(40, Math.ceil((1.2 * elapsed) / NOTIFY_SPACING_MS) + 2));
    if (elapsed < 250) expect(seen.length).toBeLessThan(40);
  });

  it('sends nothing for an idempotent repeat (nothing was appended)', async () => {
    const stream = newTicketStream();
    watched = [stream];
    const batch = [newTestEvent()];
    await store.append(stream, batch, 'no_stream');
    await waitFor(() => seen.length >= 1, { timeoutMs: 5000, description: 'the first notification' });
    const before = seen.length;
    expect((await store.append(stream, batch, 'no_stream')).appended).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.length).toBe(before);
  });

  it('spaces the notifications of a stream of appends: at most one per NOTIFY_SPACING_MS, the last after the last commit', async () => {
    watched = Array.from({ length: 4 }, () => newTicketStream());
    const started = Date.now();
    let appended = 0;
    await Promise.all(watched.map(async (stream) => {
      for (let revision = -1; Date.now() - started < 300; revision += 1) {
        await store.append(stream, [newTestEvent()], revision < 0 ? 'no_stream' : revision);
        appended += 1;
      }
    }));
    const elapsed = Date.now() - started;
    await waitFor(() => seen.includes(appended), { timeoutMs: 5000, description: `a notification after all ${appended} appends committed` });
    // One per NOTIFY_SPACING_MS and one after the last commit (timers may fire a millisecond early: 20 % slack).
    expect(seen.length).toBeLessThanOrEqual(Math.ceil((1.2 * elapsed) / NOTIFY_SPACING_MS) + 2);
  });

  it('spaces a notification from the last one\'s start even when that one has ended (an append just after a quiet moment)', async () => {
    const notifier = new AppendNotifier(pool, 300);
    notifier.appended();
    await notifier.idle();
    await listener.query('SELECT 1');
    notifier.appended();
    await notifier.idle();
    await listener.query('SELECT 1');
    expect(arrivals).toHaveLength(2);
    // The first NOTIFY took a few ms; the second waited out the rest of the 300 ms (arrival jitter: 10 %).
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(270);
  });
});
