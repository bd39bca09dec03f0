/**
 * Durable pull consumers of ticket events: explicit ack after the handler succeeds, nak with backoff
 * when it fails, and a dead letter (then term) once a message has had `maxDeliver` deliveries.
 * Handlers must be idempotent (see processed.ts): any message may come again or out of order.
 */
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { RecordedEvent } from '@tongban/eventstore';
import { publishDeadLetter } from './dead-letter';
import { decodeEnvelope } from './envelope';
import { deadLetterSubjectFor, TICKET_EVENTS_STREAM } from './subjects';

/** Handles one event; throwing makes the message be delivered again (or dead-lettered at the limit). */
export type EventHandler = (event: RecordedEvent, msg: JsMsg) => Promise<void>;

/** Options of {@link startConsumer}. */
export interface ConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Stream to consume (default `TICKET_EVENTS`). */
  streamName?: string;
  /** Durable consumer name, shared by all replicas of the service (a subject token). */
  durable: string;
  /** Subjects to receive, e.g. `["tickets.events.TicketSubmitted"]`; [] or omitted: all. More than one needs nats-server ≥ 2.10. */
  filterSubjects?: string[];
  handler: EventHandler;
  /** Deliveries before a failing message is dead-lettered (default 5). */
  maxDeliver?: number;
  /** Dead-letter subject (default `tickets.deadletter.<durable>`); a stream must capture it (see ensureDeadLetterStream). */
  deadLetterSubject?: string;
  /** Time the server waits for an ack before redelivering, ms (default 30000). Long handlers are kept alive with `working()`. */
  ackWaitMs?: number;
  /** Redelivery delay after the n-th failed delivery, ms (default 250·2^(n-1), at most 30 s). */
  nakDelayMs?: (deliveryCount: number) => number;
  /** Messages buffered per replica (default 10). */
  maxMessages?: number;
  /** Told about every handler failure and every failed dead-letter publish. Default: console.error. */
  onError?: (error: unknown, msg: JsMsg) => void;
}

/** A running consumer. */
export interface RunningConsumer {
  /** Stops pulling and waits for the message in hand to be settled (acked, naked or dead-lettered). */
  stop(): Promise<void>;
}

/** Default backoff: 250 ms, 500 ms, 1 s, … capped at 30 s. */
export function defaultNakDelayMs(deliveryCount: number): number {
  return Math.min(250 * 2 ** Math.max(0, deliveryCount - 1), 30_000);
}

/**
 * Creates (or updates) the durable pull consumer — explicit ack, deliver all, unlimited server-side
 * redeliveries so that the dead-lettering here is the only way a message leaves unprocessed — and
 * processes its messages one at a time until stopped.
 * Per message: undecodable payload → dead letter at once; handler resolves → ack; handler throws →
 * nak(delay) while deliveries < maxDeliver, else dead letter and term. If the dead-letter publish
 * fails the message is naked, never dropped.
 * @throws JetStreamApiError when the stream does not exist or the consumer cannot be created.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const streamName = options.streamName ?? TICKET_EVENTS_STREAM;
  const maxDeliver = options.maxDeliver ?? 5;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const nakDelayMs = options.nakDelayMs ?? defaultNakDelayMs;
  const deadLetterSubject = options.deadLetterSubject ?? deadLetterSubjectFor(options.durable);
  const onError = options.onError ?? ((error: unknown) => console.error(`consumer ${options.durable}:`, error));
  if (!(Number.isInteger(maxDeliver) && maxDeliver >= 1)) throw new RangeError('maxDeliver must be a positive integer');

  await ensureDurable(options.jsm, streamName, options.durable, ackWaitMs, options.filterSubjects ?? []);
  const consumer = await options.js.consumers.get(streamName, options.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: options.maxMessages ?? 10 });

  const deadLetter = async (msg: JsMsg, error: unknown): Promise<void> => {
    try {
      await publishDeadLetter(options.js, deadLetterSubject, msg, error, options.durable);
      msg.term();
    } catch (publishError) {
      onError(publishError, msg);
      msg.nak(nakDelayMs(msg.info.deliveryCount));
    }
  };

  const handle = async (msg: JsMsg): Promise<void> => {
    const deliveries = msg.info.deliveryCount;
    let event: RecordedEvent;
    try {
      event = decodeEnvelope(msg.data);
    } catch (error) {
      onError(error, msg);
      return deadLetter(msg, error);
    }
    if (deliveries > maxDeliver) {
      // Delivered again after the limit (e.g. the replica died before settling it): give up now.
      return deadLetter(msg, new Error(`no successful handling within ${maxDeliver} deliveries`));
    }
    const keepAlive = setInterval(() => msg.working(), Math.max(ackWaitMs / 2, 100));
    try {
      await options.handler(event, msg);
      msg.ack();
    } catch (error) {
      onError(error, msg);
      if (deliveries >= maxDeliver) await deadLetter(msg, error);
      else msg.nak(nakDelayMs(deliveries));
    } finally {
      clearInterval(keepAlive);
    }
  };

  const loop = (async () => {
    for await (const msg of messages) {
      try {
        await handle(msg);
      } catch (error) {
        // Only a throwing onError gets here; the message is left unsettled and comes back after ack_wait.
        console.error(`consumer ${options.durable}:`, error);
      }
    }
  })();

  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        await messages.close();
        await loop;
      })();
      return stopped;
    },
  };
}

async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  ackWaitMs: number,
  filterSubjects: string[],
): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_deliver: -1,
  };
  if (filterSubjects.length === 1) config.filter_subject = filterSubjects[0];
  else if (filterSubjects.length > 1) config.filter_subjects = filterSubjects;
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    // An existing durable with another configuration: update what may change.
    const { durable_name: _name, deliver_policy: _policy, ...updatable } = config;
    try {
      await jsm.consumers.update(stream, durable, updatable);
    } catch {
      throw error;
    }
  }
}
