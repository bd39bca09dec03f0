/**
 * The statistics exports (issue 14 item 7): one row per ticket with its lifecycle timestamps, for the same
 * division subtree and submission range as GET /api/v1/stats — `GET /api/v1/stats/export.csv` and
 * `GET /api/v1/stats/export.jsonl`. No reporter's identity, contact or free text (title, description,
 * replies) is exported: only codes, units and instants, so an export can leave the office.
 *
 * Instants are the events' `occurredAt` (UTC ISO-8601): received = submitted; routed = the first
 * TicketRouted; signedFor = the first accept (签收 of the first receiving unit); firstReply = the stop of the
 * first-response leg; deadlineAnnounced = the first ResolutionDeadlineSet; resolved = the latest
 * TicketResolved; callback = the latest CallbackRecorded; closed = when it reached a final status;
 * reopened = the latest TicketReopened. A ticket merged into a lead (并单) is exported with `mergedInto`
 * (and counts once, on the lead, in the figures).
 */
import type { TicketState } from '@tongban/domain';
import type pg from 'pg';
import type { StatsQuery } from './definitions';

/** The columns of an export row, in CSV order. */
export const LIFECYCLE_COLUMNS = [
  'ticketId', 'reference', 'division', 'serviceCode', 'urgencyClass', 'requestType', 'status', 'closedBy', 'accountableUnitId', 'holderUnitId',
  'receivedAt', 'routedAt', 'signedForAt', 'firstReplyAt', 'firstResponseDueAt', 'deadlineAnnouncedAt', 'resolutionDueAt', 'resolvedAt',
  'callbackAt', 'closedAt', 'reopenedAt', 'rating', 'returns', 'signForMissed', 'rectifications', 'followers', 'merged', 'mergedInto',
] as const;

/** One ticket's lifecycle (null: did not happen). */
export type LifecycleRow = Record<(typeof LIFECYCLE_COLUMNS)[number], string | number | null>;

/** At most this many tickets per export (a county-year; narrow the range for more). */
export const MAX_EXPORT_ROWS = 100_000;

interface Row {
  state: TicketState;
  routed_at: string | null;
  signed_for_at: string | null;
  deadline_announced_at: string | null;
  resolved_at: string | null;
  callback_at: string | null;
  reopened_at: string | null;
}

/** The export rows of a statistics query, by submission time then id. */
export async function lifecycleRows(db: pg.Pool, q: StatsQuery): Promise<LifecycleRow[]> {
  const first = (type: string) => `min(e.metadata->>'occurredAt') FILTER (WHERE e.type = '${type}')`;
  const last = (type: string) => `max(e.metadata->>'occurredAt') FILTER (WHERE e.type = '${type}')`;
  const { rows } = await db.query<Row>(
    `SELECT v.state, ${first('TicketRouted')} AS routed_at, ${first('TicketAccepted')} AS signed_for_at,
        ${first('ResolutionDeadlineSet')} AS deadline_announced_at, ${last('TicketResolved')} AS resolved_at,
        ${last('CallbackRecorded')} AS callback_at, ${last('TicketReopened')} AS reopened_at
       FROM (SELECT ticket_id, state, submitted_at FROM ticket_views
              WHERE division LIKE $1 AND ($2::timestamptz IS NULL OR submitted_at >= $2) AND ($3::timestamptz IS NULL OR submitted_at < $3)
              ORDER BY submitted_at, ticket_id LIMIT ${MAX_EXPORT_ROWS}) v
       LEFT JOIN events e ON e.stream = 'ticket-' || v.ticket_id
      GROUP BY v.ticket_id, v.state, v.submitted_at
      ORDER BY v.submitted_at, v.ticket_id`,
    [`${q.division}%`, q.fromMs !== undefined ? new Date(q.fromMs) : null, q.toMs !== undefined ? new Date(q.toMs) : null],
  );
  return rows.map((r) => lifecycleRow(r.state, r));
}

/** The row of one ticket from its state and the instants of its events (pure). */
export function lifecycleRow(s: TicketState, at: Omit<Row, 'state'>): LifecycleRow {
  return {
    ticketId: s.ticketId,
    reference: s.reference,
    division: s.division,
    serviceCode: s.serviceCode,
    urgencyClass: s.policy.urgencyClass ?? null,
    requestType: s.policy.requestType ?? null,
    status: s.status,
    closedBy: s.closedBy ?? null,
    accountableUnitId: s.firstResponder?.unitId || s.routedUnitId || null,
    holderUnitId: s.holderUnitId || null,
    receivedAt: s.submittedAt,
    routedAt: at.routed_at,
    signedForAt: at.signed_for_at,
    firstReplyAt: s.sla.firstResponse?.stoppedAt ?? null,
    firstResponseDueAt: s.sla.firstResponse?.dueAt ?? null,
    deadlineAnnouncedAt: at.deadline_announced_at,
    resolutionDueAt: s.sla.resolution?.dueAt ?? null,
    resolvedAt: at.resolved_at,
    callbackAt: at.callback_at,
    closedAt: s.closedAt ?? null,
    reopenedAt: at.reopened_at,
    rating: s.rating?.level || null,
    returns: (s.returns ?? []).length,
    signForMissed: (s.signForBreaches ?? []).length,
    rectifications: s.rectifications ?? 0,
    followers: (s.followers ?? []).length,
    merged: (s.merged ?? []).length,
    mergedInto: s.mergedInto?.ticketId ?? null,
  };
}

/**
 * One CSV cell (RFC 4180 quoting). A text a spreadsheet would run as a formula — starting with `=`, `+`,
 * `-`, `@`, tab or carriage return (OWASP's CSV injection list) — is prefixed with `'`. Numbers stay numbers.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows as CSV: a header line, then one line per ticket, CRLF line ends, UTF-8 with a BOM (spreadsheets). */
export function lifecycleCsv(rows: readonly LifecycleRow[]): string {
  const lines = [LIFECYCLE_COLUMNS.join(','), ...rows.map((r) => LIFECYCLE_COLUMNS.map((c) => csvCell(r[c])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** The rows as JSON Lines: one JSON object per ticket and line. */
export function lifecycleJsonl(rows: readonly LifecycleRow[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
