/**
 * The two clocks of a ticket (first reply due, resolution due) as the queue and the ticket page show
 * them: time left or overdue, and a state — normal, warning (≥ 75 % of the leg elapsed, the same
 * threshold as the deadline service's warnings), breached, met, paused. Pure: `now` is passed in (ms).
 */

/** The fields of a ticket view (GET /api/v1/tickets) the clocks need. UTC ISO instants. */
export interface ClockFields {
  status: string;
  submittedAt?: string;
  firstResponseDueAt?: string;
  firstRespondedAt?: string;
  resolutionDueAt?: string;
  resolvedAt?: string;
  resolutionPaused?: boolean;
  breaches?: { leg?: string }[];
}

/** A clock's state. */
type ClockState = 'normal' | 'warning' | 'breached' | 'met' | 'metLate' | 'paused' | 'none';

/** One clock: its state, the due instant (ms) and the signed time left (ms; negative when overdue). */
export interface Clock {
  state: ClockState;
  dueMs?: number;
  leftMs?: number;
}

/** Share of a leg after which it is in warning (the deadline service warns at 75 %). */
const WARNING_SHARE = 0.75;

const FINISHED = new Set(['resolved', 'closed', 'rejected', 'duplicate', 'withdrawn']);
const ENDED = new Set(['closed', 'rejected', 'duplicate', 'withdrawn']);

function leg(startMs: number | undefined, due: string | undefined, stopped: string | undefined, ended: boolean, paused: boolean, now: number): Clock {
  if (!due) return { state: 'none' };
  const dueMs = Date.parse(due);
  if (stopped) return { state: Date.parse(stopped) <= dueMs ? 'met' : 'metLate', dueMs };
  if (ended) return { state: 'none', dueMs };
  const leftMs = dueMs - now;
  if (paused) return { state: 'paused', dueMs, leftMs };
  if (leftMs < 0) return { state: 'breached', dueMs, leftMs };
  const span = startMs !== undefined ? dueMs - startMs : 0;
  const state = span > 0 && (now - (startMs ?? 0)) / span >= WARNING_SHARE ? 'warning' : 'normal';
  return { state, dueMs, leftMs };
}

/** The first-reply clock. */
export function firstResponseClock(t: ClockFields, now: number): Clock {
  const start = t.submittedAt ? Date.parse(t.submittedAt) : undefined;
  return leg(start, t.firstResponseDueAt, t.firstRespondedAt, ENDED.has(t.status), false, now);
}

/** The resolution clock (paused while the ticket waits on the reporter). */
export function resolutionClock(t: ClockFields, now: number): Clock {
  const start = t.submittedAt ? Date.parse(t.submittedAt) : undefined;
  return leg(start, t.resolutionDueAt, t.resolvedAt, ENDED.has(t.status) && !t.resolvedAt, t.resolutionPaused === true, now);
}

/** True when a running clock of the ticket is past due, or a breach was recorded on an open ticket. */
export function isBreached(t: ClockFields, now: number): boolean {
  if (FINISHED.has(t.status)) return false;
  return firstResponseClock(t, now).state === 'breached' || resolutionClock(t, now).state === 'breached' || (t.breaches?.length ?? 0) > 0;
}

/**
 * Sort key of the queue, "what is due first": the earliest due time of a running clock (ms); finished
 * tickets after every open one.
 */
export function dueFirstKey(t: ClockFields, now: number): number {
  if (FINISHED.has(t.status)) return Number.MAX_SAFE_INTEGER;
  const running = [firstResponseClock(t, now), resolutionClock(t, now)]
    .filter((c) => c.state === 'normal' || c.state === 'warning' || c.state === 'breached')
    .map((c) => c.dueMs ?? Number.MAX_SAFE_INTEGER);
  return running.length ? Math.min(...running) : Number.MAX_SAFE_INTEGER - 1;
}
