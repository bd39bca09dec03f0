import type pg from 'pg';
import { newTicketStream } from '@tongban/eventstore';
import { uniqueName, waitFor } from '@tongban/testing';
import { v7 as uuidv7 } from 'uuid';
import { startConsumer, type RunningConsumer } from './consumer';
import { encodeEnvelope } from './envelope';
import { withProcessedEvent } from './processed';
import { setupMessagingTest, type MessagingTestEnv } from './test-env';

describe('withProcessedEvent', () => {
  let env: MessagingTestEnv;
  const consumers: RunningConsumer[] = [];

  beforeAll(async () => {
    env = await setupMessagingTest();
    await env.pool.query('CREATE TABLE effects (event_id uuid NOT NULL, note text)');
  });
  afterAll(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await env.dispose();
  });

  const effectsOf = async (eventId: string): Promise<number> =>
    (await env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM effects WHERE event_id = $1', [eventId])).rows[0]!.n;
  const applyEffect = (eventId: string) => async (client: pg.PoolClient) => {
    await client.query('INSERT INTO effects (event_id) VALUES ($1)', [eventId]);
  };

  it('runs the effect once per (consumer, event) and skips repeats', async () => {
    const eventId = uuidv7();
    expect(await withProcessedEvent(env.pool, 'projector', eventId, applyEffect(eventId))).toBe(true);
    expect(await withProcessedEvent(env.pool, 'projector', eventId, applyEffect(eventId))).toBe(false);
    expect(await effectsOf(eventId)).toBe(1);
    // Another consumer processes the same event on its own.
    expect(await withProcessedEvent(env.pool, 'notifier', eventId, async () => undefined)).toBe(true);
  });

  it('keeps neither effect nor record when the effect fails, so a retry applies it', async () => {
    const eventId = uuidv7();
    await expect(
      withProcessedEvent(env.pool, 'projector', eventId, async (client) => {
        await applyEffect(eventId)(client);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await effectsOf(eventId)).toBe(0);
    expect(await withProcessedEvent(env.pool, 'projector', eventId, applyEffect(eventId))).toBe(true);
    expect(await effectsOf(eventId)).toBe(1);
  });

  it('applies once when replicas process the same event concurrently', async () => {
    const eventId = uuidv7();
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        withProcessedEvent(env.pool, 'projector', eventId, async (client) => {
          await applyEffect(eventId)(client);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await effectsOf(eventId)).toBe(1);
  });

  it('a message redelivered after its effect committed (died before the ack) produces the effect once', async () => {
    const [event] = await env.appendEvents(newTicketStream(), 1);
    await env.js.publish(`${env.subjectPrefix}.${event!.type}`, encodeEnvelope(event!), { msgID: event!.id });
    const deliveries: number[] = [];
    const durable = uniqueName('effects');
    consumers.push(
      await startConsumer({
        js: env.js,
        jsm: env.jsm,
        streamName: env.streamName,
        durable,
        nakDelayMs: () => 20,
        onError: () => undefined,
        handler: async (e, msg) => {
          deliveries.push(msg.info.deliveryCount);
          await withProcessedEvent(env.pool, durable, e.id, applyEffect(e.id));
          if (msg.info.deliveryCount === 1) throw new Error('crashed before the ack');
        },
      }),
    );
    await waitFor(
      async () => {
        const info = await env.jsm.consumers.info(env.streamName, durable);
        return deliveries.length === 2 && info.num_ack_pending === 0 && info.num_pending === 0;
      },
      { description: 'the redelivery to be acked' },
    );
    expect(deliveries).toEqual([1, 2]);
    expect(await effectsOf(event!.id)).toBe(1);
  });
});
