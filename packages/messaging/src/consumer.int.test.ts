import type { JsMsg } from '@nats-io/jetstream';
import { newTicketStream, type RecordedEvent } from '@tongban/eventstore';
import { uniqueName, waitFor } from '@tongban/testing';
import { startConsumer, type ConsumerOptions, type RunningConsumer } from './consumer';
import { DeadLetterHeaders } from './dead-letter';
import { decodeEnvelope, encodeEnvelope } from './envelope';
import { setupMessagingTest, type MessagingTestEnv } from './test-env';

describe('startConsumer', () => {
  let env: MessagingTestEnv;
  const consumers: RunningConsumer[] = [];

  beforeEach(async () => {
    env = await setupMessagingTest();
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await env.dispose();
  });

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
      onError: () => undefined,
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
    // Terminated: not delivered again.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(attempts.get(poison.id)).toHaveLength(3);
    const info = await env.jsm.consumers.info(env.streamName, durable);
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
    const durable = uniqueName('nodlq');
    await start({
      durable,
      maxDeliver: 1,
      nakDelayMs: () => 30,
      deadLetterSubject: `${uniqueName('nowhere')}.deadletter`,
      handler: async () => {
        calls += 1;
        throw new Error('fails');
      },
    });
    await waitFor(() => calls >= 1, { description: 'a delivery' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const info = await env.jsm.consumers.info(env.streamName, durable);
    expect(info.num_ack_pending + info.num_pending).toBe(1);
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
