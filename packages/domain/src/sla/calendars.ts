/**
 * The calendars every service knows (evolve computes due times with them, so they are data shipped with
 * the domain, not per-process configuration): calendar hours (default) and the working-hours calendars
 * of packages/domain/data/calendars/calendars.json, with public holidays and adjusted working days from
 * packages/domain/data/calendars/cn-public-holidays.json (sources are named in that file, per year).
 */
import calendarsData from '../../data/calendars/calendars.json';
import cnHolidays from '../../data/calendars/cn-public-holidays.json';
import { CALENDAR_HOURS, CALENDAR_HOURS_ID, type CalendarDefinition, type SlaCalendar, defineCalendar } from './calendar';

/** A holiday list: non-working dates and adjusted working dates per year (local dates, YYYY-MM-DD). */
export interface HolidaySet {
  country: string;
  years: Record<string, { status: string; source: string; holidays: { name: string; dates: string[] }[]; workdays: string[] }>;
}

/** Holiday sets by the name calendars use (`holidaySet`). */
export const HOLIDAY_SETS: Readonly<Record<string, HolidaySet>> = { CN: cnHolidays };

/** The years a holiday set covers, e.g. ['2026', '2027']. */
export function holidayYears(set: string): string[] {
  return Object.keys(HOLIDAY_SETS[set]?.years ?? {});
}

/** Non-working dates and adjusted working dates of a holiday set, flattened. */
export function holidayDates(set: HolidaySet): { holidays: string[]; workdays: string[] } {
  const years = Object.values(set.years);
  return { holidays: years.flatMap((y) => y.holidays.flatMap((h) => h.dates)), workdays: years.flatMap((y) => y.workdays) };
}

type CalendarData = Omit<CalendarDefinition, 'holidays' | 'workdays'> & { holidaySet?: string };

/** Turns a calendars.json entry into a definition, resolving its holiday set. */
export function definitionFromData(entry: CalendarData): CalendarDefinition {
  const { holidaySet, ...rest } = entry;
  const set = holidaySet ? HOLIDAY_SETS[holidaySet] : undefined;
  if (holidaySet && !set) throw new Error(`calendar ${entry.id}: unknown holiday set ${holidaySet}`);
  return { ...rest, ...(set ? holidayDates(set) : {}) };
}

/** The built-in calendars by id: `calendar-hours` and those of calendars.json. */
export const BUILTIN_CALENDARS: ReadonlyMap<string, SlaCalendar> = new Map<string, SlaCalendar>([
  [CALENDAR_HOURS_ID, CALENDAR_HOURS],
  ...(calendarsData.calendars as CalendarData[]).map((c) => [c.id, defineCalendar(definitionFromData(c))] as const),
]);

/** Looks a calendar up by id; '' and undefined mean calendar hours. Undefined for an unknown id. */
export function findCalendar(id: string | undefined): SlaCalendar | undefined {
  if (!id) return CALENDAR_HOURS;
  return BUILTIN_CALENDARS.get(id);
}

/** The calendar for an id, falling back to calendar hours for an unknown one (evolve must stay total). */
export function calendarOrDefault(id: string | undefined): SlaCalendar {
  return findCalendar(id) ?? CALENDAR_HOURS;
}
