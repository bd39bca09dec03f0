/**
 * SLA legs (calendar hours). A leg runs from its start until it is stopped (first public reply for the
 * first-response leg; resolution for the resolution leg). Source of the figures: the catalogue's
 * slaPolicy (24 h first reply, 72 h resolution), from the Liangshan "time-limited handling" rule.
 * All instants are UTC ISO-8601 strings; durations are milliseconds.
 */

/** first_response: until the first public reply; resolution: until resolved. */
export type SlaLegName = 'first_response' | 'resolution';

/** The state of one leg. */
export interface SlaLeg {
  /** When the leg started (UTC ISO). */
  startedAt: string;
  /** When it is due (UTC ISO); shifted by pauses, replaced by an announced deadline. */
  dueAt: string;
  /** True when `dueAt` is a deadline announced by the handler. */
  announced: boolean;
  /** Set while paused (waiting on the reporter). */
  pausedAt?: string;
  /** Total paused time so far, ms. */
  pausedMs: number;
  /** When the leg was met (stopped), if it was. */
  stoppedAt?: string;
}

const HOUR_MS = 3_600_000;

/** Adds hours to a UTC ISO instant (calendar hours). */
export function addHours(instant: string, hours: number): string {
  return new Date(Date.parse(instant) + hours * HOUR_MS).toISOString();
}

/** Starts a leg at `at` with a budget of `hours`. */
export function startLeg(at: string, hours: number): SlaLeg {
  return { startedAt: at, dueAt: addHours(at, hours), announced: false, pausedMs: 0 };
}

/** Stops a running leg at `at` (no-op when already stopped). */
export function stopLeg(leg: SlaLeg, at: string): SlaLeg {
  if (leg.stoppedAt) return leg;
  const resumed = leg.pausedAt ? resumeLeg(leg, at) : leg;
  return { ...resumed, stoppedAt: at };
}

/** Pauses a running leg at `at` (no-op when stopped or already paused). */
export function pauseLeg(leg: SlaLeg, at: string): SlaLeg {
  if (leg.stoppedAt || leg.pausedAt) return leg;
  return { ...leg, pausedAt: at };
}

/** Resumes a paused leg at `at`: the due time moves later by the paused interval. */
export function resumeLeg(leg: SlaLeg, at: string): SlaLeg {
  if (!leg.pausedAt) return leg;
  const paused = Math.max(0, Date.parse(at) - Date.parse(leg.pausedAt));
  const { pausedAt: _ignored, ...rest } = leg;
  return { ...rest, pausedMs: leg.pausedMs + paused, dueAt: new Date(Date.parse(leg.dueAt) + paused).toISOString() };
}

/** Replaces the due time with an announced deadline. */
export function announceDeadline(leg: SlaLeg, dueAt: string): SlaLeg {
  return { ...leg, dueAt, announced: true };
}

/** True when the leg is running (not stopped, not paused). */
export function isRunning(leg: SlaLeg): boolean {
  return !leg.stoppedAt && !leg.pausedAt;
}

/** The warning instant: start + warnAtFraction × (due − start − paused). */
export function warningAt(leg: SlaLeg, warnAtFraction: number): string {
  const start = Date.parse(leg.startedAt);
  const span = Date.parse(leg.dueAt) - leg.pausedMs - start;
  return new Date(start + leg.pausedMs + Math.round(span * warnAtFraction)).toISOString();
}
