import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { natsUrl, uniqueName } from '@tongban/testing';
import { connectNats, ensureDeadLetterStream, ensureTicketEventsStream, MIN_DUPLICATE_WINDOW_MS } from './nats';

describe('JetStream streams', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const created: string[] = [];

  beforeAll(async () => {
    nc = await connectNats(natsUrl());
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const name of created) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });

  it('creates the ticket events stream over <prefix>.> with a duplicate window of at least 10 minutes, then converges', async () => {
    const streamName = uniqueName('ev');
    const subjectPrefix = `${uniqueName('t')}.events`;
    created.push(streamName);
    const info = await ensureTicketEventsStream(jsm, { streamName, subjectPrefix, duplicateWindowMs: 1000 });
    expect(info.config.subjects).toEqual([`${subjectPrefix}.>`]);
    expect(info.config.duplicate_window).toBe(nanos(MIN_DUPLICATE_WINDOW_MS));

    const again = await ensureTicketEventsStream(jsm, { streamName, subjectPrefix, duplicateWindowMs: 20 * 60_000 });
    expect(again.config.duplicate_window).toBe(nanos(20 * 60_000));
    const concurrent = await Promise.all([
      ensureTicketEventsStream(jsm, { streamName, subjectPrefix }),
      ensureTicketEventsStream(jsm, { streamName, subjectPrefix }),
    ]);
    expect(concurrent.map((i) => i.config.name)).toEqual([streamName, streamName]);
  });

  it('drops a repeated Nats-Msg-Id within the window', async () => {
    const streamName = uniqueName('ev');
    const subjectPrefix = `${uniqueName('t')}.events`;
    created.push(streamName);
    await ensureTicketEventsStream(jsm, { streamName, subjectPrefix });
    const js = jetstream(nc);
    const first = await js.publish(`${subjectPrefix}.TicketSubmitted`, 'a', { msgID: 'same-id' });
    const second = await js.publish(`${subjectPrefix}.TicketSubmitted`, 'a', { msgID: 'same-id' });
    expect(first.duplicate).toBe(false);
    expect(second).toMatchObject({ duplicate: true, seq: first.seq });
    expect((await jsm.streams.info(streamName)).state.messages).toBe(1);
  });

  it('creates a dead-letter stream', async () => {
    const streamName = uniqueName('dl');
    const subjectPrefix = `${uniqueName('t')}.deadletter`;
    created.push(streamName);
    const info = await ensureDeadLetterStream(jsm, { streamName, subjectPrefix });
    expect(info.config.subjects).toEqual([`${subjectPrefix}.>`]);
  });
});
