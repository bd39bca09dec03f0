/**
 * The auditor's export: the events of a division's tickets recorded in a time range, one flat row per
 * event (NDJSON or CSV), personal data masked unless an unmasked export was asked for (and recorded,
 * see disclosure.ts). Pages end at ticket boundaries: a page holds every matching event of up to
 * `limit` tickets, in ticket id order, each ticket's events in revision order.
 */
import { ticketIdOf } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import { REDACTED, type ReporterDisclosure, mask } from '../access';
import { discloseEvent } from '../read-models/history';
import { type Db, EVENT_SELECT, toRecorded } from './streams';

/** Opens the sealed reporters of events (openSubmittedEvents with the reporters' keys, see packages/runtime reporter-open.ts). */
export type EventOpener = (events: RecordedEvent[]) => Promise<RecordedEvent[]>;

/** One exported event. Times are UTC ISO-8601; `data` is the event payload (masked unless unmasked). */
export interface ExportRow {
  ticketId: string;
  reference: string;
  division: string;
  stream: string;
  revision: number;
  eventId: string;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actorKind: string;
  actorId: string;
  actorUnitId: string;
  actorRole: string;
  /** The name of the person a proxy submission was made for (personal data). */
  onBehalfOf: string;
  channel: string;
  service: string;
  correlationId: string;
  causationId: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Column order of the CSV export (`data` as JSON text). */
const EXPORT_COLUMNS: readonly (keyof ExportRow)[] = [
  'ticketId', 'reference', 'division', 'stream', 'revision', 'eventId', 'type', 'occurredAt', 'recordedAt', 'actorKind', 'actorId',
  'actorUnitId', 'actorRole', 'onBehalfOf', 'channel', 'service', 'correlationId', 'causationId', 'data', 'prevHash', 'hash',
];

/** What to export. */
export interface ExportQuery {
  /** Division code (its subtree). */
  division: string;
  /** Events recorded at or after this instant (UTC ISO), if given. */
  from?: string;
  /** Events recorded before this instant, if given. */
  to?: string;
  unmasked: boolean;
  /** Continue after this ticket stream. */
  afterStream?: string;
  /** Tickets per page. */
  limit: number;
}

/**
 * Builds an export row from an event and its ticket's reference, division and visibility. A confidential
 * ticket's reporter (issue 14 item 6, GB/T 33358 保密: only the holder, the first responder's unit and the
 * area's supervisors see who reported it) is hidden even in an unmasked export.
 */
export function exportRow(e: RecordedEvent, ticket: { reference: string; division: string; visibility?: string | null }, unmasked: boolean): ExportRow {
  const m = e.metadata;
  const disclosure: ReporterDisclosure = ticket.visibility === 'confidential' ? 'hidden' : unmasked ? 'full' : 'masked';
  const shown = discloseEvent(e, disclosure);
  return {
    ticketId: ticketIdOf(e.stream) ?? e.stream,
    reference: ticket.reference,
    division: ticket.division,
    stream: e.stream,
    revision: e.revision,
    eventId: e.id,
    type: e.type,
    occurredAt: m.occurredAt,
    recordedAt: e.recordedAt,
    actorKind: m.actor?.kind ?? '',
    actorId: shown.actor?.id ?? '',
    actorUnitId: m.actor?.unitId ?? '',
    actorRole: m.actor?.role ?? '',
    onBehalfOf: disclosure === 'full' ? (m.onBehalfOf ?? '') : disclosure === 'masked' ? mask(m.onBehalfOf ?? '') : (m.onBehalfOf ? REDACTED : ''),
    channel: m.channel ?? '',
    service: m.service ?? '',
    correlationId: m.correlationId ?? '',
    causationId: m.causationId ?? '',
    data: shown.data,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/**
 * One page of the export. Tickets are selected from the read model (division subtree, submitted
 * before `to`, last changed at or after `from`); their events are read from the store, sealed reporters opened by `openEvents`.
 */
export async function exportPage(db: Db, openEvents: EventOpener, q: ExportQuery): Promise<{ rows: ExportRow[]; nextAfterStream?: string }> {
  const afterId = (q.afterStream && ticketIdOf(q.afterStream)) || null;
  const { rows: tickets } = await db.query<{ ticket_id: string; reference: string; division: string; visibility: string | null }>(
    `SELECT ticket_id::text AS ticket_id, reference, division, state->>'visibility' AS visibility FROM ticket_views
     WHERE division LIKE $1 AND ($2::uuid IS NULL OR ticket_id > $2::uuid)
       AND ($3::timestamptz IS NULL OR updated_at >= $3) AND ($4::timestamptz IS NULL OR submitted_at < $4)
     ORDER BY ticket_id LIMIT $5`,
    [`${q.division}%`, afterId, q.from ?? null, q.to ?? null, q.limit],
  );
  if (tickets.length === 0) return { rows: [] };
  const byStream = new Map(tickets.map((t) => [`ticket-${t.ticket_id}`, t]));
  const { rows } = await db.query<Parameters<typeof toRecorded>[0]>(
    `SELECT ${EVENT_SELECT} FROM events e WHERE e.stream = ANY($1::text[])
       AND ($2::timestamptz IS NULL OR e.recorded_at >= $2) AND ($3::timestamptz IS NULL OR e.recorded_at < $3)
     ORDER BY e.stream, e.revision`,
    [[...byStream.keys()], q.from ?? null, q.to ?? null],
  );
  // Sealed reporters opened (or read as erased, issue 14 item 6) before the masking rules apply.
  const events = await openEvents(rows.map((r) => toRecorded(r)));
  const out = events.map((e) => exportRow(e, byStream.get(e.stream)!, q.unmasked));
  const last = tickets[tickets.length - 1]!;
  return { rows: out, ...(tickets.length === q.limit ? { nextAfterStream: `ticket-${last.ticket_id}` } : {}) };
}

/** A CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line (with CRLF). */
export function csvHeader(): string {
  return `${EXPORT_COLUMNS.join(',')}\r\n`;
}

/** One CSV line (with CRLF). */
export function csvLine(row: ExportRow): string {
  return `${EXPORT_COLUMNS.map((c) => csvField(row[c])).join(',')}\r\n`;
}
