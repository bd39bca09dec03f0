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
    const { urgencyClass: _c, policySet: _s, requestType: _r, signForHours: _h, signForCalendar: _sc, ...hoursAndCalendar } = slaPolicyFor(BASE, c, { serviceCode, ...(unitId ? { unitId } : {}) });
    expect(hoursAndCalendar).toEqual(expected);
  });

  it('the default calendar may itself be a working-hours calendar', () => {
    expect(slaPolicyFor(BASE, parseSlaConfig({ defaultCalendar: 'cn-working-hours' }, BASE), { serviceCode: 'x' }).calendar).toBe('cn-working-hours');
  });
});

describe('urgency classes and policy sets (issue 14 item 1)', () => {
  const at = (serviceCode: string, extra: { requestType?: string; policySet?: string } = {}) => slaPolicyFor(BASE, DEFAULT_SLA_CONFIG, { serviceCode, ...extra });

  it.each([
    ['dangerous-structure', 'emergency', 0.25, undefined],
    ['public-security', 'emergency', 0.25, undefined],
    ['water-supply', 'utilities', 0.5, undefined],
    ['power-supply', 'utilities', 0.5, undefined],
    ['sanitation', 'general', 24, 'cn-working-days'],
  ])('default set: %s is %s, signed for within %s h (calendar %s), first reply 24 h and resolution 72 h on calendar hours', (code, cls, signFor, signForCalendar) => {
    expect(at(code)).toEqual({
      ...BASE, urgencyClass: cls, policySet: 'default', requestType: 'help', signForHours: signFor, ...(signForCalendar ? { signForCalendar } : {}),
    });
  });

  it.each([
    ['inquiry', 72], ['help', 168], ['suggestion', 168], ['complaint', 360], ['report', 360],
  ])('sichuan set: a general %s is resolved within %s working hours (3/7/15 working days) on working days', (requestType, hours) => {
    expect(at('sanitation', { requestType, policySet: 'sichuan' })).toEqual({
      firstResponseHours: 24, resolutionHours: hours, warnAtFraction: 0.75, calendar: 'cn-working-days',
      urgencyClass: 'general', policySet: 'sichuan', requestType, signForHours: 24,
    });
  });

  it('sichuan set: emergencies and utilities keep calendar hours and the article\'s limits whatever the request type', () => {
    expect(at('dangerous-structure', { requestType: 'complaint', policySet: 'sichuan' })).toMatchObject({ ...BASE, urgencyClass: 'emergency', signForHours: 0.25 });
    expect(at('dangerous-structure', { policySet: 'sichuan' }).calendar).toBeUndefined();
  });

  it('the configuration names the set, the class of a category, the default request type and per-class overrides; a category override wins', () => {
    const config = parseSlaConfig({
      policySet: 'sichuan',
      urgencyClassByServiceCode: { sanitation: 'utilities' },
      requestTypeByServiceCode: { 'road-transport': 'complaint' },
      urgencyClasses: { utilities: { signForHours: 1, resolutionHours: 48 } },
      policyByServiceCode: { 'land-dispute': { resolutionHours: 500 } },
    }, BASE);
    expect(slaPolicyFor(BASE, config, { serviceCode: 'sanitation' })).toMatchObject({ urgencyClass: 'utilities', signForHours: 1, resolutionHours: 48 });
    expect(slaPolicyFor(BASE, config, { serviceCode: 'road-transport' })).toMatchObject({ requestType: 'complaint', resolutionHours: 360, calendar: 'cn-working-days' });
    expect(slaPolicyFor(BASE, config, { serviceCode: 'land-dispute', requestType: 'inquiry' })).toMatchObject({ resolutionHours: 500 });
  });

  it.each([
    [{ policySet: 'mars' }, /policySet: unknown policy set "mars"/],
    [{ urgencyClassByServiceCode: { sanitation: 'urgent' } }, /urgencyClassByServiceCode.sanitation: unknown urgency class/],
    [{ requestTypeByServiceCode: { sanitation: 'praise' } }, /requestTypeByServiceCode.sanitation: unknown request type/],
    [{ urgencyClasses: { general: { signForHours: 0 } } }, /urgencyClasses.general.signForHours must be a positive/],
    [{ urgencyClasses: { general: { calendar: 'nope' } } }, /urgencyClasses.general.calendar: unknown calendar/],
  ])('refuses %j', (json, message) => {
    expect(() => parseSlaConfig(json, BASE)).toThrow(message);
  });

  it('a snapshot with a non-positive sign-for limit or an unknown sign-for calendar is refused', () => {
    expect(slaPolicyProblems({ ...BASE, signForHours: 0 }).map((p) => p.reason)).toEqual(['invalid_policy']);
    expect(slaPolicyProblems({ ...BASE, signForHours: 1, signForCalendar: 'nope' }).map((p) => p.reason)).toEqual(['unknown_calendar']);
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
