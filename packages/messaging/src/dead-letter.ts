/** Moving a message that cannot be processed to a dead-letter subject, with why and where from. */
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';

/** Headers set on every dead letter (the original message's headers are copied too). */
export const DeadLetterHeaders = {
  /** Error message (one line, at most 1000 characters). */
  error: 'Tongban-Error',
  /** Error class name, e.g. `TypeError`. */
  errorName: 'Tongban-Error-Name',
  /** Subject the message was published on. */
  originalSubject: 'Tongban-Original-Subject',
  /** Stream and sequence of the original message. */
  originalStream: 'Tongban-Original-Stream',
  originalSequence: 'Tongban-Original-Sequence',
  /** Deliveries made before giving up. */
  deliveryCount: 'Tongban-Delivery-Count',
  /** Durable consumer that gave up (or the relay). */
  consumer: 'Tongban-Consumer',
  /** Machine reason: handler_failed, unknown_event_type, undecodable_envelope, unpublishable_event, delivery_limit. */
  reason: 'Tongban-Reason',
  /** On a re-drive copy: the dead letter's sequence in the dead-letter stream. */
  redriveOf: 'Tongban-Redrive-Of',
} as const;

/**
 * Publishes `msg`'s payload to `subject` through JetStream (so it is stored, and deduplicated by
 * `Nats-Msg-Id` = `<durable>:<stream>:<seq>` should this be repeated), with {@link DeadLetterHeaders}.
 * The caller terminates the original only after this resolves.
 * @throws the publish error (e.g. no stream captures `subject`): the caller must keep the message.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  subject: string,
  msg: JsMsg,
  error: unknown,
  durable: string,
  reason = 'handler_failed',
): Promise<void> {
  const h = headers();
  for (const [key, values] of msg.headers ?? []) {
    if (key.toLowerCase() === 'nats-msg-id') continue;
    for (const value of values) h.append(key, value);
  }
  const err = error instanceof Error ? error : new Error(String(error));
  h.set(DeadLetterHeaders.error, oneLine(err.message));
  h.set(DeadLetterHeaders.errorName, oneLine(err.name));
  h.set(DeadLetterHeaders.originalSubject, msg.subject);
  h.set(DeadLetterHeaders.originalStream, msg.info.stream);
  h.set(DeadLetterHeaders.originalSequence, String(msg.seq));
  h.set(DeadLetterHeaders.deliveryCount, String(msg.info.deliveryCount));
  h.set(DeadLetterHeaders.consumer, durable);
  h.set(DeadLetterHeaders.reason, reason);
  await js.publish(subject, msg.data, { headers: h, msgID: `${durable}:${msg.info.stream}:${msg.seq}` });
}

function oneLine(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').trim();
  return (flat.length > 1000 ? `${flat.slice(0, 997)}...` : flat) || '(no message)';
}
