import { SHANGHAI_ZONE, formatInZone, formatShanghai, fromLocal, parseShanghaiDateOrInstant, shanghaiDate } from './zone';

describe('Asia/Shanghai formatting and parsing', () => {
  it('formats an instant with +08:00, milliseconds or seconds', () => {
    const ms = Date.parse('2026-03-01T00:00:00.123Z');
    expect(formatShanghai(ms)).toBe('2026-03-01T08:00:00.123+08:00');
    expect(formatShanghai(ms, 's')).toBe('2026-03-01T08:00:00+08:00');
    expect(shanghaiDate(Date.parse('2026-12-31T16:00:00Z'))).toBe('2027-01-01');
    expect(shanghaiDate(Date.parse('2026-12-31T15:59:59.999Z'))).toBe('2026-12-31');
  });

  it('agrees with the tz database (formatInZone, fromLocal) for instants since 1992', () => {
    for (let ms = Date.parse('1992-01-01T00:00:00Z'); ms < Date.parse('2040-01-01T00:00:00Z'); ms += 37 * 86_400_000 + 3_600_123) {
      expect(formatShanghai(ms)).toBe(formatInZone(SHANGHAI_ZONE, ms));
      const [y, m, d] = shanghaiDate(ms).split('-').map(Number) as [number, number, number];
      expect(parseShanghaiDateOrInstant(shanghaiDate(ms))).toBe(fromLocal(SHANGHAI_ZONE, y, m, d));
    }
  });

  it('parses a bare date as midnight in Shanghai and an instant only with an offset', () => {
    expect(new Date(parseShanghaiDateOrInstant('2026-03-01')).toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(new Date(parseShanghaiDateOrInstant('2026-03-01T09:30+08:00')).toISOString()).toBe('2026-03-01T01:30:00.000Z');
    expect(new Date(parseShanghaiDateOrInstant('2026-03-01T09:30:15.5Z')).toISOString()).toBe('2026-03-01T09:30:15.500Z');
    for (const bad of ['', '2026-03-01T09:30', '2026-3-1', 'yesterday', '2026-02-30T00:00:00Z x', '2026-13-01']) {
      expect(parseShanghaiDateOrInstant(bad)).toBeNaN();
    }
  });

  it('refuses dates that do not exist (Date.parse would roll 2026-02-30 over to 2 March)', () => {
    for (const bad of ['2026-02-30', '2026-02-29', '2026-04-31T00:00:00Z', '2026-02-31T08:00:00+08:00', '2026-00-10', '2026-01-00', '2100-02-29']) {
      expect([bad, parseShanghaiDateOrInstant(bad)]).toEqual([bad, Number.NaN]);
    }
    expect(new Date(parseShanghaiDateOrInstant('2024-02-29T00:00:00Z')).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(new Date(parseShanghaiDateOrInstant('2000-02-29')).toISOString()).toBe('2000-02-28T16:00:00.000Z');
    expect(parseShanghaiDateOrInstant('0050-01-01T00:00:00Z')).toBe(Date.parse('0050-01-01T00:00:00Z'));
  });
});
