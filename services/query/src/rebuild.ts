/**
 * Rebuild: recreates every read model of the query service from the event store while the service
 * keeps serving.
 * 1. Note the store's global position (the catch-up starts there).
 * 2. Fold every ticket stream, in stream order, in memory as its rows arrive (each ticket's events
 *    through `evolveAll`, only its final rows written) into shadow tables `ticket_views__rb` and
 *    `ticket_stats__rb` (shaped like the live tables, column compression included), loaded with COPY
 *    (copy-in.ts) on two connections while the next tickets are folded (no indexes while loading; then
 *    the live tables' indexes, by definition, built two at a time on two connections).
 * 3. Swap in one transaction (drop the live tables, rename the shadows and their indexes to the
 *    canonical names).
 * 4. Catch up, once no transaction older than the swap is running: project every event after the
 *    noted position (revision-guarded, so events the scan already saw change nothing).
 * 5. Rebuild `audit_anchor_heads` from the `audit-anchors` stream in one transaction.
 * Uses the same fold (`foldTicket`) and row builders as the live projection, so the rebuilt tables
 * equal the live ones.
 */
import { type EventStore, type GlobalPosition, withTransaction } from '@tongban/eventstore';
import type { DecodableEvent } from '@tongban/runtime';
import pg from 'pg';
import { indexAnchors } from './audit/anchors';
import { ANCHOR_STREAM } from './audit/streams';
import { CopyRows, copyInto } from './copy-in';
import { type FoldedTicket, VIEW_COLUMNS, foldTicket, projectTicketEvent, viewParams } from './read-models/projection';
import { FACT_COLUMNS, factsParams, ticketFacts } from './stats/facts';

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

const SHADOW = '__rb';

/**
 * What the fold reads of an event, as an array (rowMode 'array'; no hashes, positions or metadata the
 * fold does not use): stream, revision (int8 as text), type, id, data (parsed), occurredAt, actor (parsed).
 */
type FoldRow = [stream: string, revision: string, type: string, id: string, data: DecodableEvent['data'], occurredAt: string, actor: DecodableEvent['metadata']['actor']];

const SCAN_SQL = `SELECT e.stream, e.revision, e.type, e.id::text, e.data, e.metadata->>'occurredAt', e.metadata->'actor'
  FROM events e WHERE (e.stream, e.revision) > ($1, $2) AND e.stream < 'ticket.' ORDER BY e.stream, e.revision LIMIT $3`;

/** Where a scan page starts: after this (stream, revision); revision as decimal text. */
type ScanPosition = readonly [stream: string, revision: string];

/**
 * Reads one page of ticket events (at most `limit`, in (stream, revision) order, after `after`) and hands
 * each to `onEvent` as its row arrives: no page of rows is held (they die young, which keeps the garbage
 * collector's work small), and the fold runs while the server still sends the page. Resolves with the
 * number of rows and the position of the last one; rejects with the server's error, or with the first
 * error `onEvent` threw (the rest of the page is then read and dropped).
 */
function scanPage(client: pg.PoolClient, after: ScanPosition, limit: number, onEvent: (event: DecodableEvent) => void): Promise<{ rows: number; last: ScanPosition | undefined }> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let last: FoldRow | undefined;
    let failure: unknown;
    const config: pg.QueryArrayConfig = { text: SCAN_SQL, values: [after[0], after[1], limit], rowMode: 'array' };
    const query = new pg.Query<FoldRow>(config);
    query.on('row', (r: FoldRow) => {
      rows += 1;
      last = r;
      if (failure !== undefined) return;
      try {
        onEvent({ id: r[3], type: r[2], stream: r[0], revision: Number(r[1]), data: r[4], metadata: { occurredAt: r[5], actor: r[6] } });
      } catch (error) {
        failure = error;
      }
    });
    query.on('error', reject);
    query.on('end', () => (failure === undefined ? resolve({ rows, last: last && [last[0], last[1]] }) : reject(failure as Error)));
    client.query(query);
  });
}

