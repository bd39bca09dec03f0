import type { Principal } from '@tongban/auth';
import type { notification } from '@tongban/contracts';
import { parseShanghaiDateOrInstant } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import { ID_NAMESPACES, fail, uuidV5 } from '@tongban/runtime';
import type pg from 'pg';
import type { NotificationChannel, NoticeContext } from './channels';
import type { Notice } from './recipients';

/** The deterministic message id of a notice: one per (event, recipient), the same on every redelivery. */
export function messageIdOf(event: Pick<RecordedEvent, 'id'>, notice: Pick<Notice, 'recipient'>): string {
  return uuidV5(`${event.id}/${notice.recipient.kind}/${notice.recipient.id}`, ID_NAMESPACES.inboxMessage);
}

/**
 * The in-app inbox as a channel: one row per message id, inserted with ON CONFLICT DO NOTHING, so a
 * redelivered event delivers nothing twice; the notices of a batch of events in one statement (issue 13).
 * A message is stamped with its event's recorded time and revision (`ctx.createdAt` is the event's
 * `recordedAt`), so one inserted late — its event redelivered after a failure while later events went
 * ahead — still sorts before the notices of later events.
 */
export function inboxChannel(pool: pg.Pool): NotificationChannel {
  const deliverMany = async (items: readonly { notice: Notice; context: NoticeContext }[]): Promise<void> => {
    const column = <T>(value: (notice: Notice, ctx: NoticeContext) => T): T[] => items.map(({ notice, context }) => value(notice, context));
    // A named (prepared) statement: parsed and planned once per connection (issue 13).
    await pool.query({
      name: 'notification_inbox_insert_many',
      text: `INSERT INTO inbox_messages (id, recipient_kind, recipient_id, ticket_id, kind, title, body, created_at, event_id, event_revision)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::uuid[], $10::int[])
       ON CONFLICT DO NOTHING`,
      values: [
        column((_, c) => c.messageId), column((n) => n.recipient.kind), column((n) => n.recipient.id), column((_, c) => c.state.ticketId),
        column((n) => n.kind), column((n) => n.title), column((n) => n.body), column((_, c) => c.createdAt.toISOString()),
        column((_, c) => c.event.id), column((_, c) => c.event.revision),
      ],
    });
  };
  return {
    name: 'inbox',
    deliverMany,
    deliver: (notice, context) => deliverMany([{ notice, context }]),
  };
}

/** Who reads an inbox: the recipients whose messages it shows, and the person whose read state counts. */
interface InboxReader {
  recipients: [string, string][];
  /** The person: `staff` (the staff id) or `device` (the device id). */
  kind: string;
  id: string;
  /** The unit the person reads as (staff; '' for devices): the read-up-to marker is per person and unit. */
  scope: string;
}

/** The reader of the caller's inbox, or undefined when the caller has none (a system, an Open311 client without a device). */
function readerOf(principal: Principal): InboxReader | undefined {
  if (principal.kind === 'citizen') return { recipients: [['device', principal.id]], kind: 'device', id: principal.id, scope: '' };
  if (principal.kind === 'staff') return { recipients: [['staff', principal.id], ['unit', principal.unitId]], kind: 'staff', id: principal.id, scope: principal.unitId };
  if (principal.kind === 'open311' && principal.deviceId) return { recipients: [['device', principal.deviceId]], kind: 'device', id: principal.deviceId, scope: '' };
  return undefined;
}

/** `(m.recipient_kind, m.recipient_id) IN reader.recipients`, with parameters from `$<first>`. */
function recipientClause(reader: InboxReader, first: number): string {
  return `(${reader.recipients.map((_, i) => `(m.recipient_kind = $${first + 2 * i} AND m.recipient_id = $${first + 2 * i + 1})`).join(' OR ')})`;
}

/**
 * `true` when the message `m` is read by the reader whose kind, id and scope are `$1`, `$2`, `$3`: marked
 * one by one (inbox_reads), or at or before the reader's read-up-to marker in the inbox's order
 * (created_at, event_revision, id).
 */
const READ_SQL = `(EXISTS (SELECT 1 FROM inbox_reads r WHERE r.reader_kind = $1 AND r.reader_id = $2 AND r.message_id = m.id)
  OR EXISTS (SELECT 1 FROM inbox_read_marks w WHERE w.reader_kind = $1 AND w.reader_id = $2 AND w.scope = $3
    AND (m.created_at, m.event_revision, m.id) <= (w.up_to_created_at, w.up_to_revision, w.up_to_id)))`;

