/**
 * Keeps a {@link StatsTable} in step with `ticket_stats`: the first refresh loads every row; each later
 * one loads only the rows written by transactions the previous snapshot did not see
 * (`changed_xid >= pg_snapshot_xmin` of that snapshot: a transaction invisible to a snapshot is either
 * running then — its xid is at least xmin — or starts later). A replaced table (the rebuild swaps
 * tables) is noticed by its OID and reloaded. Rows are read through a cursor in one scan. Each replica
 * keeps its own copy; nothing is shared.
 */
import type pg from 'pg';
import { withTransaction } from '@tongban/eventstore';
import type { FactsRecord } from './facts';
import { StatsTable } from './table';

interface FactsRow {
  ticket_id: string; revision: number; division: string; service_code: string; accountable_unit_id: string; handler_id: string;
  status: string; submitted_ms: number; fr_due_ms: number | null; fr_ms: number | null; res_due_ms: number | null;
  resolution_paused: boolean; res_ms: number | null; closed_ms: number | null; rating: number | null;
}

const ms = (column: string, alias: string) => `(extract(epoch FROM ${column}) * 1000)::float8 AS ${alias}`;

const SELECT = `SELECT ticket_id::text AS ticket_id, revision, division, service_code, accountable_unit_id, handler_id, status,
  ${ms('submitted_at', 'submitted_ms')}, ${ms('first_response_due_at', 'fr_due_ms')}, ${ms('first_replied_at', 'fr_ms')},
  ${ms('resolution_due_at', 'res_due_ms')}, resolution_paused, ${ms('resolved_at', 'res_ms')}, ${ms('closed_at', 'closed_ms')}, rating
  FROM ticket_stats`;

function toRecord(r: FactsRow): FactsRecord {
  const n = (v: number | null) => (v === null ? Number.NaN : v);
  return {
    ticketId: r.ticket_id, revision: r.revision, division: r.division, serviceCode: r.service_code,
    accountableUnitId: r.accountable_unit_id, handlerId: r.handler_id, status: r.status, submittedMs: r.submitted_ms,
    firstResponseDueMs: n(r.fr_due_ms), firstRepliedMs: n(r.fr_ms), resolutionDueMs: n(r.res_due_ms),
    resolutionPaused: r.resolution_paused, resolvedMs: n(r.res_ms), closedMs: n(r.closed_ms), rating: r.rating ?? 0,
  };
}

/** The cached table and how it is refreshed. */
export class StatsCache {
  readonly table = new StatsTable();
  private horizon: string | null = null;
  private tableOid: string | null = null;
  private refreshing: Promise<number> | null = null;

  constructor(private readonly pool: pg.Pool, private readonly pageSize = 20_000) {}

  /** Loads what changed since the last refresh; concurrent callers share one refresh. Returns the rows loaded. */
  refresh(): Promise<number> {
    this.refreshing ??= this.load().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  private async load(): Promise<number> {
    let loaded = 0;
    const seen = await withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ xmin: string; oid: string }>(
        `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, 'ticket_stats'::regclass::oid::text AS oid`,
      );
      const snapshot = rows[0]!;
      if (snapshot.oid !== this.tableOid) {
        this.table.clear();
        this.horizon = null;
      }
      // One scan through a cursor: every row (first load, replaced table) or what changed since the last snapshot.
      await client.query(this.horizon === null
        ? `DECLARE facts NO SCROLL CURSOR FOR ${SELECT}`
        : `DECLARE facts NO SCROLL CURSOR FOR ${SELECT} WHERE changed_xid >= '${this.horizon.replace(/[^0-9]/g, '')}'::xid8`);
      for (;;) {
        const page = await client.query<FactsRow>(`FETCH ${this.pageSize} FROM facts`);
        for (const r of page.rows) this.table.upsert(toRecord(r));
        loaded += page.rows.length;
        if (page.rows.length < this.pageSize) break;
      }
      return snapshot;
    }, { isolation: 'repeatable read', readOnly: true });
    this.horizon = seen.xmin;
    this.tableOid = seen.oid;
    return loaded;
  }
}
