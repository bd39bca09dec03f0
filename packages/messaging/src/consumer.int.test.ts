import type { JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { type RecordedEvent } from '@tongban/eventstore';
import { newTicketStream } from '@tongban/eventstore/testing';
import { uniqueName, waitFor } from '@tongban/testing';
import { startConsumer, type ConsumerOptions, type ConsumerStatus } from './consumer';
import { DeadLetterHeaders } from './dead-letter';
import { decodeEnvelope, encodeEnvelope } from './envelope';
import { useMessagingTest } from './testing/env';

describe('startConsumer', () => {
  const { env, consumers } = useMessagingTest();

  const publish = async (events: RecordedEvent[]): Promise<void> => {
    for (const event of events) {
      await env.js.publish(`${env.subjectPrefix}.${event.type}`, encodeEnvelope(event), { msgID: event.id });
    }
  };
  const start = async (options: Partial<ConsumerOptions> & Pick<ConsumerOptions, 'handler' | 'durable'>) => {
    const consumer = await startConsumer({
      js: env.js,
      jsm: env.jsm,
      streamName: env.streamName,
      deadLetterSubject: `${env.deadLetterPrefix}.${options.durable}`,
      onStatus: () => undefined,
      ...options,
    });
    consumers.push(consumer);
    return consumer;
  };

  it('hands each event of the filtered subjects to the handler in order and acks it', async () => {
    const events = await env.appendEvents(newTicketStream(), 9);
    await publish(events);
    const got: RecordedEvent[] = [];
    const durable = uniqueName('submitted');
    await start({
      durable,
      filterSubjects: [`${env.subjectPrefix}.TicketSubmitted`],
      handler: async (event) => {
        got.push(event);
      },
    });
    const submitted = events.filter((e) => e.type === 'TicketSubmitted');
    await waitFor(() => got.length === submitted.length, { description: 'the submitted events' });
    expect(got).toEqual(submitted);
    await waitFor(
      async () => {
        const info = await env.jsm.consumers.info(env.streamName, durable);
        return info.num_ack_pending === 0 && info.num_pending === 0 && info.ack_floor.stream_seq > 0;
      },
      { description: 'everything acked' },
    );
  });

  it('handles different tickets in parallel and the events of one ticket one after another, in stream order', async () => {
    const streams = Array.from({ length: 6 }, () => newTicketStream());
    const all: RecordedEvent[] = [];
    for (const stream of streams) all.push(...await env.appendEvents(stream, 8));
    // Interleaved on the bus, as the relay publishes them in global order; the stream named in the header.
    const interleaved = Array.from({ length: 8 }, (_, i) => streams.map((stream) => all.filter((e) => e.stream === stream)[i]!)).flat();
    for (const event of interleaved) {
      const h = headers();
      h.set('Tongban-Stream', event.stream);
      await env.js.publish(`${env.subjectPrefix}.${event.type}`, encodeEnvelope(event), { msgID: event.id, headers: h });
    }
    const seen = new Map<string, number[]>();
    const busy = new Set<string>();
    let active = 0;
    let maxActive = 0;
    const overlaps: string[] = [];
    await start({
      durable: uniqueName('parallel'),
      concurrency: 4,
      handler: async (event) => {
        if (busy.has(event.stream)) overlaps.push(event.stream);
        busy.add(event.stream);
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
        seen.set(event.stream, [...(seen.get(event.stream) ?? []), event.revision]);
        active -= 1;
        busy.delete(event.stream);
      },
    });
    await waitFor(() => [...seen.values()].reduce((n, r) => n + r.length, 0) === 48, { description: '48 events handled' });
    expect(overlaps).toEqual([]);
    for (const stream of streams) expect(seen.get(stream)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(maxActive).toBeGreaterThan(1);
    expect(maxActive).toBeLessThanOrEqual(4);
  });

  it('redelivers after a failure (nak with backoff) and dead-letters a poison message after maxDeliver deliveries', async () => {
    const events = await env.appendEvents(newTicketStream(), 3);
    const poison = events[1]!;
    await publish(events);
    const attempts = new Map<string, number[]>();
    const done: string[] = [];
    const durable = uniqueName('poison');
    const delays: number[] = [];
    await start({
      durable,
      maxDeliver: 3,
      nakDelayMs: (n) => {
        delays.push(n);
        return 30;
      },
      handler: async (event, msg: JsMsg) => {
        attempts.set(event.id, [...(attempts.get(event.id) ?? []), msg.info.deliveryCount]);
        if (event.id === poison.id) throw new Error('cannot handle\nthis event');
        done.push(event.id);
      },
    });
    const dead = await waitFor(() => env.jsm.streams.getMessage(env.deadLetterStream, { seq: 1 }), {
      timeoutMs: 10_000,
      description: 'the dead letter',
    });
    expect(attempts.get(poison.id)).toEqual([1, 2, 3]);
    expect(delays).toEqual([1, 2]);
    expect(decodeEnvelope(dead.data)).toEqual(poison);
    expect(dead.subject).toBe(`${env.deadLetterPrefix}.${durable}`);
    expect(dead.header.get(DeadLetterHeaders.error)).toBe('cannot handle this event');
    expect(dead.header.get(DeadLetterHeaders.errorName)).toBe('Error');
    expect(dead.header.get(DeadLetterHeaders.originalSubject)).toBe(`${env.subjectPrefix}.${poison.type}`);
    expect(dead.header.get(DeadLetterHeaders.originalSequence)).toBe('2');
    expect(dead.header.get(DeadLetterHeaders.deliveryCount)).toBe('3');
    expect(dead.header.get(DeadLetterHeaders.consumer)).toBe(durable);
    await waitFor(() => done.length === 2, { description: 'the healthy events' });
    expect(done).toEqual([events[0]!.id, events[2]!.id]);
    // Terminated: not delivered again — the server holds nothing pending or unacknowledged for this consumer.
    const info = await waitFor(async () => {
      const i = await env.jsm.consumers.info(env.streamName, durable);
      return i.num_ack_pending === 0 && i.num_pending === 0 ? i : undefined;
    }, { description: 'nothing left to deliver' });
    expect(attempts.get(poison.id)).toHaveLength(3);
    expect(info.num_ack_pending).toBe(0);
    expect((await env.jsm.streams.info(env.deadLetterStream)).state.messages).toBe(1);
  });

  it('dead-letters an undecodable payload at once, without calling the handler', async () => {
    await env.js.publish(`${env.subjectPrefix}.TicketSubmitted`, 'not json', { msgID: 'garbage-1' });
    const handler = jest.fn(async () => undefined);
    await start({ durable: uniqueName('garbage'), handler });
    const dead = await waitFor(() => env.jsm.streams.getMessage(env.deadLetterStream, { seq: 1 }), {
      description: 'the dead letter',
    });
    expect(dead.string()).toBe('not json');
    expect(dead.header.get(DeadLetterHeaders.errorName)).toBe('EnvelopeDecodeError');
    expect(handler).not.toHaveBeenCalled();
  });

  it('keeps a failing message when the dead-letter subject has no stream (nothing is dropped)', async () => {
    const [event] = await env.appendEvents(newTicketStream(), 1);
    await publish([event!]);
    let calls = 0;
    let deadLetterFailures = 0;
    const durable = uniqueName('nodlq');
    await start({
      durable,
      maxDeliver: 1,
      onStatus: (status) => { if (status.type === 'dead_letter_failed') deadLetterFailures += 1; },
      nakDelayMs: () => 30,
      deadLetterSubject: `${uniqueName('nowhere')}.deadletter`,
      handler: async () => {
        calls += 1;
        throw new Error('fails');
      },
    });
    await waitFor(() => calls >= 1, { description: 'a delivery' });
    // The dead letter was tried and failed (the message is nak'd back instead of dropped).
    await waitFor(() => deadLetterFailures >= 1, { description: 'the failed dead letter' });
    const info = await env.jsm.consumers.info(env.streamName, durable);
    expect(info.num_ack_pending + info.num_pending).toBe(1);
  });

  it('retries a transient failure in place for as long as it lasts (no redelivery, no dead letter), then acks', async () => {
    const [event] = await env.appendEvents(newTicketStream(), 1);
    await publish([event!]);
    const deliveries: number[] = [];
    const statuses: ConsumerStatus[] = [];
    const durable = uniqueName('outage');
    await start({
      durable,
      maxDeliver: 2,
      transientDelayMs: () => 20,
      onStatus: (s) => statuses.push(s),
      handler: async (_e, msg) => {
        deliveries.push(msg.info.deliveryCount);
        if (deliveries.length <= 30) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    });
    await waitFor(async () => {
      const info = await env.jsm.consumers.info(env.streamName, durable);
      return deliveries.length === 31 && info.num_ack_pending === 0 && info.num_pending === 0;
    }, { timeoutMs: 10_000, description: '30 transient failures, then success and ack' });
    expect(new Set(deliveries)).toEqual(new Set([1])); // the same delivery, retried in place
    expect((await env.jsm.streams.info(env.deadLetterStream)).state.messages).toBe(0);
    expect(statuses.filter((s) => s.type === 'outage')[0]).toMatchObject({ attempts: 1, event: { id: event!.id } });
    expect(statuses.find((s) => s.type === 'recovered')).toMatchObject({ attempts: 30 });
    expect(statuses.some((s) => s.type === 'dead_lettered' || s.type === 'handler_failed')).toBe(false);
  });

  it('counts only deterministic failures toward the dead-letter limit', async () => {
    const [event] = await env.appendEvents(newTicketStream(), 1);
    await publish([event!]);
    let calls = 0;
    const durable = uniqueName('mixed');
    await start({
      durable,
      maxDeliver: 2,
      nakDelayMs: () => 20,
      transientDelayMs: () => 10,
      handler: async () => {
        calls += 1;
        // transient, transient, deterministic, transient, transient, deterministic → dead letter
        if (calls % 3 === 0) throw new TypeError('bad data');
        throw Object.assign(new Error('Connection terminated unexpectedly'), {});
      },
    });
    const dead = await waitFor(() => env.jsm.streams.getMessage(env.deadLetterStream, { seq: 1 }), { timeoutMs: 10_000, description: 'the dead letter' });
    expect(calls).toBe(6);
    expect(dead.header.get(DeadLetterHeaders.errorName)).toBe('TypeError');
    expect(dead.header.get(DeadLetterHeaders.reason)).toBe('handler_failed');
    expect(dead.header.get(DeadLetterHeaders.deliveryCount)).toBe('2');
  });

  it('parks a poison message at once (an event the handler cannot read), naming the reason', async () => {
    const [event] = await env.appendEvents(newTicketStream(), 1, ['BogusEvent']);
    await publish([event!]);
    const handler = jest.fn(async () => {
      throw Object.assign(new Error('unknown event type BogusEvent at revision 0'), { poison: true, reason: 'unknown_event_type' });
    });
    const statuses: ConsumerStatus[] = [];
    await start({ durable: uniqueName('poison'), handler, onStatus: (s) => statuses.push(s) });
    const dead = await waitFor(() => env.jsm.streams.getMessage(env.deadLetterStream, { seq: 1 }), { description: 'the dead letter' });
    expect(dead.header.get(DeadLetterHeaders.reason)).toBe('unknown_event_type');
    expect(decodeEnvelope(dead.data).id).toBe(event!.id);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(statuses.find((s) => s.type === 'dead_lettered')).toMatchObject({ reason: 'unknown_event_type', event: { id: event!.id } });
  });

  /** Publishes `streams` × `perStream` events, interleaved as the relay does, each with its stream header. */
  const publishInterleaved = async (streams: number, perStream: number): Promise<RecordedEvent[]> => {
    const names = Array.from({ length: streams }, () => newTicketStream());
    const byStream = new Map<string, RecordedEvent[]>();
    for (const stream of names) byStream.set(stream, await env.appendEvents(stream, perStream));
    const interleaved = Array.from({ length: perStream }, (_, i) => names.map((stream) => byStream.get(stream)![i]!)).flat();
    for (const event of interleaved) {
      const h = headers();
      h.set('Tongban-Stream', event.stream);
      await env.js.publish(`${env.subjectPrefix}.${event.type}`, encodeEnvelope(event), { msgID: event.id, headers: h });
    }
    return interleaved;
  };
  const settled = (durable: string) => waitFor(async () => {
    const info = await env.jsm.consumers.info(env.streamName, durable);
    return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
  }, { timeoutMs: 10_000, description: 'everything settled' });

  it('hands the messages at hand to the batch handler together, in delivery order, and acks them', async () => {
    const published = await publishInterleaved(4, 6);
    const batches: RecordedEvent[][] = [];
    const handler = jest.fn(async () => undefined);
    const durable = uniqueName('batches');
    await start({
      durable, handler, batchSize: 16,
      batchHandler: async (events, msgs) => {
        expect(msgs.map((m) => decodeEnvelope(m.data).id)).toEqual(events.map((e) => e.id));
        batches.push([...events]);
      },
    });
    await waitFor(() => batches.flat().length === published.length, { description: 'every event in a batch' });
    await settled(durable);
    expect(batches.flat()).toEqual(published);
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(16);
    expect(handler).not.toHaveBeenCalled();
  });

  it('handles a failed batch one by one: a poison message in the middle is parked, the others handled in stream order', async () => {
    const published = await publishInterleaved(3, 5);
    const poison = published[7]!;
    const single: RecordedEvent[] = [];
    const statuses: ConsumerStatus[] = [];
    const durable = uniqueName('batchpoison');
    let batchCalls = 0;
    await start({
      durable, onStatus: (s) => statuses.push(s),
      batchHandler: async (events) => {
        batchCalls += 1;
        // All or nothing, as a batch in one transaction.
        if (events.some((e) => e.id === poison.id)) throw new Error('cannot read one of them');
      },
      handler: async (event) => {
        if (event.id === poison.id) throw Object.assign(new Error('unknown event type'), { poison: true, reason: 'unknown_event_type' });
        single.push(event);
      },
    });
    const dead = await waitFor(() => env.jsm.streams.getMessage(env.deadLetterStream, { seq: 1 }), { description: 'the dead letter' });
    expect(decodeEnvelope(dead.data).id).toBe(poison.id);
    expect(dead.header.get(DeadLetterHeaders.reason)).toBe('unknown_event_type');
    await settled(durable);
    expect(batchCalls).toBeGreaterThanOrEqual(1);
    expect(statuses.find((s) => s.type === 'batch_failed')).toMatchObject({ transient: false });
    // Those of the failed batch were handled one by one, each stream in order, the poison left out.
    expect(single.map((e) => e.id)).not.toContain(poison.id);
    for (const stream of new Set(single.map((e) => e.stream))) {
      const revisions = single.filter((e) => e.stream === stream).map((e) => e.revision);
      expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
    }
    expect((await env.jsm.streams.info(env.deadLetterStream)).state.messages).toBe(1);
  });

  it('retries the messages of a batch that failed transiently in place, one by one, and acks them', async () => {
    await publishInterleaved(2, 3);
    const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    let down = 20;
    const single: string[] = [];
    const deliveries = new Set<number>();
    const statuses: ConsumerStatus[] = [];
    const durable = uniqueName('batchoutage');
    await start({
      durable, transientDelayMs: () => 10, maxDeliver: 1, onStatus: (s) => statuses.push(s),
      batchHandler: async () => { if (down > 0) throw refused(); },
      handler: async (event, msg) => {
        deliveries.add(msg.info.deliveryCount);
        if (--down > 0) throw refused();
        single.push(event.id);
      },
    });
    await settled(durable);
    await waitFor(() => single.length >= 1, { description: 'the first one handled after the outage' });
    expect(deliveries).toEqual(new Set([1])); // never redelivered: retried in place
    expect(statuses.find((s) => s.type === 'batch_failed')).toMatchObject({ transient: true });
    expect(statuses.some((s) => s.type === 'dead_lettered' || s.type === 'handler_failed')).toBe(false);
    expect((await env.jsm.streams.info(env.deadLetterStream)).state.messages).toBe(0);
  });

  it('stop() with a batch in hand: the batch is acked when it resolves, the messages not started are handed back, none lost', async () => {
    const published = await publishInterleaved(3, 4);
    const durable = uniqueName('batchstop');
    const first: RecordedEvent[] = [];
    let release: () => void = () => undefined;
    const inHand = new Promise<void>((resolve) => { release = resolve; });
    let started = false;
    const consumer = await start({
      durable, batchSize: 2, handler: async () => { throw new Error('not one by one'); },
      batchHandler: async (events) => {
        started = true;
        await inHand;
        first.push(...events);
      },
    });
    await waitFor(() => started, { description: 'the first batch in hand' });
    const stopping = consumer.stop();
    release();
    await stopping;
    // Only the batch in hand was handled: the others were not started once stop() was called.
    expect(first.length).toBeGreaterThanOrEqual(1);
    expect(first.length).toBeLessThanOrEqual(2);
    const second: RecordedEvent[] = [];
    await start({ durable, handler: async () => { throw new Error('not one by one'); }, batchHandler: async (events) => { second.push(...events); } });
    await settled(durable);
    // Handed back at once (nak): everything else comes again, and nothing acked comes twice.
    expect([...first, ...second].map((e) => e.id).sort()).toEqual(published.map((e) => e.id).sort());
  });

  it('stop() waits for the message in hand', async () => {
    const [event] = await env.appendEvents(newTicketStream(), 1);
    await publish([event!]);
    let finished = false;
    let started = false;
    const durable = uniqueName('slow');
    const consumer = await start({
      durable,
      handler: async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 200));
        finished = true;
      },
    });
    await waitFor(() => started, { description: 'the handler to start' });
    await consumer.stop();
    expect(finished).toBe(true);
  });
});
