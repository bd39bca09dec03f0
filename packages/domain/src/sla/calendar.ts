/**
 * SLA calendars: which instants count towards a time limit.
 *
 * - Calendar hours (the default, the seed's rule "a first reply within 24 hours"): every millisecond
 *   counts; arithmetic is on UTC instants, so 24 h is always 86,400,000 ms whatever DST does.
 * - Working-hours calendars: working days (ISO weekdays), working periods per day in local wall-clock
 *   time of an IANA zone, public holidays and adjusted working days (调休上班) by local date. Periods
 *   are converted to UTC per date with the zone's own offset, so a DST change moves the UTC working
 *   hours and a 23- or 25-hour day counts only the working time that really exists.
 *
 * Instants are UTC epoch ms; durations are ms of counted (working) time.
 */
import { addDays, fromLocal, isValidTimeZone, isoWeekday, localDate } from './zone';

/** A working period of a day in local time, 'HH:MM'–'HH:MM' (end may be '24:00'; start < end). */
export interface WorkingPeriod {
  start: string;
  end: string;
}

/** The definition of a working-hours calendar (data, e.g. from packages/domain/data/calendars). */
export interface CalendarDefinition {
  /** Stable id used in policy snapshots, e.g. `cn-working-hours`. */
  id: string;
  /** Human name. */
  name?: string;
  /** IANA zone the working hours are in, e.g. Asia/Shanghai. */
  timeZone: string;
  /** ISO weekdays that are working days: 1 = Monday … 7 = Sunday. */
  workingDays: number[];
  /** Working periods of a working day, local time, in order, not overlapping. */
  periods: WorkingPeriod[];
  /** Local dates (YYYY-MM-DD) that are not worked although their weekday is (public holidays). */
  holidays?: string[];
  /** Local dates (YYYY-MM-DD) that are worked although their weekday is not (adjusted working days). */
  workdays?: string[];
}

/** A calendar the SLA arithmetic can use. */
export interface SlaCalendar {
  /** Id recorded in policy snapshots; `calendar-hours` for the continuous calendar. */
  readonly id: string;
  /** True when every instant counts (calendar hours). */
  readonly continuous: boolean;
  /** Zone of the working hours (UTC for calendar hours). */
  readonly timeZone: string;
  /** True when local date YYYY-MM-DD is a working day. */
  isWorkingDate(date: string): boolean;
  /** The working intervals [startMs, endMs) of local date YYYY-MM-DD, UTC, in order (empty on rest days). */
  intervalsOn(date: string): readonly (readonly [number, number])[];
}

/** Id of the continuous calendar (every hour counts). */
export const CALENDAR_HOURS_ID = 'calendar-hours';

/** The continuous calendar: calendar hours, the default of every policy. */
export const CALENDAR_HOURS: SlaCalendar = {
  id: CALENDAR_HOURS_ID,
  continuous: true,
  timeZone: 'UTC',
  isWorkingDate: () => true,
  intervalsOn: () => [],
};

/** The arithmetic looks at most this many local days ahead before it gives up (a calendar without working time). */
const MAX_DAYS = 3 * 366;

/** An invalid calendar definition. */
export class CalendarDefinitionError extends Error {
  override readonly name = 'CalendarDefinitionError';
  readonly code = 'invalid_calendar';
}

function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return Number.NaN;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min !== 0)) return Number.NaN;
  return h * 60 + min;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Problems with a calendar definition (empty when valid): unknown zone, no working day or period,
 * malformed or overlapping periods, malformed dates.
 */
export function calendarProblems(def: CalendarDefinition): string[] {
  const problems: string[] = [];
  if (!def.id || !/^[a-z0-9][a-z0-9-]*$/.test(def.id)) problems.push(`id "${def.id}" must be lower-case letters, digits and dashes`);
  if (def.id === CALENDAR_HOURS_ID) problems.push(`id ${CALENDAR_HOURS_ID} is reserved`);
  if (!isValidTimeZone(def.timeZone)) problems.push(`unknown time zone "${def.timeZone}"`);
  if (!def.workingDays.length || def.workingDays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) problems.push('workingDays must list ISO weekdays 1–7');
  if (!def.periods.length) problems.push('a calendar needs at least one working period');
  let last = -1;
  for (const p of def.periods) {
    const s = minutesOf(p.start);
    const e = minutesOf(p.end);
    if (Number.isNaN(s) || Number.isNaN(e) || s >= e) problems.push(`period ${p.start}–${p.end} must be HH:MM–HH:MM with start < end`);
    else if (s < last) problems.push(`period ${p.start}–${p.end} overlaps or is out of order`);
    else last = e;
  }
  for (const d of [...(def.holidays ?? []), ...(def.workdays ?? [])]) if (!DATE.test(d)) problems.push(`date "${d}" must be YYYY-MM-DD`);
  return problems;
}

