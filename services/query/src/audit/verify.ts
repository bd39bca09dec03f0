/**
 * Verification of one stream against every piece of evidence the platform keeps (pure):
 * 1. the hash chain of its events (altered content, missing, swapped or foreign events);
 * 2. the `streams` head row the store moved with each append (a truncated tail, a deleted stream);
 * 3. the heads recorded by the anchors (`audit-anchors`): a truncation or a deletion that also fixed
 *    the head row, and a chain rewritten with recomputed hashes, are caught because an anchored head
 *    must still be in the stream with the same hash.
 * What is not covered: changes to events appended after the latest anchor, made together with a
 * consistent head row and chain (a window of at most one anchor interval).
 */
import { type ChainVerification, type RehashedLink, verifyRehashedChain } from '@tongban/eventstore';
import type { StreamHeadRow } from './streams';

/** A head of the stream recorded by an anchor. */
export interface AnchoredHead {
  /** Revision of the AuditAnchorRecorded event in `audit-anchors`. */
  anchorRevision: number;
  /** The stream's last revision when anchored. */
  revision: number;
  /** The hash of that revision when anchored. */
  hash: string;
  /** When the anchor was recorded (UTC ISO-8601), when known. */
  recordedAt?: string;
}

/** The outcome for one stream. */
export interface StreamVerification extends ChainVerification {
  stream: string;
  /** Last revision present in the store (-1: no events). */
  lastRevision: number;
  /** The latest anchor covering the stream, if any. */
  anchor?: AnchoredHead;
  /** False when nothing at all is known about the stream (no events, head row or anchor). */
  known: boolean;
}

/**
 * Checks a stream's events (in revision order, as read, each with the hash recomputed from its content)
 * against its head row and its anchored heads (any order). Never throws for tampered content.
 * `firstBadRevision` names the first revision altered, missing or out of order; for a truncated tail
 * the first missing revision; for a chain rewritten after an anchor the first revision after the last
 * anchored head that still matches; for a deleted stream 0.
 */
export function assessStream(
  stream: string,
  events: readonly RehashedLink[],
  head: StreamHeadRow | undefined,
  anchors: readonly AnchoredHead[],
): StreamVerification {
  const sorted = [...anchors].sort((a, b) => a.anchorRevision - b.anchorRevision);
  const anchor = sorted[sorted.length - 1];
  const lastRevision = events.length ? events[events.length - 1]!.revision : -1;
  const base = { stream, lastRevision, ...(anchor ? { anchor } : {}), known: true };
  const broken = (checkedEvents: number, reason: string, firstBadRevision?: number): StreamVerification => ({
    ...base, intact: false, checkedEvents, reason, ...(firstBadRevision !== undefined ? { firstBadRevision } : {}),
  });

  const foreign = events.find((e) => e.stream !== stream);
  if (foreign) return broken(0, `event ${foreign.id} belongs to stream ${foreign.stream}, not ${stream}`, foreign.revision);

  if (events.length === 0) {
    if (head && head.lastRevision >= 0) {
      return broken(0, `stream ${stream} has no events, but its head row records revision ${head.lastRevision}: the stream was deleted`, 0);
    }
    if (anchor) {
      return broken(0, `stream ${stream} has no events, but anchor #${anchor.anchorRevision} recorded it at revision ${anchor.revision}: the stream was deleted`, 0);
    }
    return { ...base, intact: true, checkedEvents: 0, known: head !== undefined };
  }

  const chain = verifyRehashedChain(events);
  if (!chain.intact) return { ...base, ...chain };

  if (!head) return broken(events.length, `stream ${stream} has events but no head row (the streams row was deleted)`);
  if (head.lastRevision > lastRevision) {
    return broken(events.length, `tail truncated: the head row records revision ${head.lastRevision}, the last event is revision ${lastRevision}`, lastRevision + 1);
  }
  if (head.lastRevision < lastRevision) {
    return broken(events.length, `events beyond the head row: it records revision ${head.lastRevision}, the last event is revision ${lastRevision}`, head.lastRevision + 1);
  }
  if (head.lastHash !== events[events.length - 1]!.hash) {
    return broken(events.length, `the head row's hash differs from revision ${lastRevision}'s hash`, lastRevision);
  }

  let lastMatching = -1;
  for (const a of sorted) {
    const when = a.recordedAt ? ` (recorded ${a.recordedAt})` : '';
    if (a.revision > lastRevision) {
      return broken(events.length, `tail truncated: anchor #${a.anchorRevision}${when} recorded revision ${a.revision}, the stream ends at revision ${lastRevision}`, lastRevision + 1);
    }
    if (events[a.revision]!.hash !== a.hash) {
      return broken(events.length,
        `chain rewritten: revision ${a.revision} differs from anchor #${a.anchorRevision}${when}; the last revision matching an anchor is ${lastMatching}`,
        lastMatching + 1);
    }
    lastMatching = Math.max(lastMatching, a.revision);
  }
  return { ...base, intact: true, checkedEvents: chain.checkedEvents };
}
