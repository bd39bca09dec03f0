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
import type { RunningConsumer } from '../consumer';
import { connectNats, ensureDeadLetterStream, ensureTicketEventsStream } from '../nats';

interface MessagingTestEnv {
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

async function setupMessagingTest(): Promise<MessagingTestEnv> {
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

/** What useMessagingTest hands a describe block. */
export interface MessagingTestHooks {
  /** The current test's environment: reads forward to the one beforeEach set up (use it inside tests only). */
  env: MessagingTestEnv;
  /** Consumers a test started; afterEach stops them before disposing the environment. */
  consumers: RunningConsumer[];
}

/**
 * Registers beforeEach/afterEach that give every test a fresh environment (setupMessagingTest) and
 * afterwards stop what it started — `stopFirst` (e.g. relays), then the consumers — and dispose it.
 */
export function useMessagingTest(stopFirst: () => Promise<unknown> = async () => undefined): MessagingTestHooks {
  let current: MessagingTestEnv | undefined;
  const consumers: RunningConsumer[] = [];
  beforeEach(async () => {
    current = await setupMessagingTest();
  });
  afterEach(async () => {
    await stopFirst();
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await current?.dispose();
    current = undefined;
  });
  const env = new Proxy({} as MessagingTestEnv, {
    get(_, key) {
      if (current === undefined) throw new Error('useMessagingTest: read env inside a test, after beforeEach');
      return current[key as keyof MessagingTestEnv];
    },
  });
  return { env, consumers };
}
