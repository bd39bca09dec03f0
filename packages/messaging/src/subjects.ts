/** Names on the bus: stream names and subjects of ticket events and dead letters. */

/** JetStream stream holding ticket events. */
export const TICKET_EVENTS_STREAM = 'TICKET_EVENTS';
/** Subject prefix of ticket events: `tickets.events.<EventType>`. */
export const TICKET_EVENTS_PREFIX = 'tickets.events';
/** JetStream stream holding dead letters. */
export const DEAD_LETTER_STREAM = 'TICKET_DEADLETTER';
/** Subject prefix of dead letters: `tickets.deadletter.<durable>`. */
export const DEAD_LETTER_PREFIX = 'tickets.deadletter';

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** True when `token` is one NATS subject token of the kind the platform uses (letters, digits, `_`, `-`). */
export function isSubjectToken(token: string): boolean {
  return TOKEN.test(token);
}

/**
 * The subject an event of `type` is published on: `<prefix>.<type>`.
 * @throws Error when `type` is not a single subject token (letters, digits, `_`, `-`).
 */
export function eventSubject(prefix: string, type: string): string {
  if (!TOKEN.test(type)) throw new Error(`event type ${JSON.stringify(type)} is not a valid subject token`);
  return `${prefix}.${type}`;
}

/**
 * The dead-letter subject of a durable consumer: `<prefix>.<durable>`.
 * @throws Error when `durable` is not a single subject token.
 */
export function deadLetterSubjectFor(durable: string, prefix: string = DEAD_LETTER_PREFIX): string {
  if (!TOKEN.test(durable)) throw new Error(`durable ${JSON.stringify(durable)} is not a valid subject token`);
  return `${prefix}.${durable}`;
}
