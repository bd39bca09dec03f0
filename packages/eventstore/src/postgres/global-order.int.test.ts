/**
 * The global order under late-committing transactions (DESIGN.md): readAll must never deliver an
 * event past a checkpoint that a still-running transaction could later insert before.
 */
import pg from 'pg';
import { createTestDatabase, waitFor, type TestDatabase } from '@tongban/testing';
import { newTestEvent, newTicketStream } from '../testing/fixtures';
import type { GlobalPosition, RecordedEvent } from '../port';
import { systemClock } from '../clock';
import { PostgresEventStore } from './adapter';
import { appendEvents } from './append';

/** A promise with its resolver, to hold one transaction at a chosen point. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('PostgreSQL readAll under late commits', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = new pg.Pool({ connectionString: db.url, max: 6 });
    store = await PostgresEventStore.create(pool, systemClock);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** All events of `streams` from `after` on, once `count` of them are visible. */
  const readOurs = (streams: string[], count: number, after: GlobalPosition | null = null): Promise<RecordedEvent[]> =>
    waitFor(
      async () => {
        const events = (await store.readAll(after, 1000)).filter((e) => streams.includes(e.stream));
        return events.length >= count ? events : undefined;
      },
      { timeoutMs: 10_000, description: `${count} events of ${streams.join(', ')}` },
    );
  const naiveBigserialAfter = async (position: string): Promise<string[]> =>
    (await pool.query<{ id: string }>('SELECT id::text AS id FROM events WHERE global_position > $1 ORDER BY global_position', [position])).rows.map(
      (r) => r.id,
    );

  it('hides a committed event while an older transaction is still running, then delivers both in order', async () => {
    const [s1, s2] = [newTicketStream(), newTicketStream()];
    const [e1, e2] = [newTestEvent('TicketSubmitted'), newTestEvent('TicketSubmitted')];
    const c1 = await pool.connect();
    const t1Inserted = gate();
    const commitT1 = gate();
    try {
      // T1 inserts its event and holds its transaction open.
      const t1 = appendEvents(c1, systemClock, s1, [e1], 'no_stream', {
        beforeCommit: async () => {
          t1Inserted.open();
          await commitT1.promise;
        },
      });
      await t1Inserted.promise;
      // T2 (younger) appends and commits; it is readable by stream at once…
      await store.append(s2, [e2], 'no_stream');
      expect(await store.readStream(s2)).toHaveLength(1);
      // …but not in the global order while T1 may still commit before it.
      for (let i = 0; i < 5; i += 1) {
        const all = (await store.readAll(null, 1000)).map((e) => e.id);
        expect(all).not.toContain(e2.id);
        expect(all).not.toContain(e1.id);
      }
      commitT1.open();
      await t1;
    } finally {
      commitT1.open();
      c1.release();
    }
    const both = await readOurs([s1, s2], 2);
    expect(both.map((e) => e.id)).toEqual([e1.id, e2.id]);
  });

  it('delivers a late commit that a bigserial cursor would skip', async () => {
    const [s1, s2] = [newTicketStream(), newTicketStream()];
    const [e1, e2] = [newTestEvent('TicketSubmitted'), newTestEvent('TicketRouted')];
    const [c1, c2] = [await pool.connect(), await pool.connect()];
    const t2HasXid = gate();
    const goT2 = gate();
    const t1Inserted = gate();
    const commitT1 = gate();
    try {
      // T2 takes its transaction id first (older), then waits.
      const t2 = appendEvents(c2, systemClock, s2, [e2], 'no_stream', {
        afterBegin: async (client) => {
          await client.query('SELECT pg_current_xact_id()');
          t2HasXid.open();
          await goT2.promise;
        },
      });
      await t2HasXid.promise;
      // T1 (younger id) inserts first, so it gets the smaller global_position, and stays open.
      const t1 = appendEvents(c1, systemClock, s1, [e1], 'no_stream', {
        beforeCommit: async () => {
          t1Inserted.open();
          await commitT1.promise;
        },
      });
      await t1Inserted.promise;
      // T2 inserts (larger position) and commits while T1 is in flight.
      goT2.open();
      await t2;

      // T2 is older than every running transaction: readAll delivers it.
      const first = await readOurs([s1, s2], 1);
      expect(first.map((e) => e.id)).toEqual([e2.id]);
      const checkpoint = first[0]!.position;

      commitT1.open();
      await t1;
      const stored = await store.readStream(s1);
      // A reader that had advanced a bigserial cursor to T2's position would never see T1's event.
      expect(BigInt(stored[0]!.position.position)).toBeLessThan(BigInt(checkpoint.position));
      expect(await naiveBigserialAfter(checkpoint.position)).not.toContain(e1.id);
      // Ours delivers it strictly after the checkpoint.
      const next = await readOurs([s1, s2], 1, checkpoint);
      expect(next.map((e) => e.id)).toEqual([e1.id]);
    } finally {
      goT2.open();
      commitT1.open();
      c1.release();
      c2.release();
    }
    // The full sequence has both, in (transaction_id, global_position) order, none skipped.
    const all = await readOurs([s1, s2], 2);
    expect(all.map((e) => e.id)).toEqual([e2.id, e1.id]);
    const key = (e: RecordedEvent): [bigint, bigint] => [BigInt(e.position.transactionId), BigInt(e.position.position)];
    const [a, b] = [key(all[0]!), key(all[1]!)];
    expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
  });

  it('a poller that checkpoints after every page sees each event exactly once under concurrent appends', async () => {
    const streams = Array.from({ length: 8 }, () => newTicketStream());
    const expected = new Set<string>();
    const seen: string[] = [];
    let after: GlobalPosition | null = null;
    let writing = true;
    const poller = (async () => {
      while (writing || seen.length < expected.size) {
        const page = await store.readAll(after, 7);
        for (const event of page) if (streams.includes(event.stream)) seen.push(event.id);
        const last = page[page.length - 1];
        if (last) after = last.position;
        else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await Promise.all(
      streams.map(async (stream) => {
        for (let i = 0; i < 10; i += 1) {
          const batch = [newTestEvent(), newTestEvent()];
          await store.append(stream, batch, 'any');
          for (const e of batch) expected.add(e.id);
        }
      }),
    );
    writing = false;
    await poller;
    expect(seen).toHaveLength(160);
    expect(new Set(seen)).toEqual(expected);
  });
});