/**
 * Writes the final rows of folded tickets into the shadow tables with COPY, each table on its own
 * connection, one batch at a time per table, while the next tickets are folded.
 */
class ShadowWriter {
  private readonly views = new CopyRows();
  private readonly facts = new CopyRows();
  /** Batches cut and not yet written (the first one is being written). */
  private readonly pending: Promise<void>[] = [];
  private last: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  private constructor(private readonly viewsClient: pg.PoolClient, private readonly factsClient: pg.PoolClient, private readonly batch: number) {}

  static async open(pool: pg.Pool, batch: number): Promise<ShadowWriter> {
    const views = await pool.connect();
    try {
      return new ShadowWriter(views, await pool.connect(), batch);
    } catch (error) {
      views.release();
      throw error;
    }
  }

  /** Adds a ticket's rows (the live projection's row builders); a full batch is queued for writing. */
  add(ticketId: string, folded: FoldedTicket): void {
    this.views.add(viewParams(ticketId, folded.state, folded.units));
    this.facts.add(factsParams(ticketFacts(folded.state)));
    if (this.views.count >= this.batch) this.cut();
  }

  /** Queues what is buffered; it is written once the batches before it are. */
  private cut(): void {
    if (this.views.count === 0) return;
    const [views, facts] = [this.views.take(), this.facts.take()];
    const written = this.last.then(async () => {
      await Promise.all([
        copyInto(this.viewsClient, `ticket_views${SHADOW}`, VIEW_COLUMNS, views),
        copyInto(this.factsClient, `ticket_stats${SHADOW}`, FACT_COLUMNS, facts),
      ]);
    });
    this.last = written;
    this.pending.push(written.then(() => { void this.pending.shift(); }, (error: unknown) => { this.failure ??= { error }; }));
  }

  /**
   * Waits until at most `queued` batches wait behind the one being written (backpressure for the scan).
   * @throws the first COPY error.
   */
  async drain(queued = 1): Promise<void> {
    while (!this.failure && this.pending.length > queued + 1) await this.pending[0];
    if (this.failure) throw this.failure.error;
  }

  /** Writes the rest and returns the connections (also after a failure). @throws the first COPY error. */
  async close(): Promise<void> {
    try {
      this.cut();
      await this.drain(-1);
    } finally {
      await this.last.catch(() => undefined);
      this.viewsClient.release();
      this.factsClient.release();
    }
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

  let tickets = 0;
  let events = 0;
  const writer = await ShadowWriter.open(pool, writeBatch);
  const scan = await pool.connect();
  try {
    // The ticket being read: its events since the last fold (a ticket's events may span pages: what a
    // page read of it is folded at the page's end, and the fold continues on the next page).
    let current: { stream: string; pending: DecodableEvent[]; folded?: FoldedTicket } | undefined;
    const finish = () => {
      if (!current) return;
      const folded = foldTicket(current.pending, current.folded);
      if (folded.state.exists) {
        writer.add(current.stream.slice('ticket-'.length), folded);
        tickets += 1;
      }
    };
    const onEvent = (event: DecodableEvent) => {
      if (current?.stream !== event.stream) {
        finish();
        current = { stream: event.stream, pending: [] };
      }
      current.pending.push(event);
    };
    for (let after: ScanPosition | undefined = ['ticket-', '-1']; after;) {
      const page = await scanPage(scan, after, pageSize, onEvent);
      if (current) current = { stream: current.stream, pending: [], folded: foldTicket(current.pending, current.folded) };
      events += page.rows;
      options.onProgress?.({ events, tickets });
      await writer.drain();
      after = page.rows < pageSize ? undefined : page.last;
    }
    finish();
  } finally {
    scan.release();
    await writer.close();
  }

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
    for (const e of batch) {
      if (e.stream.startsWith('ticket-')) {
        await projectTicketEvent(pool, store, e);
        caughtUp += 1;
      }
    }
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
