/**
 * Rebuild: recreates every read model of the query service from the event store while the service
 * keeps serving.
 * 1. Note the store's global position (the catch-up starts there).
 * 2. Fold every ticket stream, in stream order, in memory as its rows arrive (each ticket's events
 *    through `evolveAll`, only its final rows written) into shadow tables `ticket_views__rb` and
 *    `ticket_stats__rb` (shaped like the live tables, column compression included), loaded with COPY
 *    (copy-in.ts) on two connections while the next tickets are folded (no indexes while loading; then
 *    the live tables' indexes, by definition, built side by side on two connections). One thread folds:
 *    worker threads folding ranges of streams beside it were measured and removed (issue 13: on 1,000,088
 *    events, 2 cores shared with PostgreSQL, 1 or 2 workers took 0.15–0.85 s more CPU per 100k events
 *    and were no faster).
 * 3. Swap in one transaction (drop the live tables, rename the shadows and their indexes to the
 *    canonical names).
 * 4. Catch up, once no transaction older than the swap is running: project every event after the
 *    noted position (revision-guarded, so events the scan already saw change nothing), a page of 1,000
 *    events at a time in the live projection's batch (two statements).
 * 5. Rebuild `audit_anchor_heads` from the `audit-anchors` stream in one transaction.
 * Uses the same fold (`foldTicket`) and row builders as the live projection, so the rebuilt tables
 * equal the live ones.
 */
import { type EventStore, type GlobalPosition, withTransaction } from '@tongban/eventstore';
import type pg from 'pg';
import { indexAnchors } from './audit/anchors';
import { ANCHOR_STREAM } from './audit/streams';
import { type FoldCounts, SCAN_RESET, SCAN_SETTINGS, SHADOW, ShadowWriter, foldTickets } from './rebuild-fold';
import { VIEW_COLUMNS, projectTicketEvents } from './read-models/projection';
import { FACT_COLUMNS } from './stats/facts';

/** What a rebuild did. */
export interface RebuildResult {
  tickets: number;
  /** Ticket events folded by the scan (the catch-up not included). */
  events: number;
  /** Events projected by the catch-up after the swap. */
  caughtUp: number;
  anchors: number;
  /** Wall time, ms. */
  ms: number;
  /** events / seconds of wall time. */
  eventsPerSecond: number;
}

/** Options of {@link rebuildReadModels}. */
export interface RebuildOptions {
  /** Events read per query (default 20,000). */
  pageSize?: number;
  /** Tickets written per COPY (default 2,000). */
  writeBatch?: number;
  /** Called after each page with the totals so far. */
  onProgress?: (p: { events: number; tickets: number }) => void;
}

/** The read models rebuilt from ticket streams, with their column lists. */
const TABLES = [
  { name: 'ticket_views', columns: VIEW_COLUMNS },
  { name: 'ticket_stats', columns: FACT_COLUMNS },
] as const;

/**
 * Folds every ticket stream into the shadow tables, on three connections of `pool` (the scan and one
 * COPY per table). Resolves once every row is written.
 * @throws the server's error, a fold's, or `onPage`'s.
 */
async function foldIntoShadows(pool: pg.Pool, o: { pageSize: number; writeBatch: number; onPage: (page: FoldCounts) => void }): Promise<FoldCounts> {
  const clients: pg.PoolClient[] = [];
  let settled = true; // the scan connection's settings are the pool's again
  try {
    for (let i = 0; i < 3; i++) clients.push(await pool.connect());
    const [scan, views, facts] = clients as [pg.PoolClient, pg.PoolClient, pg.PoolClient];
    settled = false;
    await scan.query(SCAN_SETTINGS);
    const writer = new ShadowWriter(views, facts, o.writeBatch);
    let counts: FoldCounts;
    try {
      counts = await foldTickets(scan, writer, o.pageSize, o.onPage);
    } finally {
      await writer.close();
    }
    await scan.query(SCAN_RESET);
    settled = true;
    return counts;
  } finally {
    // A connection whose settings may still be the scan's is closed rather than returned to the pool.
    clients.forEach((c, i) => c.release(i === 0 && !settled));
  }
}

/** The last position below the snapshot horizon (null: an empty store). */
async function currentPosition(db: pg.Pool): Promise<GlobalPosition | null> {
  const { rows } = await db.query<{ transaction_id: string; global_position: string }>(
    `SELECT e.transaction_id::text AS transaction_id, e.global_position::text AS global_position FROM events e
     WHERE e.transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
     ORDER BY e.transaction_id DESC, e.global_position DESC LIMIT 1`,
  );
  const r = rows[0];
  return r ? { transactionId: r.transaction_id, position: r.global_position } : null;
}

