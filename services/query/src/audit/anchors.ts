/**
 * Anchors: at an interval, one replica (holding a PostgreSQL advisory lock) appends to `audit-anchors`
 * an AuditAnchorRecorded event per batch of events appended since the previous anchor, holding the
 * head (revision, hash) of every stream changed in the batch and their Merkle root. The anchors stream
 * is itself hash-chained, so an anchored head can be trusted as long as the anchors verify.
 *
 * The batch is a range of the store's global order (xid8, position), read below the snapshot horizon
 * exactly like `readAll`, so that no late-committing transaction is skipped. `audit_anchor_heads` is a
 * lookup derived from the anchors stream (which anchor recorded which stream head); it is synced after
 * each append and can be rebuilt from the stream at any time.
 */
import { audit } from '@tongban/contracts';
import type { Clock } from '@tongban/domain';
import { AdvisoryLeader, type EventStore, type GlobalPosition, type RecordedEvent, WrongExpectedRevisionError, verifyChain } from '@tongban/eventstore';
import type pg from 'pg';
import { ID_NAMESPACES, uuidV5 } from '@tongban/runtime';
import { merkleRoot } from './merkle';
import { ANCHOR_STREAM, type Db, readHeads } from './streams';

/** Type name of the anchor event. */
const ANCHOR_EVENT_TYPE = 'AuditAnchorRecorded';

/**
 * Default number of events covered by one anchor event. It bounds the event's size: at most 2,000
 * heads of ~150 bytes, well under NATS's default 1 MB message limit (the relay publishes every event).
 */
const DEFAULT_ANCHOR_BATCH = 2000;

/** Default interval between anchor rounds, ms (TONGBAN_ANCHOR_INTERVAL_MS). */
export const DEFAULT_ANCHOR_INTERVAL_MS = 60_000;

/** Advisory lock of the anchor role: class "anch", object 1. */
const ANCHOR_LOCK_CLASS = 0x616e6368;
const ANCHOR_LOCK_OBJECT = 1;

/** Data of an AuditAnchorRecorded event as stored (every field explicit). */
export type AnchorData = audit.AuditAnchorRecorded;

/**
 * The data of a stored anchor event, decoded with the generated codec (proto/tongban/audit/v1): absent
 * fields get their proto defaults (no heads: [], a head without revision: 0), unknown fields are dropped.
 */
export function decodeAnchor(event: Pick<RecordedEvent, 'data'>): AnchorData {
  return audit.AuditAnchorRecorded.fromJSON(event.data);
}

/** What one round did. */
export interface AnchorRound {
  /** Anchor events appended. */
  anchors: number;
  /** Stream heads recorded, over all appended anchors. */
  heads: number;
  /** Events covered. */
  events: number;
}

/** Dependencies of the anchor role. */
export interface AnchorDeps {
  pool: pg.Pool;
  store: EventStore;
  clock: Clock;
}

interface ChangedRow {
  stream: string;
  revision: number;
  hash: string;
  transaction_id: string;
  global_position: string;
}

/** The latest anchor: its revision in `audit-anchors` (-1: none) and the end of the range it covered. */
async function latestAnchor(db: Db, store: EventStore): Promise<{ revision: number; toPosition: GlobalPosition | null }> {
  const head = (await readHeads(db, [ANCHOR_STREAM])).get(ANCHOR_STREAM);
  if (!head || head.lastRevision < 0) return { revision: -1, toPosition: null };
  const [event] = await store.readStream(ANCHOR_STREAM, { fromRevision: head.lastRevision, toRevision: head.lastRevision });
  const to = event ? decodeAnchor(event).toPosition : undefined;
  if (!event || !to) throw new Error(`anchor #${head.lastRevision} is missing or has no toPosition`);
  return { revision: head.lastRevision, toPosition: to };
}

/** Events after `after` in global order (below the snapshot horizon), audit anchors left out. */
async function changedSince(db: Db, after: GlobalPosition | null, limit: number): Promise<ChangedRow[]> {
  // ORDER BY must name the columns qualified (e.), not the text aliases, to sort numerically.
  const select = `SELECT e.stream, e.revision::int AS revision, e.hash, e.transaction_id::text AS transaction_id,
      e.global_position::text AS global_position
    FROM events e WHERE e.transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())) AND e.stream <> '${ANCHOR_STREAM}'`;
  const { rows } = after
    ? await db.query<ChangedRow>(`${select} AND (e.transaction_id, e.global_position) > ($1::xid8, $2::bigint)
        ORDER BY e.transaction_id, e.global_position LIMIT $3`, [after.transactionId, after.position, limit])
    : await db.query<ChangedRow>(`${select} ORDER BY e.transaction_id, e.global_position LIMIT $1`, [limit]);
  return rows;
}

