import { CALENDAR_HOURS, CalendarDefinitionError, addWorkingTime, calendarProblems, defineCalendar, isWorkingInstant, nextWorkingInstant, workingTimeBetween } from './calendar';
import { BUILTIN_CALENDARS, HOLIDAY_SETS, findCalendar, holidayYears } from './calendars';
import { addDays, formatInZone, fromLocal, isValidTimeZone, isoWeekday, localDate, toLocal, zoneOffsetMs } from './zone';

const HOUR = 3_600_000;
const ms = (iso: string): number => Date.parse(iso);
const cn = findCalendar('cn-working-hours')!;
const cnDays = findCalendar('cn-working-days')!;
/** Shanghai wall clock → ISO with +08:00 (for readable expectations). */
const sh = (t: number): string => formatInZone('Asia/Shanghai', t);

const london = defineCalendar({ id: 'london-office', timeZone: 'Europe/London', workingDays: [1, 2, 3, 4, 5], periods: [{ start: '09:00', end: '17:00' }] });
const newYork = defineCalendar({ id: 'ny-office', timeZone: 'America/New_York', workingDays: [1, 2, 3, 4, 5], periods: [{ start: '09:00', end: '17:00' }] });
/** Every local hour of every day counts (a "24/7 in local time" calendar): must agree with elapsed time across DST. */
const newYorkAllDay = defineCalendar({ id: 'ny-all-day', timeZone: 'America/New_York', workingDays: [1, 2, 3, 4, 5, 6, 7], periods: [{ start: '00:00', end: '24:00' }] });
const londonNight = defineCalendar({ id: 'london-night', timeZone: 'Europe/London', workingDays: [7], periods: [{ start: '00:00', end: '04:00' }] });