/** The reader's unread messages in the whole inbox. */
async function unreadCount(pool: pg.Pool | pg.PoolClient, reader: InboxReader): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM inbox_messages m WHERE ${recipientClause(reader, 4)} AND NOT ${READ_SQL}`,
    [reader.kind, reader.id, reader.scope, ...reader.recipients.flat()],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * ListInbox: the caller's messages, newest first by their event (recorded time, then revision within the
 * ticket): a device's own; a staff member's own plus their unit's. Each says whether the caller has read
 * it (MarkInboxRead); `unread` counts the caller's unread messages in the whole inbox.
 */
export async function listInbox(pool: pg.Pool, principal: Principal, req: notification.ListInboxRequest): Promise<notification.ListInboxResponse> {
  const limit = Math.min(Math.max(req.limit || 100, 1), 500);
  const reader = readerOf(principal);
  if (!reader) return { messages: [], unread: 0 };
  const { rows } = await pool.query<{ id: string; ticket_id: string; kind: string; title: string; body: string; created_at: Date; event_id: string; read: boolean }>(
    `SELECT m.id, m.ticket_id, m.kind, m.title, m.body, m.created_at, m.event_id, ${READ_SQL} AS read
     FROM inbox_messages m WHERE ${recipientClause(reader, 4)}
     ORDER BY m.created_at DESC, m.event_revision DESC, m.id DESC LIMIT ${limit}`,
    [reader.kind, reader.id, reader.scope, ...reader.recipients.flat()],
  );
  return {
    messages: rows.map((r) => ({
      id: r.id, ticketId: r.ticket_id, kind: r.kind, title: r.title, body: r.body, createdAt: r.created_at.toISOString(), eventId: r.event_id, read: r.read,
    })),
    unread: await unreadCount(pool, reader),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A UTC ISO-8601 instant as the API writes them (date, time, optional fraction, Z or an offset). */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Most message ids one MarkInboxRead may name. */
const MARK_READ_MAX_IDS = 500;

/**
 * MarkInboxRead: marks messages of the caller's inbox read for the caller (per person; for staff the
 * read-up-to marker is per person and unit, one-by-one reads are per person). Either `upTo` — a message
 * id, or an instant (the newest message created at or before it) — moves the caller's marker to that
 * message in the inbox's order (never back), or `messageIds` marks those messages. Idempotent.
 * @returns the caller's unread count afterwards.
 * @throws ServiceFailure INVALID_ARGUMENT `invalid_read_marker` (neither or both, an upTo that is no id or
 *   instant, an id that is no UUID, more than {@link MARK_READ_MAX_IDS} ids), NOT_FOUND `inbox_message_not_found`
 *   (an id that is not in the caller's inbox: nothing is marked), PERMISSION_DENIED `no_inbox` (a caller without an inbox).
 */
export async function markInboxRead(pool: pg.Pool, principal: Principal, req: notification.MarkInboxReadRequest): Promise<notification.MarkInboxReadResponse> {
  const reader = readerOf(principal);
  if (!reader) throw fail.forbidden('no_inbox', 'this caller has no inbox');
  const upTo = req.upTo.trim();
  const ids = [...new Set(req.messageIds.map((id) => id.trim().toLowerCase()))];
  if ((upTo === '') === (ids.length === 0)) throw fail.invalid('invalid_read_marker', 'give either upTo (a message id or an instant) or ids');
  if (ids.length > MARK_READ_MAX_IDS) throw fail.invalid('invalid_read_marker', `at most ${MARK_READ_MAX_IDS} ids at once`);
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw fail.invalid('invalid_read_marker', `${JSON.stringify(bad.slice(0, 64))} is not a message id`);
  const recipients = recipientClause(reader, 2);
  if (ids.length > 0) {
    const { rows } = await pool.query<{ id: string }>(`SELECT m.id FROM inbox_messages m WHERE m.id = ANY($1::uuid[]) AND ${recipients}`, [ids, ...reader.recipients.flat()]);
    const known = new Set(rows.map((r) => r.id));
    const missing = ids.find((id) => !known.has(id));
    if (missing !== undefined) throw fail.notFound('inbox_message_not_found', `no message ${missing} in your inbox`);
    await pool.query(
      `INSERT INTO inbox_reads (reader_kind, reader_id, message_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING`,
      [reader.kind, reader.id, ids],
    );
    return { unread: await unreadCount(pool, reader) };
  }
  type Position = { created_at: Date; event_revision: number; id: string };
  let target: Position | undefined;
  if (UUID.test(upTo)) {
    ({ rows: [target] } = await pool.query<Position>(`SELECT m.created_at, m.event_revision, m.id FROM inbox_messages m WHERE m.id = $1 AND ${recipients}`, [upTo.toLowerCase(), ...reader.recipients.flat()]));
    if (!target) throw fail.notFound('inbox_message_not_found', `no message ${upTo} in your inbox`);
  } else {
    const at = INSTANT.test(upTo) ? parseShanghaiDateOrInstant(upTo) : NaN; // an instant, on a day that exists
    if (Number.isNaN(at)) throw fail.invalid('invalid_read_marker', 'upTo must be a message id or an ISO-8601 instant');
    // The newest message at or before the instant: a marker never covers messages still to come.
    ({ rows: [target] } = await pool.query<Position>(
      `SELECT m.created_at, m.event_revision, m.id FROM inbox_messages m WHERE m.created_at <= $1 AND ${recipients}
       ORDER BY m.created_at DESC, m.event_revision DESC, m.id DESC LIMIT 1`,
      [new Date(at), ...reader.recipients.flat()],
    ));
  }
  if (target) {
    await pool.query(
      `INSERT INTO inbox_read_marks AS w (reader_kind, reader_id, scope, up_to_created_at, up_to_revision, up_to_id) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (reader_kind, reader_id, scope) DO UPDATE SET
         up_to_created_at = EXCLUDED.up_to_created_at, up_to_revision = EXCLUDED.up_to_revision, up_to_id = EXCLUDED.up_to_id, updated_at = now()
       WHERE (w.up_to_created_at, w.up_to_revision, w.up_to_id) < (EXCLUDED.up_to_created_at, EXCLUDED.up_to_revision, EXCLUDED.up_to_id)`,
      [reader.kind, reader.id, reader.scope, target.created_at, target.event_revision, target.id],
    );
  }
  return { unread: await unreadCount(pool, reader) };
}