/** The anchor data for a batch of changed events (heads: the last revision per stream, sorted by stream). */
function anchorData(rows: readonly ChangedRow[], from: GlobalPosition | null): AnchorData {
  const last = rows[rows.length - 1];
  if (!last) throw new Error('nothing to anchor');
  const heads = new Map<string, { stream: string; revision: number; hash: string }>();
  for (const r of rows) {
    const known = heads.get(r.stream);
    if (!known || known.revision < r.revision) heads.set(r.stream, { stream: r.stream, revision: r.revision, hash: r.hash });
  }
  const sorted = [...heads.values()].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  return {
    ...(from ? { fromPosition: from } : {}),
    toPosition: { transactionId: last.transaction_id, position: last.global_position },
    heads: sorted,
    merkleRoot: merkleRoot(sorted),
    eventCount: rows.length,
  };
}

/**
 * Event id of the anchor covering the events up to `to` (its end in the store's global order): UUID v5 of
 * `audit-anchors/<transaction id>/<position>` in {@link ID_NAMESPACES}.auditAnchor, so a round repeated after a
 * crash derives the same id. Stored: never change what this computes.
 */
export function anchorEventId(to: GlobalPosition): string {
  return uuidV5(`${ANCHOR_STREAM}/${to.transactionId}/${to.position}`, ID_NAMESPACES.auditAnchor);
}

/**
 * One anchor round: appends anchors until every event below the horizon is covered (at most
 * `batchSize` events per anchor), then syncs `audit_anchor_heads`. Appends with the expected revision
 * of the anchors stream, so a concurrent writer (which the advisory lock should prevent) makes this
 * round stop rather than fork the anchors.
 */
export async function recordAnchors(deps: AnchorDeps, options: { batchSize?: number } = {}): Promise<AnchorRound> {
  const batchSize = options.batchSize ?? DEFAULT_ANCHOR_BATCH;
  const round: AnchorRound = { anchors: 0, heads: 0, events: 0 };
  let last = await latestAnchor(deps.pool, deps.store);
  for (;;) {
    const rows = await changedSince(deps.pool, last.toPosition, batchSize);
    if (rows.length === 0) break;
    const data = anchorData(rows, last.toPosition);
    const to = data.toPosition!;
    const id = anchorEventId(to);
    try {
      const result = await deps.store.append(ANCHOR_STREAM, [{
        id,
        type: ANCHOR_EVENT_TYPE,
        data: data as unknown as Record<string, unknown>,
        metadata: {
          actor: { kind: 'system', id: 'query' }, channel: 'system', correlationId: id, service: 'query', schemaVersion: 1,
          occurredAt: deps.clock.now().toISOString(),
        },
      }], last.revision < 0 ? 'no_stream' : last.revision);
      last = { revision: result.nextExpectedRevision, toPosition: to };
    } catch (err) {
      if (err instanceof WrongExpectedRevisionError) break;
      throw err;
    }
    round.anchors += 1;
    round.heads += data.heads.length;
    round.events += rows.length;
  }
  await syncAnchorIndex(deps.pool, deps.store);
  return round;
}

/**
 * Brings `audit_anchor_heads` up to date with the anchors stream (idempotent: rows are keyed by stream
 * and anchor revision). Returns the number of anchors indexed.
 */
async function syncAnchorIndex(pool: pg.Pool, store: EventStore, pageSize = 20): Promise<number> {
  const { rows } = await pool.query<{ max: number }>('SELECT coalesce(max(anchor_revision), -1)::int AS max FROM audit_anchor_heads');
  let next = (rows[0]?.max ?? -1) + 1;
  let indexed = 0;
  for (;;) {
    const anchors = await store.readStream(ANCHOR_STREAM, { fromRevision: next, toRevision: next + pageSize - 1 });
    if (anchors.length === 0) return indexed;
    await indexAnchors(pool, anchors);
    indexed += anchors.length;
    next = anchors[anchors.length - 1]!.revision + 1;
  }
}

/** Inserts the heads of anchor events into `audit_anchor_heads` (existing rows are kept). */
export async function indexAnchors(db: Db, anchors: readonly RecordedEvent[]): Promise<void> {
  const streams: string[] = [], anchorRevisions: number[] = [], revisions: number[] = [], hashes: string[] = [], times: string[] = [];
  for (const a of anchors) {
    for (const h of decodeAnchor(a).heads) {
      streams.push(h.stream); anchorRevisions.push(a.revision); revisions.push(h.revision); hashes.push(h.hash); times.push(a.recordedAt);
    }
  }
  if (streams.length === 0) return;
  await db.query(
    `INSERT INTO audit_anchor_heads (stream, anchor_revision, revision, hash, recorded_at)
     SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::timestamptz[])
     ON CONFLICT (stream, anchor_revision) DO NOTHING`,
    [streams, anchorRevisions, revisions, hashes, times],
  );
}

/** Outcome of {@link verifyAnchorStream}. */
export interface AnchorStreamVerification {
  intact: boolean;
  /** Anchor events checked. */
  checkedAnchors: number;
  /** Stream heads recorded by those anchors. */
  checkedHeads: number;
  /** The first anchor revision that is broken. */
  firstBadRevision?: number;
  /** Everything found wrong (the first names `firstBadRevision`). */
  problems: string[];
}

/**
 * Verifies the anchors themselves: the hash chain of `audit-anchors` and its head row, each anchor's
 * Merkle root over its heads, the ranges following one another, and `audit_anchor_heads` agreeing
 * with the stream (an altered index would otherwise hide a deletion). Reads `pageSize` anchors at a time.
 */
