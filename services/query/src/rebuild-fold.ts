/**
 * The rebuild's fold (rebuild.ts): the ticket streams read in (stream, revision) order, each ticket folded as
 * its rows arrive (the live projection's `foldTicket` and row builders), its final rows written into the
 * shadow tables with COPY on two further connections while the next tickets are folded.
 */
import type { DecodableEvent } from '@tongban/runtime';
import pg from 'pg';
import { CopyRows, copyInto } from './copy-in';
import { type FoldedTicket, VIEW_COLUMNS, foldTicket, viewParams } from './read-models/projection';
import { FACT_COLUMNS, factsParams, ticketFacts } from './stats/facts';

/** Suffix of the shadow tables (and their indexes) the rebuild fills before the swap. */
export const SHADOW = '__rb';

/**
 * What the fold reads of an event, as an array (rowMode 'array'; no hashes, positions or metadata the
 * fold does not use): stream, revision (int8 as text), type, id, data (parsed), occurredAt, actor (parsed).
 */
type FoldRow = [stream: string, revision: string, type: string, id: string, data: DecodableEvent['data'], occurredAt: string, actor: DecodableEvent['metadata']['actor']];

const SCAN_SQL = `SELECT e.stream, e.revision, e.type, e.id::text, e.data, e.metadata->>'occurredAt', e.metadata->'actor'
  FROM events e WHERE (e.stream, e.revision) > ($1, $2) AND e.stream < $3 ORDER BY e.stream, e.revision LIMIT $4`;

/**
 * Settings of a connection that reads with {@link foldTickets} (and {@link SCAN_RESET} to undo them): its
 * pages are read by the primary key's index, in order. Without them, PostgreSQL reads the last pages of the
 * ticket streams by a parallel scan of the whole table and a sort (its estimate for a few tens of thousands
 * of rows out of the table prefers it).
 */
export const SCAN_SETTINGS = 'SET enable_seqscan = off; SET enable_bitmapscan = off';
/** Undoes {@link SCAN_SETTINGS}. */
export const SCAN_RESET = 'RESET enable_seqscan; RESET enable_bitmapscan';

/** Where a scan page starts: after this (stream, revision); revision as decimal text. */
type ScanPosition = readonly [stream: string, revision: string];

/** Bounds of the ticket streams: every `ticket-…` name sorts between them (the database's collation is C). */
const TICKETS = { first: 'ticket-', end: 'ticket.' } as const;

/**
 * Reads one page of ticket events (at most `limit`, in (stream, revision) order, after `after`) and hands
 * each to `onEvent` as its row arrives: no page of rows is held (they die young, which keeps the garbage
 * collector's work small), and the fold runs while the server still sends the page. Resolves with the
 * number of rows and the position of the last one; rejects with the server's error, or with the first
 * error `onEvent` threw (the rest of the page is then read and dropped).
 */
function scanPage(client: pg.ClientBase, after: ScanPosition, end: string, limit: number, onEvent: (event: DecodableEvent) => void): Promise<{ rows: number; last: ScanPosition | undefined }> {
  return new Promise((resolve, reject) => {
    let rows = 0;
    let last: FoldRow | undefined;
    let failure: unknown;
    const config: pg.QueryArrayConfig = { text: SCAN_SQL, values: [after[0], after[1], end, limit], rowMode: 'array' };
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
export class ShadowWriter {
  private readonly views = new CopyRows();
  private readonly facts = new CopyRows();
  /** Batches cut and not yet written (the first one is being written). */
  private readonly pending: Promise<void>[] = [];
  private last: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  /** Writes with `viewsClient` and `factsClient` (their own connections), `batch` tickets per COPY. */
  constructor(private readonly viewsClient: pg.ClientBase, private readonly factsClient: pg.ClientBase, private readonly batch: number) {}

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

  /** Writes the rest; once it returns (also after a failure) the connections are idle. @throws the first COPY error. */
  async close(): Promise<void> {
    try {
      this.cut();
      await this.drain(-1);
    } finally {
      await this.last.catch(() => undefined);
    }
  }
}

/** Events read and tickets folded (by a page, or by the whole scan). */
export interface FoldCounts { events: number; tickets: number }

/**
 * Folds every ticket stream (read with `scan`, set with {@link SCAN_SETTINGS}, pages of `pageSize` events) and hands each
 * ticket's final rows to `writer`; `onPage` is called after each page with the events it held and the
 * tickets finished meanwhile, once the writer has room again (backpressure), and once more for the last
 * ticket (no events): the calls add up to the result.
 * @throws the server's error, a fold's (e.g. an undecodable event), or the writer's.
 */
export async function foldTickets(scan: pg.ClientBase, writer: ShadowWriter, pageSize: number, onPage: (page: FoldCounts) => void): Promise<FoldCounts> {
  let tickets = 0;
  let events = 0;
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
  for (let after: ScanPosition | undefined = [TICKETS.first, '-1']; after;) {
    const before = tickets;
    const page = await scanPage(scan, after, TICKETS.end, pageSize, onEvent);
    if (current) current = { stream: current.stream, pending: [], folded: foldTicket(current.pending, current.folded) };
    events += page.rows;
    await writer.drain();
    onPage({ events: page.rows, tickets: tickets - before });
    after = page.rows < pageSize ? undefined : page.last;
  }
  // The last ticket is finished after the last page: counted in a progress call of its own, so the
  // progress adds up to the result.
  const before = tickets;
  finish();
  if (tickets > before) onPage({ events: 0, tickets: tickets - before });
  return { events, tickets };
}
