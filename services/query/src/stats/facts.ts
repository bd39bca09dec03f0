/**
 * What the statistics need of one ticket, derived from its state (pure): one row of `ticket_stats`.
 * Definitions (see stats.md in docs/audit.md):
 * - accountable unit: the first responder's unit (首问责任制), else the unit it was routed to;
 * - handler: the first responder (staff id), else none;
 * - first reply: the stop of the first-response leg — the unit's first message to the reporter (a public
 *   reply, a question, an announced deadline or the resolution; see docs/ticket-lifecycle.md);
 * - resolution: the stop of the resolution leg (the latest one after a reopen), with its due time as
 *   extended by pauses and announced deadlines;
 * - closedAt: when the ticket reached a final status (closed, rejected, duplicate, withdrawn);
 * - a ticket merged into another (并单) has status `merged` and is left out of every figure (counted once, on its lead).
 */
import type { TicketState } from '@tongban/domain';

/**
 * The `status` of the facts of a ticket merged into another (issue 14 item 5): not a ticket status; the figures
 * leave such a ticket out (counted once, on its lead, as `merged` in the practice figures).
 */
export const MERGED_STATUS = 'merged';

/** One ticket's facts. Instants are UTC ISO-8601 strings or null. */
export interface TicketFacts {
  ticketId: string;
  revision: number;
  division: string;
  serviceCode: string;
  accountableUnitId: string;
  handlerId: string;
  status: string;
  submittedAt: string;
  firstResponseDueAt: string | null;
  firstRepliedAt: string | null;
  resolutionDueAt: string | null;
  resolutionPaused: boolean;
  resolvedAt: string | null;
  closedAt: string | null;
  /** Satisfaction score 1–5, or null when not rated. */
  rating: number | null;
}

/** One ticket's facts as the in-memory table (table.ts) stores them: instants as epoch milliseconds (NaN = none). */
export interface FactsRecord extends Pick<TicketFacts,
  'ticketId' | 'revision' | 'division' | 'serviceCode' | 'accountableUnitId' | 'handlerId' | 'status' | 'resolutionPaused'> {
  submittedMs: number;
  firstResponseDueMs: number;
  firstRepliedMs: number;
  resolutionDueMs: number;
  resolvedMs: number;
  closedMs: number;
  /** 1–5, or 0 when not rated. */
  rating: number;
}

/** The facts of a ticket state (which must exist). */
export function ticketFacts(s: TicketState): TicketFacts {
  const fr = s.sla.firstResponse;
  const res = s.sla.resolution;
  return {
    ticketId: s.ticketId,
    revision: s.revision,
    division: s.division,
    serviceCode: s.serviceCode,
    accountableUnitId: s.firstResponder?.unitId || s.routedUnitId || '',
    handlerId: s.firstResponder?.staffId ?? '',
    // A ticket merged into a lead (并单) is the lead's problem: MERGED_STATUS keeps it out of every figure.
    status: s.mergedInto ? MERGED_STATUS : s.status,
    submittedAt: s.submittedAt,
    firstResponseDueAt: fr?.dueAt ?? null,
    firstRepliedAt: fr?.stoppedAt ?? null,
    resolutionDueAt: res?.dueAt ?? null,
    resolutionPaused: !!res?.pausedAt,
    resolvedAt: res?.stoppedAt ?? null,
    closedAt: s.closedAt ?? null,
    rating: s.rating?.score ?? null,
  };
}

/** Columns of `ticket_stats` in the order of {@link factsParams}. */
export const FACT_COLUMNS = [
  'ticket_id', 'revision', 'division', 'service_code', 'accountable_unit_id', 'handler_id', 'status', 'submitted_at',
  'first_response_due_at', 'first_replied_at', 'resolution_due_at', 'resolution_paused', 'resolved_at', 'closed_at', 'rating',
] as const;

/** The facts as query parameters, in {@link FACT_COLUMNS} order. */
export function factsParams(f: TicketFacts): unknown[] {
  return [
    f.ticketId, f.revision, f.division, f.serviceCode, f.accountableUnitId, f.handlerId, f.status, f.submittedAt,
    f.firstResponseDueAt, f.firstRepliedAt, f.resolutionDueAt, f.resolutionPaused, f.resolvedAt, f.closedAt, f.rating,
  ];
}

/** The facts as one JSON row of `ticket_stats` (keys: {@link FACT_COLUMNS}), for {@link upsertFactsRowsSql}. */
export function factsRow(f: TicketFacts): Record<string, unknown> {
  const values = factsParams(f);
  const row: Record<string, unknown> = {};
  FACT_COLUMNS.forEach((c, i) => { row[c] = values[i]; });
  return row;
}

const UPDATE_SET = FACT_COLUMNS.filter((c) => c !== 'ticket_id').map((c) => `${c} = EXCLUDED.${c}`).join(', ');

/**
 * SQL upserting facts into a table shaped like `ticket_stats` (revision-guarded: a row only moves
 * forward; every write stamps `changed_xid` with the writing transaction).
 */
export function upsertFactsSql(table = 'ticket_stats'): string {
  const params = FACT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ');
  return `INSERT INTO ${table} (${FACT_COLUMNS.join(', ')}) VALUES (${params})
    ON CONFLICT (ticket_id) DO UPDATE SET ${UPDATE_SET}, changed_xid = pg_current_xact_id()
    WHERE ${table}.revision < EXCLUDED.revision`;
}

/**
 * SQL upserting the facts of several tickets into `ticket_stats`, given as parameter `param`: a JSON array
 * of {@link factsRow} rows with distinct ticket ids (revision-guarded and stamped as {@link upsertFactsSql}).
 */
export function upsertFactsRowsSql(param: string): string {
  return `INSERT INTO ticket_stats (${FACT_COLUMNS.join(', ')})
    SELECT ${FACT_COLUMNS.join(', ')} FROM jsonb_populate_recordset(NULL::ticket_stats, ${param}::jsonb) ORDER BY ticket_id
    ON CONFLICT (ticket_id) DO UPDATE SET ${UPDATE_SET}, changed_xid = pg_current_xact_id()
    WHERE ticket_stats.revision < EXCLUDED.revision`;
}
