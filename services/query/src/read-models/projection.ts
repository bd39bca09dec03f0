import { type TicketState, evolveAll, initialTicketState, ticketStream, ticketIdOf } from '@tongban/domain';
import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import { type DecodableEvent, type LatestStates, toEnvelopes } from '@tongban/runtime';
import type pg from 'pg';
import { factsRow, ticketFacts, upsertFactsRowsSql } from '../stats/facts';

/** Every unit that has held, been routed, accountable for or supervising the ticket (read scoping). */
export function unitsInvolved(previous: readonly string[], s: TicketState): string[] {
  const units = [...new Set(previous)];
  addUnitsInvolved(units, s);
  return units;
}

/** Appends to `units` (no duplicates) the units of `s` it does not hold yet, in the order of {@link unitsInvolved}. */
function addUnitsInvolved(units: string[], s: Readonly<TicketState>): void {
  for (const u of [s.routedUnitId, s.holderUnitId, s.firstResponder?.unitId, s.supervisingUnitId]) if (u && !units.includes(u)) units.push(u);
}

/**
 * Projects one ticket event into `ticket_views` and `ticket_stats` (see {@link projectTicketEvents}).
 */
export function projectTicketEvent(pool: pg.Pool, store: EventStore, event: RecordedEvent, written?: LatestStates<StoredView>): Promise<void> {
  return projectTicketEvents(pool, store, [event], written);
}

/** A ticket's stored row as the projection reads it. */
export interface StoredView { ticket_id: string; revision: number; state: TicketState; units_involved: string[] }

/**
 * Projects ticket events (of any tickets, in any order) into `ticket_views` and `ticket_stats` in at most
 * two statements, whatever their number (issue 13): one read of the stored rows of the tickets that need
 * it, one write of the rows that move. A ticket needs no read when its row is in `written` or when the
 * events hold its revision 0 (the fold then starts from the beginning). Safe under redelivery, reordering
 * and concurrent appliers: an event at or below the known revision changes nothing; the next revisions
 * are applied incrementally; a gap (a missing revision) is filled by reading the stream from the store.
 * The write is one statement (all or nothing) and only ever moves a row forward (revision-guarded).
 * Events of other streams are ignored.
 * @param written the rows this process wrote last, by ticket id (read before the table, then told the rows
 * written). A row written here is a true state of its ticket at its revision, so the next events of a
 * ticket just written (a submission's routing, a second later) fold from it without reading the row back.
 * A row another writer moved further meanwhile stays (the write is revision-guarded), and a gap is read
 * from the store, so an entry behind the table costs nothing but that.
 */
export async function projectTicketEvents(pool: pg.Pool, store: EventStore, events: readonly RecordedEvent[], written?: LatestStates<StoredView>): Promise<void> {
  const byTicket = new Map<string, RecordedEvent[]>();
  for (const event of events) {
    const ticketId = ticketIdOf(event.stream);
    if (ticketId === undefined) continue;
    const list = byTicket.get(ticketId);
    if (list) list.push(event);
    else byTicket.set(ticketId, [event]);
  }
  if (byTicket.size === 0) return;
  const known = new Map<string, StoredView>();
  const unknown: string[] = [];
  for (const [ticketId, list] of byTicket) {
    const row = written?.get(ticketId);
    if (row) known.set(ticketId, row);
    else if (!list.some((e) => e.revision === 0)) unknown.push(ticketId);
  }
  if (unknown.length > 0) {
    // Named (prepared) statements here and in writeViews: parsed and planned once per connection (issue 13).
    const { rows } = await pool.query<StoredView>({
      name: 'query_views_get', text: 'SELECT ticket_id, revision, state, units_involved FROM ticket_views WHERE ticket_id = ANY($1::uuid[])',
      values: [unknown],
    });
    for (const row of rows) known.set(row.ticket_id, row);
  }
  const moved: { ticketId: string; folded: FoldedTicket }[] = [];
  for (const [ticketId, list] of byTicket) {
    const folded = await foldNewer(store, ticketId, known.get(ticketId), list);
    if (folded?.state.exists) moved.push({ ticketId, folded });
  }
  if (moved.length === 0) return;
  await writeViews(pool, moved);
  for (const { ticketId, folded } of moved) written?.remember(ticketId, { ticket_id: ticketId, revision: folded.state.revision, state: folded.state, units_involved: folded.units });
}

/**
 * A ticket's state after `events` that are newer than its stored row (`current`), or undefined when none
 * is: folded from the row when they follow it without a gap, else with the missing events read from the store.
 */