export async function verifyAnchorStream(
  db: Db, store: EventStore, options: { pageSize?: number; onProgress?: (checked: number) => void } = {},
): Promise<AnchorStreamVerification> {
  const pageSize = options.pageSize ?? 20;
  const out: AnchorStreamVerification = { intact: true, checkedAnchors: 0, checkedHeads: 0, problems: [] };
  const problem = (revision: number | undefined, text: string) => {
    if (out.intact && revision !== undefined) out.firstBadRevision = revision;
    out.intact = false;
    out.problems.push(text);
  };
  let previous: RecordedEvent | undefined;
  for (let from = 0; ; from += pageSize) {
    const page = await store.readStream(ANCHOR_STREAM, { fromRevision: from, toRevision: from + pageSize - 1 });
    if (page.length === 0) break;
    const chain = verifyChain(page, previous ? { revision: previous.revision, hash: previous.hash } : undefined);
    if (!chain.intact) {
      problem(chain.firstBadRevision, `audit-anchors: ${chain.reason ?? 'chain broken'}`);
      return out;
    }
    const indexRows = await db.query<{ stream: string; anchor_revision: number; revision: number; hash: string }>(
      'SELECT stream, anchor_revision, revision, hash FROM audit_anchor_heads WHERE anchor_revision = ANY($1::int[])',
      [page.map((e) => e.revision)],
    );
    const index = new Map(indexRows.rows.map((r) => [`${r.anchor_revision}/${r.stream}`, r]));
    for (const event of page) {
      const data = decodeAnchor(event);
      const heads = data.heads.map((h) => ({ stream: h.stream, revision: h.revision, hash: h.hash }));
      if (merkleRoot(heads) !== data.merkleRoot) problem(event.revision, `anchor #${event.revision}: the Merkle root does not match its heads`);
      const prevTo = previous ? decodeAnchor(previous).toPosition : undefined;
      const from = data.fromPosition;
      if (prevTo && (from?.transactionId !== prevTo.transactionId || from?.position !== prevTo.position)) {
        problem(event.revision, `anchor #${event.revision}: its range does not start where anchor #${previous!.revision} ended`);
      }
      for (const h of heads) {
        const row = index.get(`${event.revision}/${h.stream}`);
        if (!row || row.revision !== h.revision || row.hash !== h.hash) {
          problem(event.revision, `audit_anchor_heads disagrees with anchor #${event.revision} on ${h.stream} (the lookup was altered; run the rebuild)`);
        }
      }
      out.checkedHeads += heads.length;
      previous = event;
    }
    out.checkedAnchors += page.length;
    options.onProgress?.(out.checkedAnchors);
  }
  const head = (await readHeads(db, [ANCHOR_STREAM])).get(ANCHOR_STREAM);
  const last = previous?.revision ?? -1;
  if (head && head.lastRevision !== last) {
    problem(Math.min(head.lastRevision, last) + 1, `audit-anchors: the head row records revision ${head.lastRevision}, the last anchor is #${last}`);
  } else if (!head && previous) {
    problem(undefined, 'audit-anchors: the head row is missing');
  }
  return out;
}

/** A running anchor role. */
export interface AnchorRole {
  /** Runs a round now (if this replica holds the lock) and resolves with it; null when another replica holds it. */
  runNow(): Promise<AnchorRound | null>;
  /** Stops the timer, waits for a running round, releases the lock. */
  stop(): Promise<void>;
}

/**
 * Starts the anchor role: every `intervalMs` the replica holding the session advisory lock
 * ({@link AdvisoryLeader}) runs {@link recordAnchors}; the others try to take the lock each interval.
 * An error — a lost lock session included — is reported, the lock session is ended, and the next
 * interval tries again.
 */
export function startAnchorRole(
  deps: AnchorDeps & { intervalMs: number; batchSize?: number; onError?: (err: unknown) => void; onRound?: (round: AnchorRound) => void },
): AnchorRole {
  const leader = new AdvisoryLeader(deps.pool, { classId: ANCHOR_LOCK_CLASS, object: ANCHOR_LOCK_OBJECT });
  let running: Promise<AnchorRound | null> | null = null;
  let stopped = false;
  const round = async (): Promise<AnchorRound | null> => {
    if (!(await leader.tryLead())) return null;
    // The lock session's connection broke since the last round: another replica may hold the lock now.
    leader.assertLeading();
    const result = await recordAnchors(deps, deps.batchSize !== undefined ? { batchSize: deps.batchSize } : {});
    if (result.anchors > 0) deps.onRound?.(result);
    return result;
  };
  const runNow = (): Promise<AnchorRound | null> => {
    if (running) return running;
    running = round()
      .catch((err: unknown) => {
        deps.onError?.(err);
        leader.abdicate(err);
        return null;
      })
      .finally(() => { running = null; });
    return running;
  };
  const timer = setInterval(() => { if (!stopped) void runNow(); }, deps.intervalMs);
  timer.unref?.();
  return {
    runNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      await leader.resign();
    },
  };
}
