/**
 * Dead-letter administration: list what was parked and re-drive it (`npm run deadletters`).
 *
 * Consumers dead-letter to `<prefix>.<durable>` in the dead-letter stream. A re-drive copies a dead
 * letter to `<prefix>.<durable>.redrive`, which that service's redrive consumer hands to the same
 * (idempotent) handler, then deletes the dead letter; the copy's `Nats-Msg-Id` is derived from the dead
 * letter's sequence, so running the command twice (or after a crash between copy and delete) never
 * delivers it twice. Dead letters of the relay (events it could not publish) are re-published to the
 * event stream instead, with `Nats-Msg-Id` = event id.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { DeadLetterHeaders } from './dead-letter';
import { decodeEnvelope } from './envelope';
import { isSubjectToken } from './subjects';

/** One dead letter as stored. */
export interface DeadLetter {
  /** Sequence in the dead-letter stream (the id `redrive --seq` takes). */
  seq: number;
  subject: string;
  /** The durable consumer (or relay) that parked it. */
  consumer: string;
  /** Machine reason: handler_failed, unknown_event_type, undecodable_envelope, unpublishable_event, delivery_limit, … */
  reason: string;
  error: string;
  errorName: string;
  deliveries: number;
  originalSubject: string;
  originalSequence: number;
  /** When it was parked (UTC ISO-8601). */
  parkedAt: string;
  /** The event, when the payload is a readable envelope. */
  event?: { id: string; type: string; stream: string; revision: number };
}

/** Where the dead letters are. */
export interface DeadLetterLocation {
  /** The dead-letter stream, e.g. `TICKET_EVENTS_DEADLETTER`. */
  stream: string;
  /** Its subject prefix, e.g. `tongban.deadletter`. */
  prefix: string;
}

/** The suffix of re-drive subjects: `<prefix>.<durable>.redrive`. */
export const REDRIVE_SUFFIX = 'redrive';

/** The subject a consumer's re-driven dead letters are published on. */
export function redriveSubject(deadLetterSubject: string): string {
  return `${deadLetterSubject}.${REDRIVE_SUFFIX}`;
}

function toDeadLetter(msg: JsMsg, prefix: string): DeadLetter {
  const h = msg.headers;
  const get = (key: string) => h?.get(key) ?? '';
  let event: DeadLetter['event'];
  try {
    const e = decodeEnvelope(msg.data);
    event = { id: e.id, type: e.type, stream: e.stream, revision: e.revision };
  } catch {
    event = undefined;
  }
  return {
    seq: msg.seq,
    subject: msg.subject,
    consumer: get(DeadLetterHeaders.consumer) || msg.subject.slice(prefix.length + 1),
    reason: get(DeadLetterHeaders.reason) || 'handler_failed',
    error: get(DeadLetterHeaders.error),
    errorName: get(DeadLetterHeaders.errorName),
    deliveries: Number(get(DeadLetterHeaders.deliveryCount) || 0),
    originalSubject: get(DeadLetterHeaders.originalSubject),
    originalSequence: Number(get(DeadLetterHeaders.originalSequence) || 0),
    parkedAt: new Date(msg.info.timestampNanos / 1e6).toISOString(),
    ...(event ? { event } : {}),
  };
}

/**
 * Reads every dead letter at `location` (not the re-drive copies), in the order they were parked,
 * with their payloads; `consumer` keeps only those of one durable.
 */
async function readDeadLetters(
  js: JetStreamClient, jsm: JetStreamManager, location: DeadLetterLocation, consumer?: string,
): Promise<{ letter: DeadLetter; msg: JsMsg }[]> {
  const filter = consumer ? `${location.prefix}.${consumer}` : `${location.prefix}.*`;
  const info = await jsm.streams.info(location.stream, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  if (total === 0) return [];
  const ordered = await js.consumers.get(location.stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
  const found: { letter: DeadLetter; msg: JsMsg }[] = [];
  while (found.length < total) {
    const batch = await ordered.fetch({ max_messages: Math.min(total - found.length, 256), expires: 2000 });
    let got = 0;
    for await (const msg of batch) {
      got += 1;
      found.push({ letter: toDeadLetter(msg, location.prefix), msg });
      if (msg.info.pending === 0) break;
    }
    if (got === 0 || found[found.length - 1]?.msg.info.pending === 0) break;
  }
  return found;
}

/** Every dead letter at `location` (optionally of one consumer), oldest first. */
export async function listDeadLetters(
  js: JetStreamClient, jsm: JetStreamManager, location: DeadLetterLocation, consumer?: string,
): Promise<DeadLetter[]> {
  return (await readDeadLetters(js, jsm, location, consumer)).map((entry) => entry.letter);
}

/** Options of {@link redriveDeadLetters}. */
export interface RedriveOptions {
  /** Only this consumer's dead letters. */
  consumer?: string;
  /** Only these dead-letter sequences. */
  seqs?: readonly number[];
  /** The relay's dead letters are re-published to `<eventsPrefix>.<EventType>`. */
  relay?: { consumer: string; eventsPrefix: string };
}

/** Outcome of a re-drive. */
export interface RedriveResult {
  redriven: DeadLetter[];
  /** Dead letters left in place, and why (e.g. an event type that is still not a subject token). */
  refused: { letter: DeadLetter; why: string }[];
}

/**
 * Re-drives dead letters (all, or those of `consumer`, or the sequences in `seqs`): each is copied to
 * its consumer's re-drive subject (the relay's: re-published as the event), then deleted from the
 * dead-letter stream. Idempotent (see the module comment).
 */
export async function redriveDeadLetters(
  js: JetStreamClient, jsm: JetStreamManager, location: DeadLetterLocation, options: RedriveOptions = {},
): Promise<RedriveResult> {
  const wanted = options.seqs ? new Set(options.seqs) : undefined;
  const result: RedriveResult = { redriven: [], refused: [] };
  for (const { letter, msg } of await readDeadLetters(js, jsm, location, options.consumer)) {
    if (wanted && !wanted.has(letter.seq)) continue;
    if (options.relay && letter.consumer === options.relay.consumer) {
      if (!letter.event) { result.refused.push({ letter, why: 'the payload is not an event envelope' }); continue; }
      if (!isSubjectToken(letter.event.type)) {
        result.refused.push({ letter, why: `event type ${JSON.stringify(letter.event.type)} is not a valid subject token` });
        continue;
      }
      await js.publish(`${options.relay.eventsPrefix}.${letter.event.type}`, msg.data, { msgID: letter.event.id });
    } else {
      const h = natsHeaders();
      for (const [key, values] of msg.headers ?? []) if (key.toLowerCase() !== 'nats-msg-id') for (const value of values) h.append(key, value);
      h.set(DeadLetterHeaders.redriveOf, String(letter.seq));
      await js.publish(redriveSubject(letter.subject), msg.data, { headers: h, msgID: `redrive:${location.stream}:${letter.seq}` });
    }
    await jsm.streams.deleteMessage(location.stream, letter.seq, false);
    result.redriven.push(letter);
  }
  return result;
}