/**
 * Builds a working-hours calendar from its definition. Per-date intervals are memoised (bounded).
 * @throws CalendarDefinitionError when the definition is invalid (see calendarProblems).
 */
export function defineCalendar(def: CalendarDefinition): SlaCalendar {
  const problems = calendarProblems(def);
  if (problems.length) throw new CalendarDefinitionError(`calendar ${def.id}: ${problems.join('; ')}`);
  const holidays = new Set(def.holidays ?? []);
  const workdays = new Set(def.workdays ?? []);
  const weekdays = new Set(def.workingDays);
  const periods = def.periods.map((p) => [minutesOf(p.start), minutesOf(p.end)] as const);
  const memo = new Map<string, (readonly [number, number])[]>();
  const isWorkingDate = (date: string): boolean => workdays.has(date) || (!holidays.has(date) && weekdays.has(isoWeekday(date)));
  const at = (date: string, minutes: number): number => {
    const d = minutes >= 1440 ? addDays(date, 1) : date;
    const [y, m, day] = d.split('-').map(Number);
    const rest = minutes % 1440;
    return fromLocal(def.timeZone, y ?? 1970, m ?? 1, day ?? 1, Math.floor(rest / 60), rest % 60);
  };
  return {
    id: def.id,
    continuous: false,
    timeZone: def.timeZone,
    isWorkingDate,
    intervalsOn(date) {
      const hit = memo.get(date);
      if (hit) return hit;
      const intervals = isWorkingDate(date)
        ? periods.map(([s, e]) => [at(date, s), at(date, e)] as const).filter(([s, e]) => e > s)
        : [];
      if (memo.size > 20_000) memo.clear();
      memo.set(date, intervals);
      return intervals;
    },
  };
}

/** Iterates the working intervals that end after `fromMs`, clipped to start at `fromMs` or later. */
function* intervalsFrom(cal: SlaCalendar, fromMs: number): Generator<readonly [number, number]> {
  // Start one local day early: a period of the previous local date never reaches past its date, but a
  // zone offset change can shift which date an instant belongs to.
  let date = addDays(localDate(cal.timeZone, fromMs), -1);
  for (let i = 0; i < MAX_DAYS; i++, date = addDays(date, 1)) {
    for (const [s, e] of cal.intervalsOn(date)) {
      if (e <= fromMs) continue;
      yield [Math.max(s, fromMs), e];
    }
  }
  throw new CalendarDefinitionError(`calendar ${cal.id} has no working time within ${MAX_DAYS} days of ${new Date(fromMs).toISOString()}`);
}

/**
 * The instant at which `amountMs` of counted time has elapsed from `fromMs`: the earliest instant t with
 * workingTimeBetween(from, t) = amount (so a limit used up exactly at closing time is due at closing
 * time). An amount ≤ 0 returns `fromMs`.
 */
export function addWorkingTime(cal: SlaCalendar, fromMs: number, amountMs: number): number {
  if (cal.continuous) return fromMs + Math.max(0, amountMs);
  if (amountMs <= 0) return fromMs;
  let left = amountMs;
  for (const [s, e] of intervalsFrom(cal, fromMs)) {
    if (e - s >= left) return s + left;
    left -= e - s;
  }
  /* c8 ignore next */
  throw new Error('unreachable');
}

/** Counted (working) time between two instants, ms; 0 when `toMs` ≤ `fromMs`. */
export function workingTimeBetween(cal: SlaCalendar, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  if (cal.continuous) return toMs - fromMs;
  let total = 0;
  for (const [s, e] of intervalsFrom(cal, fromMs)) {
    if (s >= toMs) break;
    total += Math.min(e, toMs) - s;
    if (e >= toMs) break;
  }
  return total;
}

/** True when instant `ms` lies in working time (periods are half-open: the closing minute is not worked). */
export function isWorkingInstant(cal: SlaCalendar, ms: number): boolean {
  return cal.continuous || nextWorkingInstant(cal, ms) === ms;
}

/**
 * The first working instant at or after `ms`: `ms` itself when it is in working time, otherwise the start
 * of the next working period (a warning computed for 17:00 on Friday lands at 09:00 on the next working
 * day, after weekends and public holidays, not at midnight).
 */
export function nextWorkingInstant(cal: SlaCalendar, ms: number): number {
  if (cal.continuous) return ms;
  for (const [s] of intervalsFrom(cal, ms)) return s;
  /* c8 ignore next */
  throw new Error('unreachable');
}
