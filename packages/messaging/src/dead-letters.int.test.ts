import { type RecordedEvent } from '@tongban/eventstore';
import { newTicketStream } from '@tongban/eventstore/testing';
import { uniqueName, waitFor } from '@tongban/testing';
import { startConsumer } from './consumer';
import { DeadLetterHeaders } from './dead-letter';
import { listDeadLetters, redriveDeadLetters, redriveSubject } from './dead-letters';
import { encodeEnvelope } from './envelope';
import { useMessagingTest } from './testing/env';

describe('dead letters: list and redrive', () => {
  const { env, consumers } = useMessagingTest();

  it('lists what a consumer parked, and a redrive hands each back to it exactly once', async () => {
    const events = await env.appendEvents(newTicketStream(), 3);
    for (const event of events) await env.js.publish(`${env.subjectPrefix}.${event.type}`, encodeEnvelope(event), { msgID: event.id });
    const durable = uniqueName('notify');
    const deadLetterSubject = `${env.deadLetterPrefix}.${durable}`;
    let broken = true; // the handler's bug, fixed before the redrive
    const effects = new Map<string, number>();
    const handler = async (event: RecordedEvent) => {
      if (broken && event.id !== events[0]!.id) throw new TypeError(`cannot handle ${event.type}`);
      effects.set(event.id, (effects.get(event.id) ?? 0) + 1);
    };
    const common = { js: env.js, jsm: env.jsm, deadLetterSubject, handler, maxDeliver: 2, nakDelayMs: () => 20, onStatus: () => undefined };
    consumers.push(await startConsumer({ ...common, streamName: env.streamName, durable }));
    consumers.push(await startConsumer({ ...common, streamName: env.deadLetterStream, durable: `${durable}-redrive`, filterSubjects: [redriveSubject(deadLetterSubject)] }));
    const location = { stream: env.deadLetterStream, prefix: env.deadLetterPrefix };

    await waitFor(async () => (await listDeadLetters(env.js, env.jsm, location)).length === 2, { timeoutMs: 10_000, description: 'two dead letters' });
    const letters = await listDeadLetters(env.js, env.jsm, location, durable);
    expect(letters.map((d) => d.event?.id)).toEqual([events[1]!.id, events[2]!.id]);
    expect(letters[0]).toMatchObject({ consumer: durable, reason: 'handler_failed', errorName: 'TypeError', deliveries: 2, event: { type: events[1]!.type, stream: events[1]!.stream, revision: events[1]!.revision } });
    expect(await listDeadLetters(env.js, env.jsm, location, 'someone-else')).toEqual([]);

    broken = false;
    const result = await redriveDeadLetters(env.js, env.jsm, location, { consumer: durable, seqs: [letters[0]!.seq] });
    expect(result.redriven.map((d) => d.seq)).toEqual([letters[0]!.seq]);
    await waitFor(() => effects.get(events[1]!.id) === 1, { description: 'the first redriven event handled' });
    expect((await listDeadLetters(env.js, env.jsm, location)).map((d) => d.seq)).toEqual([letters[1]!.seq]);

    await redriveDeadLetters(env.js, env.jsm, location);
    await waitFor(() => effects.get(events[2]!.id) === 1, { description: 'the second redriven event handled' });
    expect(await listDeadLetters(env.js, env.jsm, location)).toEqual([]);
    // Running it again redrives nothing, and nothing was handled twice.
    expect((await redriveDeadLetters(env.js, env.jsm, location)).redriven).toEqual([]);
    // Both consumers (the stream's and the redrive subject's) hold nothing pending or unacknowledged.
    await waitFor(async () => {
      const infos = await Promise.all([
        env.jsm.consumers.info(env.streamName, durable),
        env.jsm.consumers.info(env.deadLetterStream, `${durable}-redrive`),
      ]);
      return infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0);
    }, { description: 'nothing left to deliver' });
    expect([...effects.values()]).toEqual([1, 1, 1]);
    const copy = await env.jsm.streams.getMessage(env.deadLetterStream, { last_by_subj: redriveSubject(deadLetterSubject) });
    expect(copy!.header.get(DeadLetterHeaders.redriveOf)).toBe(String(letters[1]!.seq));
  });
});