async function foldNewer(store: EventStore, ticketId: string, current: StoredView | undefined, events: readonly RecordedEvent[]): Promise<FoldedTicket | undefined> {
  const from = current?.revision ?? -1;
  const newer = events.filter((e) => e.revision > from).sort((a, b) => a.revision - b.revision)
    .filter((e, i, all) => i === 0 || all[i - 1]!.revision !== e.revision);
  const last = newer[newer.length - 1];
  if (!last) return undefined;
  const base = current ? { state: current.state, units: current.units_involved } : undefined;
  if (newer.every((e, i) => e.revision === from + 1 + i)) return foldTicket(newer, base);
  return foldTicket(await store.readStream(ticketStream(ticketId), { fromRevision: from + 1, toRevision: last.revision }), base);
}

/** A ticket's state and the units involved so far. */
export interface FoldedTicket {
  state: TicketState;
  /** Units in the order they first appeared (see {@link unitsInvolved}). */
  units: string[];
}

/**
 * Applies events in order with the decider's fold (`evolveAll`), collecting the units involved after
 * each one (so a unit that held the ticket only in between is kept; in the order of {@link unitsInvolved}).
 * The projection and the rebuild both use it, so that a rebuilt row equals the live one. `from` is not
 * changed.
 */
export function foldTicket(events: readonly DecodableEvent[], from: FoldedTicket = { state: initialTicketState(), units: [] }): FoldedTicket {
  const units = [...new Set(from.units)];
  const state = evolveAll(toEnvelopes(events), from.state, (s) => {
    if (s.exists) addUnitsInvolved(units, s);
  });
  return { state, units };
}

/** Columns of `ticket_views` in the order of {@link viewParams}. */
export const VIEW_COLUMNS = [
  'ticket_id', 'revision', 'reference', 'status', 'service_code', 'division', 'holder_unit_id', 'routed_unit_id',
  'first_responder_unit_id', 'reporter_device_id', 'reporter_staff_id', 'units_involved', 'submitted_at', 'updated_at',
  'first_response_due_at', 'resolution_due_at', 'state',
] as const;

/** A ticket's `ticket_views` row as values, in {@link VIEW_COLUMNS} order (`state` as the state object itself). */
export function viewParams(ticketId: string, s: TicketState, units: string[]): unknown[] {
  return [
    ticketId, s.revision, s.reference, s.status, s.serviceCode, s.division, s.holderUnitId, s.routedUnitId,
    s.firstResponder?.unitId ?? null, s.reporter.deviceId, s.reporter.staffId, units, s.submittedAt, s.updatedAt,
    s.sla.firstResponse?.dueAt ?? null, s.sla.resolution?.dueAt ?? null, s,
  ];
}

/**
 * Writes tickets' states (views and statistics facts) in one statement, each row only when no newer
 * revision is stored. Rows go as one JSON array per table (`jsonb_populate_recordset` with the table's row
 * type), in ticket id order so that concurrent writers lock rows in the same order.
 */
async function writeViews(db: pg.Pool | pg.PoolClient, tickets: readonly { ticketId: string; folded: FoldedTicket }[]): Promise<void> {
  const views = tickets.map(({ ticketId, folded }) => {
    const values = viewParams(ticketId, folded.state, folded.units);
    const row: Record<string, unknown> = {};
    VIEW_COLUMNS.forEach((c, i) => { row[c] = values[i]; });
    return row;
  });
  await db.query({
    name: 'query_views_upsert',
    text: `WITH views AS (
       INSERT INTO ticket_views (${VIEW_COLUMNS.join(', ')})
       SELECT ${VIEW_COLUMNS.join(', ')} FROM jsonb_populate_recordset(NULL::ticket_views, $1::jsonb) ORDER BY ticket_id
       ON CONFLICT (ticket_id) DO UPDATE SET revision = EXCLUDED.revision, status = EXCLUDED.status,
         holder_unit_id = EXCLUDED.holder_unit_id, routed_unit_id = EXCLUDED.routed_unit_id,
         first_responder_unit_id = EXCLUDED.first_responder_unit_id, units_involved = EXCLUDED.units_involved,
         updated_at = EXCLUDED.updated_at, first_response_due_at = EXCLUDED.first_response_due_at,
         resolution_due_at = EXCLUDED.resolution_due_at, state = EXCLUDED.state
       WHERE ticket_views.revision < EXCLUDED.revision
     )
     ${upsertFactsRowsSql('$2')}`,
    values: [JSON.stringify(views), JSON.stringify(tickets.map(({ folded }) => factsRow(ticketFacts(folded.state))))],
  });
}
