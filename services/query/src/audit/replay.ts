/**
 * Replay: a ticket's events up to a revision or an instant, and its state evolved from them with the
 * same decider code (`evolveAll`) that live handling and the projection use.
 */
import { type TicketState, evolveAll, initialTicketState } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import { toEnvelopes } from '@tongban/runtime';
import { REDACTED, type ReporterDisclosure, mask } from '../access';

/** Where to stop: at a revision (inclusive), at an instant (events that occurred at or before it), or both. */
export interface ReplayPoint {
  revision?: number;
  /** UTC ISO-8601 (or any instant Date.parse reads with an offset). */
  at?: string;
}

/** Thrown for a replay point that cannot be used (a negative revision, an unreadable instant). */
export class InvalidReplayPointError extends Error {
  override readonly name = 'InvalidReplayPointError';
  readonly code = 'invalid_replay_point';
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks a replay point: a revision is a non-negative integer; an instant is ISO-8601 with a time
 * and an offset (Z or ±hh:mm), e.g. 2026-03-01T09:00:00+08:00.
 * @throws InvalidReplayPointError
 */
export function checkReplayPoint(point: ReplayPoint): void {
  if (point.revision !== undefined && !(Number.isInteger(point.revision) && point.revision >= 0)) {
    throw new InvalidReplayPointError(`revision must be a non-negative integer, got ${point.revision}`);
  }
  if (point.at !== undefined && (!INSTANT.test(point.at) || Number.isNaN(Date.parse(point.at)))) {
    throw new InvalidReplayPointError(`at must be an ISO-8601 instant with an offset, got ${point.at}`);
  }
}

/** The events of a stream (in revision order) up to the point: revision ≤ N and occurredAt ≤ at. */
export function eventsUpTo(events: readonly RecordedEvent[], point: ReplayPoint): RecordedEvent[] {
  checkReplayPoint(point);
  const at = point.at !== undefined ? Date.parse(point.at) : undefined;
  const out: RecordedEvent[] = [];
  for (const e of events) {
    if (point.revision !== undefined && e.revision > point.revision) break;
    if (at !== undefined && Date.parse(e.metadata.occurredAt) > at) break;
    out.push(e);
  }
  return out;
}

/** The state evolved from events (the initial state when there are none). */
export function replayState(events: readonly RecordedEvent[]): TicketState {
  return events.length ? evolveAll(toEnvelopes(events)) : initialTicketState();
}

/**
 * A ticket state with personal data as a reader may see it (ReporterDisclosure): masked — the proxy's contact;
 * hidden (a confidential ticket) — also the proxy's person and the reporting device, REDACTED.
 */
export function maskState(s: TicketState, disclosure: ReporterDisclosure): TicketState {
  if (disclosure === 'full') return s;
  if (disclosure === 'masked') return s.onBehalfOf ? { ...s, onBehalfOf: { name: s.onBehalfOf.name, contact: mask(s.onBehalfOf.contact) } } : s;
  const hide = (v: string) => (v ? REDACTED : v);
  return {
    ...s,
    reporter: { ...s.reporter, deviceId: hide(s.reporter.deviceId) },
    ...(s.onBehalfOf ? { onBehalfOf: { name: hide(s.onBehalfOf.name), contact: hide(s.onBehalfOf.contact) } } : {}),
  };
}