describe('zone offsets (Intl, tz database)', () => {
  it.each([
    ['Asia/Shanghai', '2026-07-01T00:00:00Z', 8],
    ['Asia/Shanghai', '2026-01-01T00:00:00Z', 8],
    ['Europe/London', '2026-01-15T12:00:00Z', 0],
    ['Europe/London', '2026-07-15T12:00:00Z', 1],
    ['America/New_York', '2026-01-15T12:00:00Z', -5],
    ['America/New_York', '2026-07-15T12:00:00Z', -4],
    // The instants of change: London 2026-03-29 01:00 UTC and 2026-10-25 01:00 UTC; New York 2026-03-08 07:00 UTC and 2026-11-01 06:00 UTC.
    ['Europe/London', '2026-03-29T00:59:59Z', 0],
    ['Europe/London', '2026-03-29T01:00:00Z', 1],
    ['Europe/London', '2026-10-25T00:59:59Z', 1],
    ['Europe/London', '2026-10-25T01:00:00Z', 0],
    ['America/New_York', '2026-03-08T06:59:59Z', -5],
    ['America/New_York', '2026-03-08T07:00:00Z', -4],
    ['America/New_York', '2026-11-01T05:59:59Z', -4],
    ['America/New_York', '2026-11-01T06:00:00Z', -5],
  ])('%s at %s is UTC%+d', (zone, at, hours) => {
    expect(zoneOffsetMs(zone, ms(at))).toBe(hours * HOUR);
  });

  it.each([
    ['an ordinary local time', 'Asia/Shanghai', [2026, 10, 8, 9, 0], '2026-10-08T01:00:00.000Z'],
    ['a time in the spring-forward gap moves past it (New York 02:30 → 03:30 EDT)', 'America/New_York', [2026, 3, 8, 2, 30], '2026-03-08T07:30:00.000Z'],
    ['a repeated fall-back time takes the earlier instant (New York 01:30 EDT)', 'America/New_York', [2026, 11, 1, 1, 30], '2026-11-01T05:30:00.000Z'],
    ['a repeated fall-back time takes the earlier instant (London 01:30 BST)', 'Europe/London', [2026, 10, 25, 1, 30], '2026-10-25T00:30:00.000Z'],
    ['a time in the London gap (01:30 → 02:30 BST)', 'Europe/London', [2026, 3, 29, 1, 30], '2026-03-29T01:30:00.000Z'],
  ] as const)('fromLocal: %s', (_name, zone, [y, m, d, h, min], expected) => {
    expect(new Date(fromLocal(zone, y, m, d, h, min)).toISOString()).toBe(expected);
  });

  it('reads wall-clock fields, dates and weekdays', () => {
    expect(toLocal('Asia/Shanghai', ms('2026-10-07T16:30:00Z'))).toEqual({ year: 2026, month: 10, day: 8, hour: 0, minute: 30, second: 0, weekday: 4 });
    expect(localDate('America/New_York', ms('2026-10-08T03:00:00Z'))).toBe('2026-10-07');
    expect(isoWeekday('2026-10-10')).toBe(6);
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(formatInZone('America/New_York', ms('2026-07-01T16:00:00Z'))).toBe('2026-07-01T12:00:00.000-04:00');
    expect(isValidTimeZone('Asia/Shanghai')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});

describe('calendar hours (the default)', () => {
  it('counts every millisecond, whatever the zone does', () => {
    expect(addWorkingTime(CALENDAR_HOURS, ms('2026-03-28T12:00:00Z'), 24 * HOUR)).toBe(ms('2026-03-29T12:00:00Z'));
    expect(workingTimeBetween(CALENDAR_HOURS, ms('2026-03-28T12:00:00Z'), ms('2026-03-29T12:00:00Z'))).toBe(24 * HOUR);
    expect(nextWorkingInstant(CALENDAR_HOURS, ms('2026-10-01T00:00:00Z'))).toBe(ms('2026-10-01T00:00:00Z'));
    expect(isWorkingInstant(CALENDAR_HOURS, ms('2026-10-01T00:00:00Z'))).toBe(true);
  });
});

describe('working-hours arithmetic across DST', () => {
  it.each([
    // [name, calendar, start (UTC), hours, due (UTC)]
    ['London: Friday 16:00 GMT + 2 h → Monday 10:00 BST (09:00 UTC), not 10:00 UTC', london, '2026-03-27T16:00:00Z', 2, '2026-03-30T09:00:00Z'],
    ['London: Friday 16:00 BST + 2 h → Monday 10:00 GMT (10:00 UTC) after fall-back', london, '2026-10-23T15:00:00Z', 2, '2026-10-26T10:00:00Z'],
    ['New York: Friday 16:00 EST + 2 h → Monday 10:00 EDT (14:00 UTC)', newYork, '2026-03-06T21:00:00Z', 2, '2026-03-09T14:00:00Z'],
    ['New York: Friday 16:00 EDT + 2 h → Monday 10:00 EST (15:00 UTC)', newYork, '2026-10-30T20:00:00Z', 2, '2026-11-02T15:00:00Z'],
    ['New York all-day: 24 h from Saturday noon EST → Sunday 13:00 EDT (a 23-hour day)', newYorkAllDay, '2026-03-07T17:00:00Z', 24, '2026-03-08T17:00:00Z'],
    ['New York all-day: 24 h from Saturday noon EDT → Sunday 11:00 EST (a 25-hour day)', newYorkAllDay, '2026-10-31T16:00:00Z', 24, '2026-11-01T16:00:00Z'],
  ] as const)('%s', (_name, cal, start, hours, due) => {
    expect(new Date(addWorkingTime(cal, ms(start), hours * HOUR)).toISOString()).toBe(new Date(due).toISOString());
    expect(workingTimeBetween(cal, ms(start), ms(due))).toBe(hours * HOUR);
  });

  it('a local day has 23 or 25 working hours on the change days when every hour is worked', () => {
    const day = (y: number, m: number, d: number) => workingTimeBetween(newYorkAllDay, fromLocal('America/New_York', y, m, d), fromLocal('America/New_York', y, m, d + 1)) / HOUR;
    expect([day(2026, 3, 7), day(2026, 3, 8), day(2026, 11, 1), day(2026, 11, 2)]).toEqual([24, 23, 25, 24]);
  });

  it('a working period that contains the change counts only the hours that exist (London 00:00–04:00 on Sundays)', () => {
    const sunday = (y: number, m: number, d: number) => workingTimeBetween(londonNight, fromLocal('Europe/London', y, m, d), fromLocal('Europe/London', y, m, d + 1)) / HOUR;
    expect(sunday(2026, 3, 22)).toBe(4);
    expect(sunday(2026, 3, 29)).toBe(3);
    expect(sunday(2026, 10, 25)).toBe(5);
  });
});

describe('China: working hours with public holidays and adjusted working days (Asia/Shanghai)', () => {
  it('ships the State Council schedule for 2026 and a provisional 2027 list', () => {
    expect(holidayYears('CN')).toEqual(['2026', '2027']);
    expect(HOLIDAY_SETS['CN']?.years['2026']?.status).toBe('official');
    expect(HOLIDAY_SETS['CN']?.years['2027']?.status).toBe('provisional');
    expect(BUILTIN_CALENDARS.has('cn-working-hours')).toBe(true);
  });

  it.each([
    ['an ordinary Wednesday', '2026-11-25', true],
    ['a Saturday', '2026-11-28', false],
    ['National Day (Thursday)', '2026-10-01', false],
    ['the last day of the Golden Week (Wednesday)', '2026-10-07', false],
    ['the adjusted working Saturday after National Day', '2026-10-10', true],
    ['the adjusted working Sunday before Mid-Autumn/National Day', '2026-09-20', true],
    ['Spring Festival eve 2026 (Monday)', '2026-02-16', false],
    ['the adjusted working Saturday before Spring Festival', '2026-02-14', true],
    ['the adjusted working Saturday after Spring Festival', '2026-02-28', true],
    ['New Year 2026 bridge (Friday)', '2026-01-02', false],
    ['the adjusted working Sunday after New Year', '2026-01-04', true],
    ['Labour Day bridge (Tuesday)', '2026-05-05', false],
    ['Spring Festival 2027 (Monday, statutory)', '2027-02-08', false],
  ])('%s (%s) working: %s', (_name, date, working) => {
    expect(cn.isWorkingDate(date)).toBe(working);
  });

  it.each([
    // [name, start (+08:00), working hours, due (+08:00)] — office hours 09:00–12:00, 13:30–17:30 (7 h a day)
    ['within a day', '2026-11-25T09:00:00+08:00', 2, '2026-11-25T11:00:00.000+08:00'],
    ['across the lunch break', '2026-11-25T11:00:00+08:00', 2, '2026-11-25T14:30:00.000+08:00'],
    ['used up exactly at closing time is due at closing time', '2026-11-25T09:00:00+08:00', 7, '2026-11-25T17:30:00.000+08:00'],
    ['a submission at night starts counting at the next opening', '2026-11-25T22:00:00+08:00', 1, '2026-11-26T10:00:00.000+08:00'],
    ['over a weekend', '2026-11-27T16:30:00+08:00', 2, '2026-11-30T10:00:00.000+08:00'],
    ['the National Day week: Wednesday 16:00 + 7 h → Thursday 8 October 16:00', '2026-09-30T16:00:00+08:00', 7, '2026-10-08T16:00:00.000+08:00'],
    ['the adjusted working Saturday 10 October counts', '2026-10-09T16:30:00+08:00', 2, '2026-10-10T10:00:00.000+08:00'],
    ['Spring Festival 2026: Friday 13 Feb 17:00 + 2 h → Saturday 14 Feb (adjusted working day) 10:30', '2026-02-13T17:00:00+08:00', 2, '2026-02-14T10:30:00.000+08:00'],
    ['Spring Festival 2026: Saturday 14 Feb 17:00 + 1 h → Tuesday 24 Feb 09:30', '2026-02-14T17:00:00+08:00', 1, '2026-02-24T09:30:00.000+08:00'],
    ['72 working hours from a Monday morning are ten working days and two hours', '2026-11-02T09:00:00+08:00', 72, '2026-11-16T11:00:00.000+08:00'],
  ])('%s', (_name, start, hours, due) => {
    expect(sh(addWorkingTime(cn, ms(start), hours * HOUR))).toBe(due);
    expect(workingTimeBetween(cn, ms(start), ms(due))).toBe(hours * HOUR);
  });

  it('working days: 72 h on cn-working-days skip the National Day week', () => {
    expect(sh(addWorkingTime(cnDays, ms('2026-09-29T12:00:00+08:00'), 72 * HOUR))).toBe('2026-10-09T12:00:00.000+08:00');
  });

  it.each([
    ['a working instant is itself', '2026-11-25T10:00:00+08:00', '2026-11-25T10:00:00.000+08:00'],
    ['closing time moves to the next opening (periods are half-open)', '2026-11-25T17:30:00+08:00', '2026-11-26T09:00:00.000+08:00'],
    ['lunch moves to 13:30', '2026-11-25T12:15:00+08:00', '2026-11-25T13:30:00.000+08:00'],
    ['midnight on Saturday moves to Monday 09:00', '2026-11-28T00:00:00+08:00', '2026-11-30T09:00:00.000+08:00'],
    ['midnight of National Day moves to 8 October 09:00', '2026-10-01T00:00:00+08:00', '2026-10-08T09:00:00.000+08:00'],
  ])('next working minute: %s', (_name, at, expected) => {
    expect(sh(nextWorkingInstant(cn, ms(at)))).toBe(expected);
  });
});

describe('calendar definitions', () => {
  it.each([
    [{ id: 'x', timeZone: 'Nowhere/City', workingDays: [1], periods: [{ start: '09:00', end: '17:00' }] }, /unknown time zone/],
    [{ id: 'x', timeZone: 'UTC', workingDays: [], periods: [{ start: '09:00', end: '17:00' }] }, /workingDays/],
    [{ id: 'x', timeZone: 'UTC', workingDays: [8], periods: [{ start: '09:00', end: '17:00' }] }, /workingDays/],
    [{ id: 'x', timeZone: 'UTC', workingDays: [1], periods: [] }, /at least one working period/],
    [{ id: 'x', timeZone: 'UTC', workingDays: [1], periods: [{ start: '17:00', end: '09:00' }] }, /start < end/],
    [{ id: 'x', timeZone: 'UTC', workingDays: [1], periods: [{ start: '09:00', end: '13:00' }, { start: '12:00', end: '17:00' }] }, /overlaps/],
    [{ id: 'x', timeZone: 'UTC', workingDays: [1], periods: [{ start: '09:00', end: '17:00' }], holidays: ['1 Oct'] }, /YYYY-MM-DD/],
    [{ id: 'calendar-hours', timeZone: 'UTC', workingDays: [1], periods: [{ start: '09:00', end: '17:00' }] }, /reserved/],
  ])('rejects %j', (def, problem) => {
    expect(calendarProblems(def).join('; ')).toMatch(problem);
    expect(() => defineCalendar(def)).toThrow(CalendarDefinitionError);
  });

  it('a calendar whose working days are all holidays fails loudly instead of looping', () => {
    const days = Array.from({ length: 4000 }, (_, i) => addDays('2026-01-01', i));
    const never = defineCalendar({ id: 'never', timeZone: 'UTC', workingDays: [1, 2, 3, 4, 5, 6, 7], periods: [{ start: '09:00', end: '17:00' }], holidays: days });
    expect(() => addWorkingTime(never, ms('2026-01-01T00:00:00Z'), HOUR)).toThrow(CalendarDefinitionError);
  });

  it('unknown ids are not found; empty means calendar hours', () => {
    expect(findCalendar('nope')).toBeUndefined();
    expect(findCalendar('')).toBe(CALENDAR_HOURS);
    expect(findCalendar(undefined)).toBe(CALENDAR_HOURS);
    expect(findCalendar('calendar-hours')).toBe(CALENDAR_HOURS);
  });
});
