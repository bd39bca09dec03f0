/**
 * SLA legs. A leg runs from its start until it is stopped (for the first-response leg the unit's first
 * message to the reporter: a public reply, a question, an announced deadline or the resolution; for the
 * resolution leg the resolution). Source of the figures: the catalogue's slaPolicy (24 h first
 * reply, 72 h resolution), from the Liangshan "time-limited handling" rule (限时办结制).
 *
 * Time counts on the leg's calendar (calendar hours unless the policy snapshot names a working-hours
 * calendar, see calendar.ts). All instants are UTC ISO-8601 strings; durations are milliseconds of
 * counted time.
 */
import { type SlaCalendar, CALENDAR_HOURS, addWorkingTime, nextWorkingInstant, workingTimeBetween } from './calendar';
import { calendarOrDefault } from './calendars';

/**
 * first_response: until the unit's first message to the reporter (public reply, question, announced
 * deadline or resolution); resolution: until resolved; sign_for (签收, issue 14 item 2): from the moment a
 * unit receives the ticket (routed, transferred, escalated, reassigned) until it accepts it — the unit's
 * obligation, not the citizen's clock.
 */
export type SlaLegName = 'first_response' | 'resolution' | 'sign_for';

/** The sign-for leg of the unit that received the ticket: signed when that unit accepted it. */
export interface SignForLeg extends SlaLeg {
  /** The receiving unit that must sign for it. */
  unitId: string;
  /** When it signed for it (accepted); absent while unsigned or when the ticket moved on unsigned. */
  signedAt?: string;
}

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
  /** Total paused time so far, ms of counted time (calendar hours: elapsed ms). */
  pausedMs: number;
  /** When the leg was met (stopped), if it was. */
  stoppedAt?: string;
  /** The calendar the leg counts on, when not calendar hours (a built-in calendar id). */
  calendar?: string;
  /** When the warning for the current due time was issued (cleared by a new announced deadline). */
  warnedAt?: string;
  /** When the breach of this leg was recorded (cleared by a new announced deadline). */
  breachedAt?: string;
}

const HOUR_MS = 3_600_000;

const iso = (ms: number): string => new Date(ms).toISOString();

/** Adds hours to a UTC ISO instant (calendar hours). */
export function addHours(instant: string, hours: number): string {
  return iso(Date.parse(instant) + hours * HOUR_MS);
}

/** The calendar a leg counts on (built-in lookup; calendar hours when none or unknown). */
export function legCalendar(leg: SlaLeg): SlaCalendar {
  return calendarOrDefault(leg.calendar);
}

/** Starts a leg at `at` with a budget of `hours` of counted time on `calendar` (default calendar hours). */
export function startLeg(at: string, hours: number, calendar: SlaCalendar = CALENDAR_HOURS): SlaLeg {
  const due = addWorkingTime(calendar, Date.parse(at), hours * HOUR_MS);
  return { startedAt: at, dueAt: iso(due), announced: false, pausedMs: 0, ...(calendar.continuous ? {} : { calendar: calendar.id }) };
}

/**
 * Stops a running leg at `at` (no-op when already stopped). A pause in progress is counted first. The
 * leg's own fields (a sign-for leg's `unitId`) are kept.
 */
export function stopLeg<L extends SlaLeg>(leg: L, at: string, calendar: SlaCalendar = legCalendar(leg)): L {
  if (leg.stoppedAt) return leg;
  const resumed = leg.pausedAt ? resumeLeg(leg, at, calendar) : leg;
  return { ...resumed, stoppedAt: at };
}

/** Pauses a running leg at `at` (no-op when stopped or already paused). */
export function pauseLeg(leg: SlaLeg, at: string): SlaLeg {
  if (leg.stoppedAt || leg.pausedAt) return leg;
  return { ...leg, pausedAt: at };
}

/**
 * Resumes a paused leg at `at`: the due time moves later by the counted time of the pause (on a
 * working-hours calendar, a pause over a weekend moves nothing; one over two working days, two days).
 * A resume before the pause instant counts as no pause.
 */
export function resumeLeg<L extends SlaLeg>(leg: L, at: string, calendar: SlaCalendar = legCalendar(leg)): L {
  if (!leg.pausedAt) return leg;
  const paused = workingTimeBetween(calendar, Date.parse(leg.pausedAt), Date.parse(at));
  const { pausedAt: _ignored, ...rest } = leg;
  // Without pausedAt (optional in SlaLeg) the rest is still an L.
  return { ...rest, pausedMs: leg.pausedMs + paused, dueAt: iso(addWorkingTime(calendar, Date.parse(leg.dueAt), paused)) } as L;
}

/** Replaces the due time with an announced deadline (a new promise: it can be warned about and breached again). */
export function announceDeadline(leg: SlaLeg, dueAt: string): SlaLeg {
  const { warnedAt: _w, breachedAt: _b, ...rest } = leg;
  return { ...rest, dueAt, announced: true };
}

/** True when the leg is running (not stopped, not paused). */
export function isRunning(leg: SlaLeg): boolean {
  return !leg.stoppedAt && !leg.pausedAt;
}

/**
 * The warning instant: when `warnAtFraction` of the leg's budget has been used, i.e.
 * start + paused + warnAtFraction × (due − start − paused) in counted time. On a working-hours calendar
 * an instant outside working hours (e.g. exactly at closing time) moves to the next working minute.
 */
export function warningAt(leg: SlaLeg, warnAtFraction: number, calendar: SlaCalendar = legCalendar(leg)): string {
  const start = Date.parse(leg.startedAt);
  const due = Date.parse(leg.dueAt);
  const span = workingTimeBetween(calendar, start, due) - leg.pausedMs;
  if (span <= 0) return leg.dueAt;
  const at = addWorkingTime(calendar, start, leg.pausedMs + Math.round(span * warnAtFraction));
  return iso(Math.min(due, nextWorkingInstant(calendar, at)));
}

/**
 * Counted time used on a leg up to `at` (pauses excluded), ms. For a stopped leg, up to its stop.
 * Source of "time already used" when a policy changes (see rebudgetLeg).
 */
export function usedTime(leg: SlaLeg, at: string, calendar: SlaCalendar = legCalendar(leg)): number {
  const end = leg.stoppedAt ?? leg.pausedAt ?? at;
  return Math.max(0, workingTimeBetween(calendar, Date.parse(leg.startedAt), Date.parse(end)) - leg.pausedMs);
}

/**
 * Applies a changed budget (policy change) to a leg without restarting it: the time already used and
 * the paused intervals are kept, so the new due time is start + paused + new budget (in counted time).
 * Announced deadlines and stopped legs are left alone (the promise made to the reporter stands).
 */
export function rebudgetLeg(leg: SlaLeg, hours: number, calendar: SlaCalendar = legCalendar(leg)): SlaLeg {
  if (leg.stoppedAt || leg.announced) return leg;
  const due = addWorkingTime(calendar, Date.parse(leg.startedAt), leg.pausedMs + hours * HOUR_MS);
  return { ...leg, dueAt: iso(due) };
}
