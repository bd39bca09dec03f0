/**
 * Time-zone arithmetic without a library: offsets come from the IANA database built into the runtime
 * (Intl.DateTimeFormat, ICU), so DST rules (Europe/London, America/New_York, …) are those of the tz
 * database. Asia/Shanghai has had no DST since 1991 (+08:00).
 *
 * All instants are UTC epoch milliseconds; "local" means wall-clock fields in a zone.
 */

/** Wall-clock fields in a zone. month 1–12; weekday ISO 1 (Monday) – 7 (Sunday). */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** True when `zone` is an IANA time-zone name the runtime knows (e.g. Asia/Shanghai). */
export function isValidTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The wall-clock fields of instant `utcMs` (ms since the epoch, UTC) in `zone`.
 * @throws RangeError for an unknown zone.
 */
export function toLocal(zone: string, utcMs: number): LocalDateTime {
  const parts = formatter(zone).formatToParts(new Date(utcMs));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '0';
  return {
    year: Number(get('year')), month: Number(get('month')), day: Number(get('day')),
    hour: Number(get('hour')), minute: Number(get('minute')), second: Number(get('second')),
    weekday: WEEKDAYS[get('weekday')] ?? 1,
  };
}

/** The zone's offset from UTC at instant `utcMs`, ms (e.g. +8 h for Asia/Shanghai, −4 h for New York in summer). */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  const l = toLocal(zone, whole);
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - whole;
}

/**
 * The instant (UTC ms) at which the wall clock in `zone` shows the given local time.
 * Local times skipped by a DST gap resolve to the same distance after the gap (02:30 on the spring-forward
 * night in New York → 03:30 EDT); repeated times in a fall-back overlap resolve to the earlier instant
 * (the Temporal/"compatible" rule). Assumes at most one offset change within ±24 h (true of the tz database).
 */
export function fromLocal(zone: string, year: number, month: number, day: number, hour = 0, minute = 0): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const before = zoneOffsetMs(zone, wall - 86_400_000);
  const after = zoneOffsetMs(zone, wall + 86_400_000);
  const a = wall - before;
  const b = wall - after;
  const aValid = zoneOffsetMs(zone, a) === before;
  const bValid = zoneOffsetMs(zone, b) === after;
  if (aValid && bValid) return Math.min(a, b);
  if (aValid) return a;
  if (bValid) return b;
  return a; // in a gap: the offset before the gap carries the time forward past it
}

/** The local calendar date (YYYY-MM-DD) of instant `utcMs` in `zone`. */
export function localDate(zone: string, utcMs: number): string {
  const l = toLocal(zone, utcMs);
  return isoDate(l.year, l.month, l.day);
}

/** Formats a date as YYYY-MM-DD. */
export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The date `days` after YYYY-MM-DD `date` (proleptic Gregorian, no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days));
  return isoDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** ISO weekday (1 = Monday … 7 = Sunday) of YYYY-MM-DD `date`. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const wd = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1)).getUTCDay();
  return wd === 0 ? 7 : wd;
}

/**
 * Renders instant `utcMs` as ISO-8601 with the zone's offset, e.g. 2026-10-08T09:00:00.000+08:00
 * (for responses that show a due time in a unit's zone).
 */
export function formatInZone(zone: string, utcMs: number): string {
  const offset = zoneOffsetMs(zone, utcMs);
  const local = new Date(utcMs + offset).toISOString().slice(0, -1);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/**
 * The administration's zone: the local dates and times people see, and bare dates in requests, are in it.
 * Asia/Shanghai has been UTC+8 without daylight saving since September 1991, so the helpers below use the fixed
 * offset (equal to {@link formatInZone}/{@link fromLocal} with this zone for every instant since then,
 * and cheap enough for per-row use).
 */
export const SHANGHAI_ZONE = 'Asia/Shanghai';

/** Asia/Shanghai's offset from UTC, ms (+08:00). */
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;

/**
 * Instant `utcMs` as ISO-8601 in Asia/Shanghai: `2026-03-01T08:00:00.000+08:00`, or with precision
 * `'s'` `2026-03-01T08:00:00+08:00` (W3C datetime as GeoReport v2's examples).
 * @throws RangeError when `utcMs` is not a valid instant.
 */
export function formatShanghai(utcMs: number, precision: 'ms' | 's' = 'ms'): string {
  return `${new Date(utcMs + SHANGHAI_OFFSET_MS).toISOString().slice(0, precision === 'ms' ? 23 : 19)}+08:00`;
}

/** The local calendar date (YYYY-MM-DD) of instant `utcMs` in Asia/Shanghai. @throws RangeError when not a valid instant. */
export function shanghaiDate(utcMs: number): string {
  return new Date(utcMs + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

const DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Parses a date or instant given in a request: `YYYY-MM-DD` is midnight in Asia/Shanghai (the
 * administration's day); anything else must be ISO-8601 with a time and an offset (`Z` or ±hh:mm).
 * @returns epoch ms, or NaN when the text is neither (or names an impossible date).
 */
export function parseShanghaiDateOrInstant(text: string): number {
  if (!DATE_OR_INSTANT.test(text) || !isCalendarDate(text.slice(0, 10))) return Number.NaN;
  return Date.parse(text.length === 10 ? `${text}T00:00:00+08:00` : text);
}

/** True when `YYYY-MM-DD` names a day of the Gregorian calendar (Date.parse takes 2026-02-30 for 2 March). */
function isCalendarDate(ymd: string): boolean {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const day = new Date(0);
  day.setUTCFullYear(y, m - 1, d); // not Date.UTC, which takes years 0–99 for 1900–1999
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}
