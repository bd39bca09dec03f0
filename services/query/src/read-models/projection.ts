import { type TicketState, evolve, initialTicketState, ticketStream, ticketIdOf } from '@tongban/domain';
import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import { type DecodableEvent, toEnvelopes } from '@tongban/runtime';
import type pg from 'pg';
import { factsParams, ticketFacts, upsertFactsSql } from '../stats/facts';

/** Every unit that has held, been routed, accountable for or supervising the ticket (read scoping). */
export function unitsInvolved(previous: readonly string[], s: TicketState): string[] {
  const units = new Set(previous);
  for (const u of [s.routedUnitId, s.holderUnitId, s.firstResponder?.unitId, s.supervisingUnitId]) if (u) units.add(u);
  return [...units];
}

/**
 * Projects one ticket event into `ticket_views` and `ticket_stats`. Safe under redelivery, reordering
 * and concurrent appliers: an event at or below the stored revision changes nothing; the next revision
 * is applied incrementally; a gap (a missing revision) is filled by reading the stream from the store.
 * The upserts only ever move a row forward (revision-guarded).
 */
export async function projectTicketEvent(pool: pg.Pool, store: EventStore, event: RecordedEvent): Promise<void> {
  const ticketId = ticketIdOf(event.stream) ?? '';
  // Named (prepared) statements here and in upsertView: parsed and planned once per connection (issue 13).
  const { rows } = await pool.query<{ revision: number; state: TicketState; units_involved: string[] }>({
    name: 'query_view_get', text: 'SELECT revision, state, units_involved FROM ticket_views WHERE ticket_id = $1', values: [ticketId],
  });
  const current = rows[0];
  const stored = current?.revision ?? -1;
  if (event.revision <= stored) return;
  let folded: FoldedTicket;
  if (current && event.revision === stored + 1) {
    folded = foldTicket([event], { state: current.state, units: current.units_involved });
  } else if (!current && event.revision === 0) {
    folded = foldTicket([event]);
  } else {
    folded = foldTicket(await store.readStream(ticketStream(ticketId), { toRevision: event.revision }));
  }
  if (!folded.state.exists) return;
  await upsertView(pool, ticketId, folded.state, folded.units);
}

/** A ticket's state and the units involved so far. */
export interface FoldedTicket {
  state: TicketState;
  /** Units in the order they first appeared (see {@link unitsInvolved}). */
  units: string[];
}

/**
 * Applies events in order with the decider's `evolve`, collecting the units involved after each one
 * (so a unit that held the ticket only in between is kept). The projection and the rebuild both use
 * it, so that a rebuilt row equals the live one.
 */
export function foldTicket(events: readonly DecodableEvent[], from: FoldedTicket = { state: initialTicketState(), units: [] }): FoldedTicket {
  let state = from.state;
  let units = from.units;
  for (const envelope of toEnvelopes(events)) {
    state = evolve(state, envelope);
    if (state.exists) units = unitsInvolved(units, state);
  }
  return { state, units };
}

/** Columns of `ticket_views` in the order of {@link viewParams}. */
export const VIEW_COLUMNS = [
  'ticket_id', 'revision', 'reference', 'status', 'service_code', 'division', 'holder_unit_id', 'routed_unit_id',
  'first_responder_unit_id', 'reporter_device_id', 'reporter_staff_id', 'units_involved', 'submitted_at', 'updated_at',
  'first_response_due_at', 'resolution_due_at', 'state',
] as const;

/** A ticket's `ticket_views` row as query parameters, in {@link VIEW_COLUMNS} order (`state` as JSON text, or null when not `serializeState`). */
export function viewParams(ticketId: string, s: TicketState, units: string[], serializeState = true): unknown[] {
  return [
    ticketId, s.revision, s.reference, s.status, s.serviceCode, s.division, s.holderUnitId, s.routedUnitId,
    s.firstResponder?.unitId ?? null, s.reporter.deviceId, s.reporter.staffId, units, s.submittedAt, s.updatedAt,
    s.sla.firstResponse?.dueAt ?? null, s.sla.resolution?.dueAt ?? null, serializeState ? JSON.stringify(s) : null,
  ];
}

/** Writes a ticket's state (view and statistics facts) unless a newer revision is already stored. */
async function upsertView(db: pg.Pool | pg.PoolClient, ticketId: string, s: TicketState, units: string[]): Promise<void> {
  await db.query({
    name: 'query_view_upsert',
    text: `INSERT INTO ticket_views (${VIEW_COLUMNS.join(', ')})
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)
     ON CONFLICT (ticket_id) DO UPDATE SET revision = EXCLUDED.revision, status = EXCLUDED.status,
       holder_unit_id = EXCLUDED.holder_unit_id, routed_unit_id = EXCLUDED.routed_unit_id,
       first_responder_unit_id = EXCLUDED.first_responder_unit_id, units_involved = EXCLUDED.units_involved,
       updated_at = EXCLUDED.updated_at, first_response_due_at = EXCLUDED.first_response_due_at,
       resolution_due_at = EXCLUDED.resolution_due_at, state = EXCLUDED.state
     WHERE ticket_views.revision < EXCLUDED.revision`,
    values: viewParams(ticketId, s, units),
  });
  await db.query({ name: 'query_stats_upsert', text: upsertFactsSql(), values: factsParams(ticketFacts(s)) });
}
