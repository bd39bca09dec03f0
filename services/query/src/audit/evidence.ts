/**
 * Verification against the database: loads, for a batch of streams, their events, head rows and
 * anchored heads (from `audit_anchor_heads`) and assesses each (see verify.ts). Also pages through the
 * ticket streams to verify (a division's, or all) so that a deleted stream is still visited: the
 * candidates are the union of the head rows, the anchored heads and the read model's tickets.
 */
import { computeEventHash, type EventStore } from '@tongban/eventstore';
import { decodeAnchor } from './anchors';
import { merkleRoot } from './merkle';
import { ANCHOR_STREAM, type Db, TICKET_STREAM_PREFIX, readHeads, readStreams } from './streams';
import { type AnchoredHead, type StreamVerification, assessStream } from './verify';

/** The anchored heads of several streams, from `audit_anchor_heads`, by stream (ascending anchor revision). */
async function readAnchoredHeads(db: Db, streams: readonly string[]): Promise<Map<string, AnchoredHead[]>> {
  const out = new Map<string, AnchoredHead[]>();
  if (streams.length === 0) return out;
  const { rows } = await db.query<{ stream: string; anchor_revision: number; revision: number; hash: string; recorded_at: Date }>(
    `SELECT stream, anchor_revision, revision, hash, recorded_at FROM audit_anchor_heads
     WHERE stream = ANY($1::text[]) ORDER BY stream, anchor_revision`, [streams],
  );
  for (const r of rows) {
    const head: AnchoredHead = { anchorRevision: r.anchor_revision, revision: r.revision, hash: r.hash, recordedAt: r.recorded_at.toISOString() };
    const list = out.get(r.stream);
    if (list) list.push(head);
    else out.set(r.stream, [head]);
  }
  return out;
}

/** Verifies several streams in three queries (events, head rows, anchored heads). Results in input order. */
export async function verifyStreams(db: Db, streams: readonly string[]): Promise<StreamVerification[]> {
  const [events, heads, anchors] = await Promise.all([readStreams(db, streams), readHeads(db, streams), readAnchoredHeads(db, streams)]);
  return streams.map((s) => assessStream(s, events.get(s) ?? [], heads.get(s), anchors.get(s) ?? []));
}

/**
 * Checks that the anchor event an anchored head comes from is authentic: it is in `audit-anchors`,
 * its hash matches its content and predecessor link, its Merkle root matches its heads, and it
 * records this head. Returns the problem, or undefined when authentic.
 */
async function checkAnchorAuthentic(store: EventStore, stream: string, head: AnchoredHead): Promise<string | undefined> {
  const [event] = await store.readStream(ANCHOR_STREAM, { fromRevision: head.anchorRevision, toRevision: head.anchorRevision });
  if (!event) return `anchor #${head.anchorRevision} is missing from ${ANCHOR_STREAM}`;
  if (computeEventHash(event.prevHash, event) !== event.hash) return `anchor #${head.anchorRevision} was altered (hash mismatch)`;
  const data = decodeAnchor(event);
  const heads = data.heads.map((h) => ({ stream: h.stream, revision: h.revision, hash: h.hash }));
  if (merkleRoot(heads) !== data.merkleRoot) return `anchor #${head.anchorRevision}: the Merkle root does not match its heads`;
  const recorded = heads.find((h) => h.stream === stream);
  if (!recorded || recorded.revision !== head.revision || recorded.hash !== head.hash) {
    return `audit_anchor_heads disagrees with anchor #${head.anchorRevision} on ${stream} (the lookup was altered)`;
  }
  return undefined;
}

/**
 * Verifies one stream and, when it is anchored, that its latest anchor is authentic (an altered
 * lookup row cannot make a truncated stream look intact).
 */
export async function verifyStream(db: Db, store: EventStore, stream: string): Promise<StreamVerification> {
  const [result] = await verifyStreams(db, [stream]);
  if (!result) throw new Error('no verification result');
  if (result.intact && result.anchor) {
    const problem = await checkAnchorAuthentic(store, stream, result.anchor);
    if (problem) return { ...result, intact: false, reason: problem };
  }
  return result;
}

