import { type TicketEventEnvelope, type TicketState, evolveAll, initialTicketState, ticketIdOf } from '@tongban/domain';
import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import { DEFAULT_LANGUAGE, isLanguage } from '@tongban/i18n';
import { singleMetric } from '@tongban/messaging';
import { type LatestStates, type ReporterKeyStore, decodeTicketEvent, openSubmittedEvents } from '@tongban/runtime';
import { Counter } from 'prom-client';
import { ChannelDeliveryError, type NotificationChannel, type NoticeContext, type ReporterContact } from './channels';
import { messageIdOf } from './inbox';
import { NOTIFYING_EVENT_TYPES, type Notice, type NoticeOptions, noticesFor, reporterOf } from './recipients';

/**
 * Issue 12 item 3: notices handed to each channel (inbox, webhook, sms, email) and accepted, or failed
 * (the event is redelivered). The SMS and e-mail outcomes per address are in tongban_notification_deliveries_total.
 */
function noticeMetrics() {
  return {
    sent: singleMetric('tongban_notifications_sent_total', () => new Counter({
      name: 'tongban_notifications_sent_total', help: 'Notices a channel accepted, by channel', labelNames: ['channel'] as const,
    })),
    failed: singleMetric('tongban_notifications_failed_total', () => new Counter({
      name: 'tongban_notifications_failed_total', help: 'Notices a channel failed to deliver (the event is redelivered), by channel', labelNames: ['channel'] as const,
    })),
  };
}

/** A ticket's state after its event `revision`, and its first event (TicketSubmitted: the reporter's contact, sealed). */
export interface KnownTicket {
  revision: number;
  state: TicketState;
  /** The stream's revision 0 as stored (never opened here: the reporter's key is looked up at each use). */
  submitted: RecordedEvent | undefined;
}

/** How notices are delivered: the texts' options, the reporters' data keys to open a sealed contact, and the states folded before. */
export interface DeliveryOptions extends NoticeOptions {
  /**
   * Opens the reporter's sealed phone and e-mail (issue 14 item 6). An erased reporter — or a sealed one
   * without this — has no contact: no SMS or e-mail reaches them any more.
   */
  reporters?: ReporterKeyStore;
  /**
   * The ticket states this process folded before, by ticket id (omit: each ticket's stream is read up to
   * the event). Each is a true state of its ticket at its revision — folded from the ticket's events from
   * revision 0 on — so the next events of a ticket (a submission's routing, a second later) fold from it
   * without reading the stream (issue 13). An entry behind the stream (events another replica handled)
   * costs a read of the missing revisions only; one ahead of an event (a redelivery) is not used.
   */
  states?: LatestStates<KnownTicket>;
  /** A notice's time (default, and in the service: its event's recorded time, so a late redelivery never looks newer). */
  createdAt?: (event: RecordedEvent) => Date;
}

/** An event with its decoded envelope, when the caller has it already. */
interface Handled {
  event: RecordedEvent;
  envelope: TicketEventEnvelope | undefined;
}

/** The contact of a reporter who gets no notice of the event (notices to units and followers never use it). */
const NO_CONTACT: ReporterContact = Object.freeze({ phone: '', email: '', onBehalfOfContact: '', language: '' });

/**
 * Hands every notice that `events` cause to every channel — the events of any tickets, in any order, as
 * the consumer gives them (issue 13: a channel that can takes them all at once, the inbox in one
 * statement). The ticket's state at each event's revision is folded from the states in `options.states`
 * and the events themselves, and read from the store only for the revisions missing (nothing is read for
 * events that give no notice). The reporter's sealed contact is opened only for the events that tell the
 * reporter (one look-up for all). Every channel gets every notice even when another fails; then, when any
 * failed, throws {@link ChannelDeliveryError} so that the consumer redelivers the events (channels are
 * idempotent per message id, so what succeeded is not repeated). `envelopes[i]`, when given, is
 * `events[i]` decoded. Events of other streams are ignored.
 * @returns the number of notices.
 * @throws whatever reading the store throws; UndecodableEventError for an event this code cannot read.
 */
