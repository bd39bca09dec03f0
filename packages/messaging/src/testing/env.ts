/**
 * Shared set-up of the messaging integration tests (not exported from the package): a fresh
 * database with the event store and messaging tables, a NATS connection, and a uniquely named event
 * stream and dead-letter stream that dispose() deletes.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { PostgresEventStore, systemClock, type RecordedEvent } from '@tongban/eventstore';
import { newTestEvent } from '@tongban/eventstore/testing';
import { createTestDatabase, natsUrl, uniqueName, type TestDatabase } from '@tongban/testing';
import pg from 'pg';
import { migrateRelay } from '../checkpoint';
import { connectNats, ensureDeadLetterStream, ensureTicketEventsStream } from '../nats';

export interface MessagingTestEnv {
  db: TestDatabase;
  pool: pg.Pool;
  store: PostgresEventStore;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  streamName: string;
  subjectPrefix: string;
  deadLetterStream: string;
  deadLetterPrefix: string;
  /** Appends `n` events to `stream` (type cycling through `types`) and returns them as stored. */
  appendEvents(stream: string, n: number, types?: string[]): Promise<RecordedEvent[]>;
  /** Messages currently stored in the event stream. */
  messageCount(): Promise<number>;
  dispose(): Promise<void>;
}

export async function setupMessagingTest(): Promise<MessagingTestEnv> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  const store = await PostgresEventStore.create(pool, systemClock);
  await migrateRelay(pool);
  const nc = await connectNats(natsUrl());
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const base = uniqueName('t');
  const streamName = `${base}_events`;
  const subjectPrefix = `${base}.events`;
  const deadLetterStream = `${base}_dead`;
  const deadLetterPrefix = `${base}.deadletter`;
  await ensureTicketEventsStream(jsm, { streamName, subjectPrefix });
  await ensureDeadLetterStream(jsm, { streamName: deadLetterStream, subjectPrefix: deadLetterPrefix });
  return {
    db,
    pool,
    store,
    nc,
    js,
    jsm,
    streamName,
    subjectPrefix,
    deadLetterStream,
    deadLetterPrefix,
    async appendEvents(stream, n, types = ['TicketSubmitted', 'TicketRouted', 'TicketReplied']) {
      const batch = Array.from({ length: n }, (_, i) => newTestEvent(types[i % types.length], { i }));
      await store.append(stream, batch, 'any');
      const ids = new Set(batch.map((e) => e.id));
      return (await store.readStream(stream)).filter((e) => ids.has(e.id));
    },
    async messageCount() {
      return (await jsm.streams.info(streamName)).state.messages;
    },
    async dispose() {
      await jsm.streams.delete(streamName).catch(() => undefined);
      await jsm.streams.delete(deadLetterStream).catch(() => undefined);
      await nc.close();
      await pool.end();
      await db.drop();
    },
  };
}