/** A page of ticket streams to verify. */
export interface CandidatePage {
  streams: string[];
  /** The last stream of the page (pass as `after`), or undefined when this was the last page. */
  next?: string;
}

/**
 * The next `limit` ticket streams after `after` (stream name order = ticket id order), from the union
 * of head rows, anchored heads and the read model (`ticket_views`), so that a stream whose events and
 * head row were deleted is still visited. With `division`, only tickets of the read model in that
 * subtree (division codes are hierarchical: a prefix match).
 */
export async function candidateTicketStreams(db: Db, options: { division?: string; after?: string; limit: number }): Promise<CandidatePage> {
  const after = options.after ?? TICKET_STREAM_PREFIX;
  const afterId = after.startsWith(TICKET_STREAM_PREFIX) && after.length > TICKET_STREAM_PREFIX.length
    ? after.slice(TICKET_STREAM_PREFIX.length) : '00000000-0000-0000-0000-000000000000';
  const inclusive = afterId === '00000000-0000-0000-0000-000000000000' && after === TICKET_STREAM_PREFIX;
  let rows: { stream: string }[];
  if (options.division) {
    ({ rows } = await db.query<{ stream: string }>(
      `SELECT 'ticket-' || ticket_id::text AS stream FROM ticket_views
       WHERE division LIKE $1 AND ticket_id ${inclusive ? '>=' : '>'} $2::uuid ORDER BY ticket_id LIMIT $3`,
      [`${options.division}%`, afterId, options.limit],
    ));
  } else {
    // Ticket streams sort between 'ticket-' and 'ticket.' ('.' follows '-'); the database collation is C.
    ({ rows } = await db.query<{ stream: string }>(
      `SELECT stream FROM (
         (SELECT stream FROM streams WHERE stream > $1 AND stream < 'ticket.' ORDER BY stream LIMIT $3)
         UNION
         (SELECT DISTINCT stream FROM audit_anchor_heads WHERE stream > $1 AND stream < 'ticket.' ORDER BY stream LIMIT $3)
         UNION
         (SELECT 'ticket-' || ticket_id::text FROM ticket_views WHERE ticket_id ${inclusive ? '>=' : '>'} $2::uuid ORDER BY ticket_id LIMIT $3)
       ) c ORDER BY stream COLLATE "C" LIMIT $3`,
      [after, afterId, options.limit],
    ));
  }
  const streams = rows.map((r) => r.stream);
  return { streams, ...(streams.length === options.limit ? { next: streams[streams.length - 1]! } : {}) };
}

/**
 * Pages of {@link candidateTicketStreams} one ahead: once a page is read, the query of the page after it
 * starts, so that it runs while the caller verifies this one (the caller no longer waits for it between
 * pages). Each page is what candidateTicketStreams gives for its `after`; asking for another `after` than
 * the one read ahead runs its own query. A failure of the query read ahead is thrown by the call that
 * asks for that page (never unhandled).
 */
export class CandidatePager {
  private ahead: { after: string; page: Promise<CandidatePage> } | undefined;

  constructor(private readonly db: Db, private readonly options: { division?: string; limit: number }) {}

  /** The page after `after` (undefined: the first page). @throws the database's error. */
  async page(after?: string): Promise<CandidatePage> {
    const ahead = this.ahead;
    this.ahead = undefined;
    const page = await (ahead && ahead.after === after ? ahead.page : this.read(after));
    if (page.next) {
      const next = this.read(page.next);
      next.catch(() => undefined); // thrown by the call that asks for it
      this.ahead = { after: page.next, page: next };
    }
    return page;
  }

  private read(after: string | undefined): Promise<CandidatePage> {
    return candidateTicketStreams(this.db, { ...this.options, ...(after ? { after } : {}) });
  }
}

/** How many ticket streams {@link candidateTicketStreams} will visit, estimated (for progress). */
export async function countTicketStreams(db: Db, division?: string): Promise<number> {
  const { rows } = division
    ? await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_views WHERE division LIKE $1', [`${division}%`])
    : await db.query<{ n: number }>(`SELECT greatest((SELECT count(*) FROM streams WHERE stream > 'ticket-' AND stream < 'ticket.'),
        (SELECT count(*) FROM ticket_views))::int AS n`);
  return rows[0]?.n ?? 0;
}