export async function deliverEventNotices(
  channels: readonly NotificationChannel[], store: EventStore, events: readonly RecordedEvent[], options: DeliveryOptions = {},
  envelopes?: readonly TicketEventEnvelope[],
): Promise<number> {
  const byTicket = new Map<string, Handled[]>();
  events.forEach((event, i) => {
    const ticketId = ticketIdOf(event.stream);
    if (ticketId === undefined) return;
    const list = byTicket.get(ticketId) ?? [];
    list.push({ event, envelope: envelopes?.[i] });
    byTicket.set(ticketId, list);
  });
  const notifying: { event: RecordedEvent; state: TicketState; submitted: RecordedEvent | undefined }[] = [];
  for (const [ticketId, list] of byTicket) {
    const sorted = list.sort((a, b) => a.event.revision - b.event.revision).filter((e, i, all) => i === 0 || all[i - 1]!.event.revision !== e.event.revision);
    const wanted = sorted.filter((e) => NOTIFYING_EVENT_TYPES.has(e.event.type));
    const folded = await foldStates(store, sorted, options.states?.get(ticketId), wanted.length > 0);
    if (!folded) continue;
    options.states?.remember(ticketId, folded.known);
    for (const { event } of wanted) notifying.push({ event, state: folded.at.get(event.revision)!, submitted: folded.known.submitted });
  }
  if (notifying.length === 0) return 0;
  // Rendered first without the reporter's contact; the events that tell the reporter again with it.
  const rendered = notifying.map((n) => render(n.event, n.state, undefined, options));
  const toReporter = notifying.flatMap((n, i) => (rendered[i]!.toReporter ? [i] : []));
  const contacts = new Map<number, ReporterContact>();
  if (toReporter.length > 0) {
    const opened = await reporterContacts(toReporter.map((i) => notifying[i]!.submitted), options.reporters);
    toReporter.forEach((i, k) => {
      const contact = opened[k]!;
      contacts.set(i, contact);
      rendered[i] = render(notifying[i]!.event, notifying[i]!.state, contact, options);
    });
  }
  const createdAt = options.createdAt ?? ((event: RecordedEvent) => new Date(event.recordedAt));
  const items = notifying.flatMap(({ event, state }, i) => {
    const context = { event, state, createdAt: createdAt(event), reporterContact: contacts.get(i) ?? NO_CONTACT };
    return rendered[i]!.notices.map((notice) => ({ notice, context: { ...context, messageId: messageIdOf(event, notice) } satisfies NoticeContext }));
  });
  const failures: { channel: string; messageId: string; error: unknown }[] = [];
  for (const channel of channels) {
    if (channel.deliverMany && items.length > 1) {
      try {
        await channel.deliverMany(items);
        noticeMetrics().sent.inc({ channel: channel.name }, items.length);
      } catch (error) {
        noticeMetrics().failed.inc({ channel: channel.name }, items.length);
        failures.push(...items.map((item) => ({ channel: channel.name, messageId: item.context.messageId, error })));
      }
      continue;
    }
    for (const { notice, context } of items) {
      try {
        await channel.deliver(notice, context);
        noticeMetrics().sent.inc({ channel: channel.name });
      } catch (error) {
        noticeMetrics().failed.inc({ channel: channel.name });
        failures.push({ channel: channel.name, messageId: context.messageId, error });
      }
    }
  }
  if (failures.length > 0) throw new ChannelDeliveryError(failures);
  return items.length;
}

/**
 * Hands every notice one event causes to every channel (see {@link deliverEventNotices}), stamped
 * `createdAt`. @returns the number of notices.
 */
export async function deliverNotices(
  channels: readonly NotificationChannel[], store: EventStore, event: RecordedEvent, createdAt: Date, options: DeliveryOptions = {},
): Promise<number> {
  return deliverEventNotices(channels, store, [event], { ...options, createdAt: () => createdAt });
}

