import type pg from 'pg';
import type { TicketState } from '@tongban/domain';
import { factsParams, ticketFacts, upsertFactsSql } from './facts';

/**
 * Fills `ticket_stats` for tickets the read model has but the statistics table lacks (a database
 * whose views predate migration 002). Returns the rows written; 0 when nothing is missing.
 */
export async function backfillTicketStats(pool: pg.Pool, pageSize = 1000): Promise<number> {
  let written = 0;
  for (;;) {
    const { rows } = await pool.query<{ state: TicketState }>(
      `SELECT v.state FROM ticket_views v WHERE NOT EXISTS (SELECT 1 FROM ticket_stats s WHERE s.ticket_id = v.ticket_id) LIMIT $1`, [pageSize],
    );
    for (const r of rows) await pool.query(upsertFactsSql(), factsParams(ticketFacts(r.state)));
    written += rows.length;
    if (rows.length < pageSize) return written;
  }
}
