/**
 * Writes decided tickets as statistics rows only (`ticket_stats`, no events): the rows the query
 * service's projection writes for them, for measuring the statistics at sizes whose events would take
 * too long to store (a million tickets are about nine million events). The row of a ticket is
 * `ticketFacts` (the projection's row builder) of its decided state; every {@link FOLD_CHECK_EVERY}th
 * ticket is also folded from its events, serialised as the store keeps them, by the projection's
 * `foldTicket`, and must give the same row. For seeding and benchmarks only.
 */
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { foldTicket } from '../../services/query/src/read-models/projection';
import { FACT_COLUMNS, type TicketFacts, factsParams, ticketFacts } from '../../services/query/src/stats/facts';
import type { DecidedTicket } from './runners';

/** One ticket in this many is folded from its events and compared (folding costs about as much as deciding). */
const FOLD_CHECK_EVERY = 50;

const TYPES: Partial<Record<(typeof FACT_COLUMNS)[number], string>> = {
  ticket_id: 'uuid', revision: 'integer', submitted_at: 'timestamptz', first_response_due_at: 'timestamptz', first_replied_at: 'timestamptz',
  resolution_due_at: 'timestamptz', resolution_paused: 'boolean', resolved_at: 'timestamptz', closed_at: 'timestamptz', rating: 'smallint',
};

/** The facts of a ticket folded from its events as stored (JSON), the way the projection folds a stream. */
function foldedFacts(t: DecidedTicket): TicketFacts | null {
  const recorded = t.events.map((e, revision) => ({
    ...e, stream: t.stream, revision, data: JSON.parse(JSON.stringify(e.data)) as Record<string, unknown>,
    metadata: JSON.parse(JSON.stringify(e.metadata)) as typeof e.metadata, position: { transactionId: '0', position: '0' }, prevHash: '', hash: '',
  }));
  const { state } = foldTicket(recorded);
  return state.exists ? ticketFacts(state) : null;
}

/**
 * Inserts the tickets' statistics rows into `table` (shaped like `ticket_stats`) in one statement; a
 * ticket id already there fails the insert (the tickets must be new). Returns the rows written.
 * @throws Error when a checked ticket's folded row differs from its decided one.
 */
export async function writeFacts(pool: pg.Pool, tickets: readonly DecidedTicket[], table = 'ticket_stats'): Promise<number> {
  const rows: Record<string, unknown>[] = [];
  tickets.forEach((t, i) => {
    if (!t.state.exists) return;
    const facts = ticketFacts(t.state);
    if (i % FOLD_CHECK_EVERY === 0 && !isDeepStrictEqual(foldedFacts(t), facts)) {
      throw new Error(`${t.stream}: the projection's fold of the events gives other statistics than the decided state`);
    }
    const params = factsParams(facts);
    rows.push(Object.fromEntries(FACT_COLUMNS.map((c, k) => [c, params[k]])));
  });
  if (rows.length === 0) return 0;
  const defs = FACT_COLUMNS.map((c) => `${c} ${TYPES[c] ?? 'text'}`).join(', ');
  await pool.query(
    `INSERT INTO ${table} (${FACT_COLUMNS.join(', ')}) SELECT ${FACT_COLUMNS.join(', ')} FROM jsonb_to_recordset($1::jsonb) AS r(${defs})`,
    [JSON.stringify(rows)],
  );
  return rows.length;
}
