/**
 * ListTicketUpdates: the public changes of tickets in a time range, oldest first — what Open311's
 * servicerequestupdates (the FixMyStreet extension) serves. Only the event types and fields below
 * appear: no internal notes, no non-public replies, no staff ids, no personal data; of the reporter's
 * own words only added information (InformationAdded: what a client posted through servicerequestupdates,
 * the app's or an officer's follow-up), public as the report's description is — and, like it, withheld for a
 * confidential ticket (`confidential: true`, no text). Each change carries the ticket's status after it
 * (evolved with the same decider).
 */
import type { Principal } from '@tongban/auth';
import type { query } from '@tongban/contracts';
import { type TicketEventEnvelope, type TicketState, evolve, initialTicketState, ticketIdOf, isTicketId } from '@tongban/domain';
import { decodeTicketEvent, fail } from '@tongban/runtime';
import type pg from 'pg';

/** Public event types → the fields of their data that may be shown to anyone. */
const PUBLIC_UPDATE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  TicketRouted: ['unitId'],
  TicketAccepted: ['unitId'],
  TicketReplied: ['message', 'unitId'],
  TicketTransferred: ['toUnitId'],
  TicketHandedBack: ['toUnitId'],
  InformationRequested: ['question'],
  InformationAdded: ['text'],
  ResolutionDeadlineSet: ['dueAt', 'reason'],
  TicketResolved: ['resolution'],
  TicketClosed: ['closedBy'],
  TicketReopened: ['unitId'],
  TicketRejected: ['category', 'reason'],
  TicketMarkedDuplicate: ['ofTicketId'],
  TicketWithdrawn: [],
  TicketReassigned: ['toUnitId'],
  TicketEscalated: ['toUnitId', 'automatic'],
};

/**
 * The fields above that hold the reporter's own words: shown as the report's description is in Open311 GET
 * requests, withheld for a confidential ticket (GB/T 33358 保密: the text can name the person who reported).
 */
const REPORTER_TEXT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  InformationAdded: ['text'],
};

/** One public change. */
interface TicketUpdate {
  ticketId: string;
  eventId: string;
  revision: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  /** The ticket's status after the change. */
  status: string;
  /** The unit holding the ticket after the change. */
  holderUnitId: string;
  data: Record<string, unknown>;
  /** Present (true) when the ticket is confidential and the reporter's words were withheld from `data`. */
  confidential?: true;
}

/** Largest (and default) page. */
const MAX_UPDATES = 1000;


interface Row {
  id: string;
  stream: string;
  revision: string;
  type: string;
  data: Record<string, unknown>;
  metadata: { occurredAt?: string; actor?: { kind: string; id: string; unitId?: string } };
  recorded_at: Date;
}

const SELECT = 'e.id::text AS id, e.stream, e.revision::text AS revision, e.type, e.data, e.metadata, e.recorded_at';

function instant(value: string, field: string): Date {
  const ms = Date.parse(value);
  if (!value || Number.isNaN(ms)) throw fail.invalid('invalid_instant', `${field} must be an ISO-8601 instant with an offset`);
  return new Date(ms);
}

/** The public fields of an event's data: without the reporter's words when the ticket is confidential. */
function publicData(type: string, data: Record<string, unknown>, confidential: boolean): Record<string, unknown> {
  const withheld = confidential ? REPORTER_TEXT_FIELDS[type] ?? [] : [];
  const fields = (PUBLIC_UPDATE_FIELDS[type] ?? []).filter((f) => !withheld.includes(f));
  return Object.fromEntries(fields.filter((f) => data[f] !== undefined).map((f) => [f, data[f]]));
}

function envelope(row: Row): TicketEventEnvelope {
  return decodeTicketEvent({
    id: row.id, type: row.type, stream: row.stream, revision: Number(row.revision), data: row.data,
    metadata: { occurredAt: row.metadata.occurredAt ?? row.recorded_at.toISOString(), actor: row.metadata.actor ?? { kind: 'system', id: '' } },
  });
}

