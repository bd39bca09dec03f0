import type { TicketState } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import type { Notice } from './recipients';

/** What a channel knows about a notice beside its content. */
export interface NoticeContext {
  /** Deterministic per (event, recipient): the same on every redelivery of the event (see {@link messageIdOf}). */
  messageId: string;
  /** The event that caused the notice. */
  event: RecordedEvent;
  /** The ticket's state at the event's revision. */
  state: TicketState;
  /** The notice's time: its event's recorded time (UTC), so a late redelivery never looks newer (the inbox order). */
  createdAt: Date;
  /**
   * The reporter's contact as given with the report (TicketSubmitted): phone, e-mail, the contact of the
   * person reported for. Opened only when a notice of the event goes to the reporter; empty fields otherwise
   * (notices to units and followers never use it).
   */
  reporterContact: ReporterContact;
}

/** Personal data the SMS and e-mail channels need, read from TicketSubmitted (never from the read model). */
export interface ReporterContact {
  phone: string;
  email: string;
  /** onBehalfOf.contact: a phone given (with consent) for the person an officer reported for. */
  onBehalfOfContact: string;
  /** The reporter's language (TicketSubmitted reporter.language); empty: zh-Hans. */
  language: string;
}

/**
 * One way of telling someone (in-app inbox, signed webhook, …). `deliver` must be idempotent per
 * `context.messageId` (a redelivered event calls it again) and throws when delivery failed and should
 * be retried: the event is then redelivered by the consumer, with backoff, up to its dead letter.
 */
export interface NotificationChannel {
  readonly name: string;
  deliver(notice: Notice, context: NoticeContext): Promise<void>;
  /**
   * Delivers several notices at once (of a batch of events, issue 13), all or nothing or idempotent like
   * `deliver`: when it throws, the events are handled again one by one. Omit: `deliver` for each.
   */
  deliverMany?(items: readonly { notice: Notice; context: NoticeContext }[]): Promise<void>;
}

/** One or more channels failed for an event; the event is to be redelivered. */
export class ChannelDeliveryError extends Error {
  override readonly name = 'ChannelDeliveryError';
  readonly code = 'channel_delivery_failed';
  constructor(readonly failures: readonly { channel: string; messageId: string; error: unknown }[]) {
    super(`notification delivery failed: ${failures.map((f) => `${f.channel} ${f.messageId}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ')}`,
      { cause: failures[0]?.error });
  }
}
