import { TicketRejection } from '../ticket/errors';
import { DEFAULT_SLA_CONFIG, SlaConfigError, parseSlaConfig, slaPolicyFor, slaPolicyProblems, validateSlaPolicy } from './policy';

const BASE = { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 };

describe('SLA policy selection (per category, per unit, default)', () => {
  const config = parseSlaConfig({
    defaultCalendar: 'calendar-hours',
    calendarByServiceCode: { 'dangerous-structure': 'calendar-hours', 'road-repair': 'cn-working-days' },
    calendarByUnit: { 'adm-513437100': 'cn-working-hours' },
    policyByServiceCode: { 'road-repair': { resolutionHours: 120 } },
  }, BASE);

  it.each([
    ['the shipped configuration: calendar hours everywhere', DEFAULT_SLA_CONFIG, 'sanitation', 'adm-513437100', BASE],
    ['a unit with office hours', config, 'sanitation', 'adm-513437100', { ...BASE, calendar: 'cn-working-hours' }],
    ['a category wins over the unit (dangerous structures count every hour)', config, 'dangerous-structure', 'adm-513437100', BASE],
    ['a category with its own calendar and hours', config, 'road-repair', 'adm-513431', { ...BASE, resolutionHours: 120, calendar: 'cn-working-days' }],
    ['neither: the default', config, 'sanitation', 'adm-513431', BASE],
    ['no unit known yet', config, 'sanitation', undefined, BASE],
  ] as const)('%s', (_name, c, serviceCode, unitId, expected) => {
    expect(slaPolicyFor(BASE, c, { serviceCode, ...(unitId ? { unitId } : {}) })).toEqual(expected);
  });

  it('the default calendar may itself be a working-hours calendar', () => {
    expect(slaPolicyFor(BASE, parseSlaConfig({ defaultCalendar: 'cn-working-hours' }, BASE), { serviceCode: 'x' }).calendar).toBe('cn-working-hours');
  });
});

describe('bad configuration is refused when loaded, listing every problem', () => {
  it.each([
    [{ defaultCalendar: 'mars' }, /defaultCalendar: unknown calendar "mars"/],
    [{ calendarByServiceCode: { sanitation: 'nope' } }, /calendarByServiceCode.sanitation: unknown calendar/],
    [{ calendarByUnit: { 'adm-1': 'nope' } }, /calendarByUnit.adm-1: unknown calendar/],
    [{ policyByServiceCode: { sanitation: { resolutionHours: -1 } } }, /policyByServiceCode.sanitation: resolutionHours must be a positive number/],
    [{ policyByServiceCode: { sanitation: { warnAtFraction: 0 } } }, /warnAtFraction must be within/],
    [[], /must be a JSON object/],
    [null, /must be a JSON object/],
  ])('%j', (json, message) => {
    expect(() => parseSlaConfig(json, BASE)).toThrow(SlaConfigError);
    expect(() => parseSlaConfig(json, BASE)).toThrow(message);
  });

  it('a catalogue policy with negative hours is refused too', () => {
    expect(() => parseSlaConfig({}, { ...BASE, firstResponseHours: -24 })).toThrow(/catalogue slaPolicy: firstResponseHours/);
  });
});

describe('policy snapshots', () => {
  it.each([
    [{ ...BASE }, []],
    [{ ...BASE, calendar: 'cn-working-hours' }, []],
    [{ ...BASE, calendar: '' }, []],
    [{ ...BASE, firstResponseHours: -1 }, ['invalid_policy']],
    [{ ...BASE, resolutionHours: Number.NaN }, ['invalid_policy']],
    [{ ...BASE, resolutionHours: Number.POSITIVE_INFINITY }, ['invalid_policy']],
    [{ ...BASE, warnAtFraction: 1 }, []],
    [{ ...BASE, warnAtFraction: -0.5 }, ['invalid_policy']],
    [{ ...BASE, calendar: 'nope', firstResponseHours: -1 }, ['invalid_policy', 'unknown_calendar']],
  ])('%j → %j', (policy, reasons) => {
    expect(slaPolicyProblems(policy).map((p) => p.reason)).toEqual(reasons);
  });

  it('validateSlaPolicy throws an invalid TicketRejection (unknown_calendar first)', () => {
    const err = (() => { try { validateSlaPolicy({ ...BASE, calendar: 'nope', resolutionHours: -1 }); } catch (e) { return e; } return undefined; })();
    expect(err).toBeInstanceOf(TicketRejection);
    expect(err).toMatchObject({ kind: 'invalid', reason: 'unknown_calendar' });
    expect(() => validateSlaPolicy(BASE)).not.toThrow();
  });
});