/**
 * The public changes recorded in [from, to], oldest first, at most `limit` (≤ 1000).
 * @throws ServiceFailure PERMISSION_DENIED (not_allowed) unless Open311 client, auditor or system;
 *   INVALID_ARGUMENT (invalid_instant).
 */
export async function listTicketUpdates(
  deps: { pool: pg.Pool; clock?: { now(): Date } },
  req: query.ListTicketUpdatesRequest,
  principal: Principal,
): Promise<query.ListTicketUpdatesResponse> {
  const allowed = principal.kind === 'open311' || principal.kind === 'system' || (principal.kind === 'staff' && principal.role === 'auditor');
  if (!allowed) throw fail.forbidden('not_allowed', 'ticket updates are served to Open311 clients and auditors');
  const from = instant(req.from, 'from');
  const to = req.to ? instant(req.to, 'to') : (deps.clock?.now() ?? new Date());
  const limit = Math.min(Math.max(req.limit || MAX_UPDATES, 1), MAX_UPDATES);
  const streams = req.ticketIds.filter((id) => isTicketId(id)).map((id) => `ticket-${id.toLowerCase()}`);
  if (req.ticketIds.length > 0 && streams.length === 0) return { updatesJson: '[]' };

  const params: unknown[] = [Object.keys(PUBLIC_UPDATE_FIELDS), from, to, limit];
  const byStream = streams.length > 0 ? `AND e.stream = ANY($${params.push(streams)})` : `AND e.stream LIKE 'ticket-%'`;
  const { rows } = await deps.pool.query<Row>(
    `SELECT ${SELECT} FROM events e
     WHERE e.type = ANY($1) AND e.recorded_at >= $2 AND e.recorded_at <= $3 ${byStream}
       AND NOT (e.type = 'TicketReplied' AND COALESCE((e.data->>'public')::boolean, false) = false)
     ORDER BY e.recorded_at, e.stream, e.revision
     LIMIT $4`,
    params,
  );
  if (rows.length === 0) return { updatesJson: '[]' };

  // The status after each change: evolve every involved stream up to its last listed revision.
  const upTo = new Map<string, number>();
  for (const r of rows) upTo.set(r.stream, Math.max(upTo.get(r.stream) ?? 0, Number(r.revision)));
  const history = await deps.pool.query<Row>(
    `SELECT ${SELECT} FROM events e WHERE e.stream = ANY($1) ORDER BY e.stream, e.revision`, [[...upTo.keys()]],
  );
  const after = new Map<string, TicketState>();
  const states = new Map<string, TicketState>();
  for (const r of history.rows) {
    if (Number(r.revision) > (upTo.get(r.stream) ?? -1)) continue;
    const next = evolve(states.get(r.stream) ?? initialTicketState(), envelope(r));
    states.set(r.stream, next);
    after.set(`${r.stream}@${r.revision}`, next);
  }
  const updates: TicketUpdate[] = rows.map((r) => {
    const state = after.get(`${r.stream}@${r.revision}`);
    // Fails closed: the reporter's words only when the ticket is known not to be confidential.
    const withheld = REPORTER_TEXT_FIELDS[r.type] !== undefined && (state === undefined || state.visibility === 'confidential');
    return {
      ticketId: ticketIdOf(r.stream) ?? r.stream,
      eventId: r.id,
      revision: Number(r.revision),
      type: r.type,
      occurredAt: r.metadata.occurredAt ?? r.recorded_at.toISOString(),
      recordedAt: r.recorded_at.toISOString(),
      status: state?.status ?? '',
      holderUnitId: state?.holderUnitId ?? '',
      data: publicData(r.type, r.data, withheld),
      ...(withheld ? { confidential: true as const } : {}),
    };
  });
  return { updatesJson: JSON.stringify(updates) };
}