/** Rebuilds ticket_views, ticket_stats and audit_anchor_heads (see the module comment). */
export async function rebuildReadModels(pool: pg.Pool, store: EventStore, options: RebuildOptions = {}): Promise<RebuildResult> {
  const started = Date.now();
  const pageSize = options.pageSize ?? 20_000;
  const writeBatch = options.writeBatch ?? 2_000;
  const start = await currentPosition(pool);

  for (const t of TABLES) {
    await pool.query(`DROP TABLE IF EXISTS ${t.name}${SHADOW}`);
    await pool.query(`CREATE TABLE ${t.name}${SHADOW} (LIKE ${t.name} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION)`);
  }

  const progress = { events: 0, tickets: 0 };
  const { events, tickets } = await foldIntoShadows(pool, {
    pageSize, writeBatch,
    onPage: (page) => {
      progress.events += page.events;
      progress.tickets += page.tickets;
      options.onProgress?.({ ...progress });
    },
  });

  const swapXid = await swapInShadows(pool);
  // Every event the live projection could have written into the dropped tables committed before the
  // swap; once no transaction older than the swap runs, readAll sees all of them.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { rows } = await pool.query<{ passed: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::xid8 AS passed', [swapXid]);
    if (rows[0]?.passed) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  let caughtUp = 0;
  let position = start;
  for (;;) {
    const batch = await store.readAll(position, 1000);
    if (batch.length === 0) break;
    // A page of events in the live projection's two statements (the tickets' rows read in one, written in one).
    const tickets = batch.filter((e) => e.stream.startsWith('ticket-'));
    if (tickets.length > 0) await projectTicketEvents(pool, store, tickets);
    caughtUp += tickets.length;
    position = batch[batch.length - 1]!.position;
  }
  const anchors = await rebuildAnchorIndex(pool, store);
  const ms = Date.now() - started;
  return { tickets, events, caughtUp, anchors, ms, eventsPerSecond: ms > 0 ? Math.round((events / ms) * 1000) : events };
}

/**
 * Creates the live tables' indexes on the shadows (named `<index>__rb`; two at a time, each on a
 * connection of its own, the largest tables' first), then in one transaction drops the live tables,
 * renames the shadows, their primary keys and indexes to the live names, and grants the privileges the
 * live tables had (e.g. SELECT to `tongban_auditor`).
 */
async function swapInShadows(pool: pg.Pool): Promise<string> {
  const renames: string[] = [];
  const creates: string[] = [];
  const primaryKeys: string[] = [];
  for (const t of TABLES) {
    const { rows } = await pool.query<{ indexname: string; indexdef: string; is_pkey: boolean }>(
      `SELECT i.indexname, i.indexdef, coalesce(c.contype = 'p', false) AS is_pkey FROM pg_indexes i
       LEFT JOIN pg_constraint c ON c.conname = i.indexname AND c.conrelid = (i.schemaname || '.' || i.tablename)::regclass
       WHERE i.schemaname = current_schema() AND i.tablename = $1`, [t.name],
    );
    for (const idx of rows) {
      const shadowName = `${idx.indexname}${SHADOW}`;
      creates.push(idx.indexdef
        .replace(`INDEX ${idx.indexname} ON`, `INDEX ${shadowName} ON`)
        .replace(new RegExp(`ON (\\w+\\.)?${t.name} `), (_m, schema: string | undefined) => `ON ${schema ?? ''}${t.name}${SHADOW} `));
      if (idx.is_pkey) {
        primaryKeys.push(`ALTER TABLE ${t.name}${SHADOW} ADD CONSTRAINT ${shadowName} PRIMARY KEY USING INDEX ${shadowName}`);
        renames.push(`ALTER TABLE ${t.name} RENAME CONSTRAINT ${shadowName} TO ${idx.indexname}`);
      } else {
        renames.push(`ALTER INDEX ${shadowName} RENAME TO ${idx.indexname}`);
      }
    }
  }
  // CREATE INDEX takes a lock that other index builds of the same table share; adding a primary key
  // takes one that waits for them, so the keys come after every index is built.
  const queue = [...creates];
  await Promise.all([0, 1].map(async () => {
    for (let def = queue.shift(); def; def = queue.shift()) await pool.query(def);
  }));
  for (const sql of primaryKeys) await pool.query(sql);
  // Privileges granted on the live tables (e.g. SELECT to the read-only auditor role) carry over.
  for (const t of TABLES) {
    const { rows } = await pool.query<{ privilege_type: string; grantee: string }>(
      `SELECT a.privilege_type, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
       FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = $1::regclass AND a.grantee <> c.relowner`, [t.name],
    );
    for (const g of rows) renames.push(`GRANT ${g.privilege_type} ON ${t.name} TO ${g.grantee}`);
  }
  return withTransaction(pool, async (client) => {
    await client.query(`LOCK TABLE ${TABLES.map((t) => t.name).join(', ')} IN ACCESS EXCLUSIVE MODE`);
    for (const t of TABLES) {
      await client.query(`DROP TABLE ${t.name}`);
      await client.query(`ALTER TABLE ${t.name}${SHADOW} RENAME TO ${t.name}`);
    }
    for (const sql of renames) await client.query(sql);
    const { rows } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    return rows[0]!.xid;
  });
}

/** Recreates `audit_anchor_heads` from the anchors stream in one transaction; returns the anchors indexed. */
async function rebuildAnchorIndex(pool: pg.Pool, store: EventStore, pageSize = 20): Promise<number> {
  return withTransaction(pool, async (client) => {
    let count = 0;
    await client.query('DELETE FROM audit_anchor_heads');
    for (let from = 0; ; from += pageSize) {
      const anchors = await store.readStream(ANCHOR_STREAM, { fromRevision: from, toRevision: from + pageSize - 1 });
      if (anchors.length === 0) break;
      await indexAnchors(client, anchors);
      count += anchors.length;
    }
    return count;
  });
}
