import { type RecordedEvent } from '@tongban/eventstore';
import { appendUnchecked, newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import { uniqueName, waitFor } from '@tongban/testing';
import { loadCheckpoint } from './checkpoint';
import { DeadLetterHeaders } from './dead-letter';
import { startConsumer } from './consumer';
import { decodeEnvelope } from './envelope';
import { IDLE_AFTER_MS, Relay, type RelayOptions } from './relay';
import { useMessagingTest } from './testing/env';

describe('Relay', () => {
  const running: Relay[] = [];
  const { env, consumers } = useMessagingTest(() => Promise.all(running.splice(0).map((relay) => relay.stop())));

  const newRelay = (options: Partial<RelayOptions> = {}): Relay => {
    const relay = new Relay({
      store: env.store,
      pool: env.pool,
      js: env.js,
      subjectPrefix: env.subjectPrefix,
      name: 'test-relay',
      intervalMs: 20,
      onError: () => undefined,
      ...options,
    });
    running.push(relay);
    return relay;
  };
  const waitForMessages = (count: number): Promise<unknown> =>
    waitFor(async () => (await env.messageCount()) >= count, {
      timeoutMs: 10_000,
      description: `${count} messages in ${env.streamName}`,
    });
  const storedMessages = async (count: number) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const msg = await env.jsm.streams.getMessage(env.streamName, { seq: i + 1 });
        if (!msg) throw new Error(`no message ${i + 1}`);
        return msg;
      }),
    );
  const readAllOrder = async (): Promise<RecordedEvent[]> => env.store.readAll(null, 10_000);

  it('publishes every event in global order with Nats-Msg-Id, subject by type and the envelope as payload, then saves its checkpoint', async () => {
    const streams = [newTicketStream(), newTicketStream(), newTicketStream()];
    for (const stream of streams) await env.appendEvents(stream, 4);
    const relay = newRelay({ batchSize: 5 });
    relay.start();
    await waitForMessages(12);
    await waitFor(() => relay.stats.batches === 3, { description: '3 checkpointed batches' });

    const expected = await readAllOrder();
    expect(expected).toHaveLength(12);
    const messages = await storedMessages(12);
    expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(expected.map((e) => e.id));
    expect(messages.map((m) => m.subject)).toEqual(expected.map((e) => `${env.subjectPrefix}.${e.type}`));
    expect(messages.map((m) => decodeEnvelope(m.data))).toEqual(expected);
    expect(messages[0]!.header.get('Tongban-Stream')).toBe(expected[0]!.stream);
    expect(await loadCheckpoint(env.pool, 'test-relay')).toEqual(expected[11]!.position);
    expect(relay.checkpoint).toEqual(expected[11]!.position);
  });

  it('is woken by the append itself (LISTEN eventstore_appended), not by its poll', async () => {
    const relay = newRelay({ intervalMs: 60_000 });
    relay.start();
    await waitFor(() => relay.isLeader, { description: 'relay to lead' });
    await waitFor(() => relay.stats.reads >= 1, { description: 'its first poll (finds nothing; then it sleeps a minute)' });
    const started = Date.now();
    await env.appendEvents(newTicketStream(), 3);
    await waitFor(async () => (await env.messageCount()) === 3, { timeoutMs: 5000, intervalMs: 10, description: '3 messages' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('once quiet while listening, polls at idleIntervalMs; appends still wake it at once, and keepAwake restores the fast pace', async () => {
    const relay = newRelay({ intervalMs: 20, idleIntervalMs: 60_000 });
    relay.start();
    await waitFor(() => relay.isLeader, { description: 'relay to lead' });
    // Fast polls (20 ms) until IDLE_AFTER_MS after the LISTEN connection's first wake-up, then one poll a minute.
    await waitFor(() => relay.stats.reads >= 20, { description: 'fast polls while not yet quiet' });
    await new Promise((r) => setTimeout(r, IDLE_AFTER_MS + 200));
    const quiet = relay.stats.reads;
    await new Promise((r) => setTimeout(r, 500));
    expect(relay.stats.reads - quiet).toBeLessThanOrEqual(1);
    const started = Date.now();
    await env.appendEvents(newTicketStream(), 2);
    await waitFor(async () => (await env.messageCount()) === 2, { timeoutMs: 5000, intervalMs: 10, description: '2 messages' });
    expect(Date.now() - started).toBeLessThan(2000);
    // keepAwake (events held back by an open transaction) restores the fast pace without a notification.
    await new Promise((r) => setTimeout(r, IDLE_AFTER_MS + 200));
    relay.keepAwake();
    relay.notify(); // ends the idle sleep in progress
    const awake = relay.stats.reads;
    await new Promise((r) => setTimeout(r, 500));
    expect(relay.stats.reads - awake).toBeGreaterThanOrEqual(5);
  });

  it('wakes early when notified', async () => {
    const relay = newRelay({ intervalMs: 60_000, listen: false });
    relay.start();
    await waitFor(() => relay.isLeader, { description: 'relay to lead' });
    await waitFor(() => relay.stats.reads >= 1, { description: 'its first poll (finds nothing; then it sleeps)' });
    const [event] = await env.appendEvents(newTicketStream(), 1);
    // The event is readable, yet the sleeping relay has not read again, so it cannot have published it.
    await waitFor(async () => (await env.store.readAll(null, 1000)).some((e) => e.id === event!.id), { description: 'the event to be readable' });
    expect(relay.stats.reads).toBe(1);
    expect(await env.messageCount()).toBe(0);
    relay.notify();
    await waitForMessages(1);
  });

  it('after a crash between publish and checkpoint, a restarted relay republishes the batch, JetStream drops the repeats, and a deduplicating consumer sees every event exactly once', async () => {
    const streams = [newTicketStream(), newTicketStream()];
    for (const stream of streams) await env.appendEvents(stream, 10);
    await env.appendEvents(streams[0]!, 3);
    const expected = await readAllOrder();
    expect(expected).toHaveLength(23);

    // A consumer that deduplicates by event id.
    const seen = new Map<string, number>();
    const order: string[] = [];
    consumers.push(
      await startConsumer({
        js: env.js,
        jsm: env.jsm,
        streamName: env.streamName,
        durable: uniqueName('dedup'),
        handler: async (event) => {
          seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
          if (seen.get(event.id) === 1) order.push(event.id);
        },
      }),
    );

    let batches = 0;
    let crashed: Promise<void> | undefined;
    const first = newRelay({
      batchSize: 5,
      hooks: {
        afterPublish: () => {
          batches += 1;
          if (batches === 2) {
            crashed = first.stop(); // the process dies here: published, checkpoint not saved
            throw new Error('simulated crash before the checkpoint save');
          }
        },
      },
    });
    first.start();
    await waitFor(() => crashed !== undefined, { description: 'the crash' });
    await crashed;
    expect(first.isLeader).toBe(false);
    expect(await env.messageCount()).toBe(10);
    expect(await loadCheckpoint(env.pool, 'test-relay')).toEqual(expected[4]!.position);

    const second = newRelay({ batchSize: 5 });
    second.start();
    await waitForMessages(23);
    await waitFor(() => second.stats.batches === 4, { description: 'the rest checkpointed' });
    expect(second.stats).toMatchObject({ published: 18, duplicates: 5 });
    expect(await env.messageCount()).toBe(23);

    // Appends after the restart flow through too.
    const later = await env.appendEvents(streams[1]!, 2);
    second.notify();
    await waitFor(() => order.length === 25, { timeoutMs: 10_000, description: 'the consumer to see 25 events' });
    expect(order).toEqual([...expected.map((e) => e.id), ...later.map((e) => e.id)]);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });

  it('lets only one replica publish at a time; another takes over from the checkpoint when it stops', async () => {
    const [a, b] = [newRelay(), newRelay()];
    a.start();
    b.start();
    // Both have tried the lock (the one not leading was refused), instead of sleeping.
    await waitFor(() => (a.isLeader || b.isLeader) && a.stats.leadAttempts >= 1 && b.stats.leadAttempts >= 1, { description: 'a leader, and both to have tried the lock' });
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];

    const stream = newTicketStream();
    await env.appendEvents(stream, 5);
    await waitForMessages(5);
    await leader.stop();
    await waitFor(() => follower.isLeader, { description: 'the follower to take over' });
    await env.appendEvents(stream, 5);
    await waitForMessages(10);
    await waitFor(() => follower.stats.batches >= 1, { description: 'the follower to checkpoint' });
    expect(leader.stats.published).toBe(5);
    expect(follower.stats).toMatchObject({ published: 5, duplicates: 0 });
    const ids = (await storedMessages(10)).map((m) => m.header.get('Nats-Msg-Id'));
    expect(ids).toEqual((await readAllOrder()).map((e) => e.id));
  });

  it('parks an event that can never be published (a type that is not a subject token) and carries on with the rest', async () => {
    const stream = newTicketStream();
    await env.appendEvents(stream, 2);
    // Stored by an older writer: the store itself now refuses such a type.
    await appendUnchecked(env.pool, stream, newTestEvent('Bogus.Event', { note: 'legacy' }));
    const other = newTicketStream();
    await env.appendEvents(other, 3);
    const parked: { id: string; reason: string }[] = [];
    const relay = newRelay({
      deadLetterSubject: `${env.deadLetterPrefix}.test-relay`,
      onParked: (event, reason) => parked.push({ id: event.id, reason }),
    });
    relay.start();
    await waitForMessages(5);
    await waitFor(() => relay.stats.parked === 1 && relay.stats.published === 5, { description: 'four published, one parked' });
    const all = await readAllOrder();
    const bogus = all.find((e) => e.type === 'Bogus.Event')!;
    expect(parked).toEqual([{ id: bogus.id, reason: 'unpublishable_event' }]);
    const dead = await env.jsm.streams.getMessage(env.deadLetterStream, { seq: 1 });
    expect(dead!.subject).toBe(`${env.deadLetterPrefix}.test-relay`);
    expect(dead!.header.get(DeadLetterHeaders.reason)).toBe('unpublishable_event');
    expect(dead!.header.get(DeadLetterHeaders.consumer)).toBe('test-relay');
    expect(decodeEnvelope(dead!.data)).toEqual(bogus);
    expect(await loadCheckpoint(env.pool, 'test-relay')).toEqual(all[all.length - 1]!.position);
  });
});
