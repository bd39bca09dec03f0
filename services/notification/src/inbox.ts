import type { Principal } from '@tongban/auth';
import type { notification } from '@tongban/contracts';
import { evolveAll } from '@tongban/domain';
import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import { singleMetric } from '@tongban/messaging';
import { ID_NAMESPACES, toEnvelopes } from '@tongban/runtime';
import type pg from 'pg';
import { Counter } from 'prom-client';
import { v5 as uuidv5 } from 'uuid';
import { ChannelDeliveryError, type NotificationChannel, type NoticeContext, type ReporterContact } from './channels';
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
import { DEFAULT_LANGUAGE, isLanguage } from '@tongban/i18n';

/** The deterministic message id of a notice: one per (event, recipient), the same on every redelivery. */
export function messageIdOf(event: Pick<RecordedEvent, 'id'>, notice: Pick<Notice, 'recipient'>): string {
  return uuidv5(`${event.id}/${notice.recipient.kind}/${notice.recipient.id}`, ID_NAMESPACES.inboxMessage);
}

/**
 * The in-app inbox as a channel: one row per message id, inserted with ON CONFLICT DO NOTHING, so a
 * redelivered event delivers nothing twice. A message is stamped with its event's recorded time and
 * revision (`ctx.createdAt` is the event's `recordedAt`), so one inserted late — its event redelivered
 * after a failure while later events went ahead — still sorts before the notices of later events.
 */
export function inboxChannel(pool: pg.Pool): NotificationChannel {
  return {
    name: 'inbox',
    async deliver(notice: Notice, ctx: NoticeContext): Promise<void> {
      await pool.query(
        `INSERT INTO inbox_messages (id, recipient_kind, recipient_id, ticket_id, kind, title, body, created_at, event_id, event_revision)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING`,
        [ctx.messageId, notice.recipient.kind, notice.recipient.id, ctx.state.ticketId, notice.kind, notice.title, notice.body, ctx.createdAt, ctx.event.id, ctx.event.revision],
      );
    },
  };
}

/**
 * Hands every notice an event causes to every channel. The ticket's state at the event's revision is
 * read from the store (only for event types that can give notices). Every channel gets every notice
 * even when another fails; then, when any failed, throws {@link ChannelDeliveryError} so that the
 * consumer redelivers the event (channels are idempotent per message id, so what succeeded is not
 * repeated).
 */
export async function deliverNotices(
  channels: readonly NotificationChannel[], store: EventStore, event: RecordedEvent, createdAt: Date, options: NoticeOptions = {},
): Promise<number> {
  if (!NOTIFYING_EVENT_TYPES.has(event.type)) return 0; // no notice whatever the state: skip reading the stream
  const stream = await store.readStream(event.stream, { toRevision: event.revision });
  const state = evolveAll(toEnvelopes(stream));
  const reporterContact = reporterContactOf(stream[0]);
  // Messages to the reporter are written in the language they submitted in (their stored language).
  const reporter = reporterOf(state);
  const stored = isLanguage(reporterContact.language) ? reporterContact.language : undefined;
  // A follower who came with a merged duplicate (issue 14 item 5) hears in the language of its own report.
  const followerLanguage = (r: { kind: string; id: string }) => {
    const language = r.kind === 'device' ? state.followerLanguages?.[r.id] : undefined;
    return isLanguage(language) ? language : undefined;
  };
  const notices = noticesFor(event, state, {
    ...options,
    languageOf: (r) => (stored && reporter && r.kind === reporter.kind && r.id === reporter.id ? stored
      : followerLanguage(r) ?? options.languageOf?.(r) ?? DEFAULT_LANGUAGE),
  });
  const failures: { channel: string; messageId: string; error: unknown }[] = [];
  for (const notice of notices) {
    const context: NoticeContext = { messageId: messageIdOf(event, notice), event, state, createdAt, reporterContact };
    for (const channel of channels) {
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
  return notices.length;
}

/** The reporter's contact from the stream's TicketSubmitted (empty fields when absent). */
function reporterContactOf(first: RecordedEvent | undefined): ReporterContact {
  const data = (first?.type === 'TicketSubmitted' ? first.data : {}) as { reporter?: { phone?: string; email?: string; language?: string }; onBehalfOf?: { contact?: string } };
  return { phone: data.reporter?.phone ?? '', email: data.reporter?.email ?? '', onBehalfOfContact: data.onBehalfOf?.contact ?? '', language: data.reporter?.language ?? '' };
}

/**
 * ListInbox: the caller's messages, newest first by their event (recorded time, then revision within the
 * ticket): a device's own; a staff member's own plus their unit's.
 */
export async function listInbox(pool: pg.Pool, principal: Principal, req: notification.ListInboxRequest): Promise<notification.ListInboxResponse> {
  const limit = Math.min(Math.max(req.limit || 100, 1), 500);
  const recipients: [string, string][] = principal.kind === 'citizen' ? [['device', principal.id]]
    : principal.kind === 'staff' ? [['staff', principal.id], ['unit', principal.unitId]]
    : principal.kind === 'open311' && principal.deviceId ? [['device', principal.deviceId]] : [];
  if (recipients.length === 0) return { messages: [] };
  const clauses = recipients.map((_, i) => `(recipient_kind = $${2 * i + 1} AND recipient_id = $${2 * i + 2})`);
  const { rows } = await pool.query<{ id: string; ticket_id: string; kind: string; title: string; body: string; created_at: Date; event_id: string }>(
    `SELECT id, ticket_id, kind, title, body, created_at, event_id FROM inbox_messages WHERE ${clauses.join(' OR ')}
     ORDER BY created_at DESC, event_revision DESC, id DESC LIMIT ${limit}`,
    recipients.flat(),
  );
  return {
    messages: rows.map((r) => ({ id: r.id, ticketId: r.ticket_id, kind: r.kind, title: r.title, body: r.body, createdAt: r.created_at.toISOString(), eventId: r.event_id })),
  };
}
