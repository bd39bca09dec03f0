import type { Principal } from '@tongban/auth';
import type { notification } from '@tongban/contracts';
import { evolveAll } from '@tongban/domain';
import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import { toEnvelopes } from '@tongban/runtime';
import type pg from 'pg';
import { v5 as uuidv5 } from 'uuid';
import { ChannelDeliveryError, type NotificationChannel, type NoticeContext } from './channels';
import { NOTIFYING_EVENT_TYPES, type Notice, noticesFor } from './recipients';

const MESSAGE_NAMESPACE = '8e0f3a52-41f4-4c43-9b55-5f2d1a1c7e90';

/** The deterministic message id of a notice: one per (event, recipient), the same on every redelivery. */
export function messageIdOf(event: Pick<RecordedEvent, 'id'>, notice: Pick<Notice, 'recipient'>): string {
  return uuidv5(`${event.id}/${notice.recipient.kind}/${notice.recipient.id}`, MESSAGE_NAMESPACE);
}

/**
 * The in-app inbox as a channel: one row per message id, inserted with ON CONFLICT DO NOTHING, so a
 * redelivered event delivers nothing twice.
 */
export function inboxChannel(pool: pg.Pool): NotificationChannel {
  return {
    name: 'inbox',
    async deliver(notice: Notice, ctx: NoticeContext): Promise<void> {
      await pool.query(
        `INSERT INTO inbox_messages (id, recipient_kind, recipient_id, ticket_id, kind, title, body, created_at, event_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
        [ctx.messageId, notice.recipient.kind, notice.recipient.id, ctx.state.ticketId, notice.kind, notice.title, notice.body, ctx.createdAt, ctx.event.id],
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
export async function deliverNotices(channels: readonly NotificationChannel[], store: EventStore, event: RecordedEvent, createdAt: Date): Promise<number> {
  if (!NOTIFYING_EVENT_TYPES.has(event.type)) return 0; // no notice whatever the state: skip reading the stream
  const state = evolveAll(toEnvelopes(await store.readStream(event.stream, { toRevision: event.revision })));
  const notices = noticesFor(event, state);
  const failures: { channel: string; messageId: string; error: unknown }[] = [];
  for (const notice of notices) {
    const context: NoticeContext = { messageId: messageIdOf(event, notice), event, state, createdAt };
    for (const channel of channels) {
      try {
        await channel.deliver(notice, context);
      } catch (error) {
        failures.push({ channel: channel.name, messageId: context.messageId, error });
      }
    }
  }
  if (failures.length > 0) throw new ChannelDeliveryError(failures);
  return notices.length;
}

/**
 * ListInbox: the caller's messages, newest first: a device's own; a staff member's own plus their unit's.
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
     ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
    recipients.flat(),
  );
  return {
    messages: rows.map((r) => ({ id: r.id, ticketId: r.ticket_id, kind: r.kind, title: r.title, body: r.body, createdAt: r.created_at.toISOString(), eventId: r.event_id })),
  };
}