/**
 * The ticket's state after each of `events` (one ticket's, in revision order, without repeats), and after
 * the last: folded on from `known` when the events follow it without a gap (from the initial state when
 * they start at revision 0), else with the missing revisions read from the store — only when `needed`
 * (undefined otherwise: nothing to fold without reading).
 * @throws Error when the store lacks a revision below an event's (it never should: events come from it).
 */
async function foldStates(
  store: EventStore, events: readonly Handled[], known: KnownTicket | undefined, needed: boolean,
): Promise<{ at: Map<number, TicketState>; known: KnownTicket } | undefined> {
  const first = events[0]!.event;
  const last = events[events.length - 1]!.event;
  const from = known && known.revision < first.revision ? known : undefined;
  const base = from?.revision ?? -1;
  let sequence: readonly Handled[] = events;
  if (!events.every((e, i) => e.event.revision === base + 1 + i)) {
    if (!needed) return undefined;
    const read = await store.readStream(first.stream, { fromRevision: base + 1, toRevision: last.revision });
    if (read.length !== last.revision - base || !read.every((e, i) => e.revision === base + 1 + i)) {
      throw new Error(`${first.stream}: read ${read.length} events for revisions ${base + 1}–${last.revision}`);
    }
    sequence = read.map((event) => ({ event, envelope: undefined }));
  }
  const at = new Map<number, TicketState>();
  let state = from?.state ?? initialTicketState();
  let submitted = from?.submitted;
  for (const { event, envelope } of sequence) {
    // One event at a time: each state is its own object (evolveAll copies, and never changes nested values in place).
    state = evolveAll([envelope ?? decodeTicketEvent(event)], state);
    at.set(event.revision, state);
    if (event.revision === 0) submitted = event;
  }
  return { at, known: { revision: last.revision, state, submitted } };
}

/**
 * The notices of an event in each recipient's language: the reporter's stored language when `contact`
 * gives one, a follower's own (issue 14 item 5), else `options.languageOf`. `toReporter`: one of them goes
 * to the reporter (so the texts may depend on the contact, and the channels need it).
 */
function render(event: RecordedEvent, state: TicketState, contact: ReporterContact | undefined, options: NoticeOptions): { notices: Notice[]; toReporter: boolean } {
  const reporter = reporterOf(state);
  const stored = contact && isLanguage(contact.language) ? contact.language : undefined;
  let toReporter = false;
  const notices = noticesFor(event, state, {
    ...options,
    languageOf: (r) => {
      if (reporter && r.kind === reporter.kind && r.id === reporter.id) {
        toReporter = true;
        if (stored) return stored;
      }
      // A follower who came with a merged duplicate hears in the language of its own report.
      const follower = r.kind === 'device' ? state.followerLanguages?.[r.id] : undefined;
      return isLanguage(follower) ? follower : options.languageOf?.(r) ?? DEFAULT_LANGUAGE;
    },
  });
  return { notices, toReporter };
}

/** The reporters' contacts from their streams' TicketSubmitted, opened when sealed (one look-up; empty fields when absent or erased). */
async function reporterContacts(submitted: readonly (RecordedEvent | undefined)[], reporters: ReporterKeyStore | undefined): Promise<ReporterContact[]> {
  const isSealed = (e: RecordedEvent | undefined) => Boolean((e?.data['reporter'] as { sealed?: string } | undefined)?.sealed);
  const sealed = submitted.filter((e): e is RecordedEvent => e !== undefined && isSealed(e));
  const opened = reporters && sealed.length > 0 ? await openSubmittedEvents(reporters, sealed) : [];
  const byId = new Map(opened.map((e) => [e.id, e]));
  return submitted.map((e) => {
    // Sealed without the keys: no contact.
    const first = e && isSealed(e) ? byId.get(e.id) : e;
    const data = (first?.type === 'TicketSubmitted' ? first.data : {}) as { reporter?: { phone?: string; email?: string; language?: string }; onBehalfOf?: { contact?: string } };
    return { phone: data.reporter?.phone ?? '', email: data.reporter?.email ?? '', onBehalfOfContact: data.onBehalfOf?.contact ?? '', language: data.reporter?.language ?? '' };
  });
}
