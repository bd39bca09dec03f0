import type { Principal } from '@tongban/auth';
import type { notification } from '@tongban/contracts';
import { evolveAll } from '@tongban/domain';
import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import { toEnvelopes } from '@tongban/runtime';
import type pg from 'pg';
import { v5 as uuidv5 } from 'uuid';
import { noticesFor } from './recipients';

const MESSAGE_NAMESPACE = '8e0f3a52-41f4-4c43-9b55-5f2d1a1c7e90';

/**
 * Delivers the in-app inbox messages an event causes. The ticket's state at the event's revision is
 * read from the store; one row per (event, recipient) with a deterministic id, inserted with
 * ON CONFLICT DO NOTHING, so a redelivered event delivers nothing twice.
 */
export async function deliverInboxMessages(pool: pg.Pool, store: EventStore, event: RecordedEvent, createdAt: Date): Promise<number> {
  const state = evolveAll(toEnvelopes(await store.readStream(event.stream, { toRevision: event.revision })));
  let delivered = 0;
  for (const notice of noticesFor(event, state)) {
    const id = uuidv5(`${event.id}/${notice.recipient.kind}/${notice.recipient.id}`, MESSAGE_NAMESPACE);
    const res = await pool.query(
      `INSERT INTO inbox_messages (id, recipient_kind, recipient_id, ticket_id, kind, title, body, created_at, event_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
      [id, notice.recipient.kind, notice.recipient.id, state.ticketId, notice.kind, notice.title, notice.body, createdAt, event.id],
    );
    delivered += res.rowCount ?? 0;
  }
  return delivered;
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
