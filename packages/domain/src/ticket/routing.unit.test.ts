import type { Catalogue } from '../reference/catalogue';
import { administrationUnitId, buildUnits } from '../reference/units';
import { ROUTING_ACTOR, type RoutingReference, awaitsRouting, initialRouting } from './routing';
import { SAMPLE_DIVISION_INDEX, SAMPLE_SCENARIOS, buildScenario } from './sample-world';

const catalogue: Catalogue = {
  slaPolicy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
  departmentTypes: [{ code: 'housing-construction', zh: '住建局', en: 'Housing and construction' }],
  services: [
    { service_code: 'dangerous-structure', zh: '危房', en: 'Dangerous structure', group: 'housing', department: 'housing-construction', keywords: [] },
    { service_code: 'other', zh: '其他', en: 'Other', group: 'other', department: null, keywords: [] },
  ],
};
const units = new Map(buildUnits(SAMPLE_DIVISION_INDEX, catalogue).map((u) => [u.id, u]));
const ref: RoutingReference = {
  catalogue,
  responsibleUnit: (division) => {
    const d = SAMPLE_DIVISION_INDEX.responsibleDivision(division);
    return d && units.get(administrationUnitId(d.code));
  },
};

describe('initialRouting (the one initial-routing rule: intake and routing)', () => {
  it('given a village, when a report is submitted there, then it goes to the township\'s administration with the category\'s department', () => {
    expect(initialRouting(ref, { division: '513437100001', serviceCode: 'dangerous-structure' }))
      .toEqual({ type: 'RouteTicket', unitId: 'adm-513437100', division: '513437100', suggestedDepartment: 'housing-construction' });
  });

  it('given a county, when a report names it, then the county\'s administration holds it; a category without a department suggests none', () => {
    expect(initialRouting(ref, { division: '513437', serviceCode: 'other' }))
      .toEqual({ type: 'RouteTicket', unitId: 'adm-513437', division: '513437', suggestedDepartment: '' });
  });

  it('given an unknown division, then there is no routing (the ticket stays submitted)', () => {
    expect(initialRouting(ref, { division: '999999', serviceCode: 'dangerous-structure' })).toBeUndefined();
  });

  it('is the routing service\'s own act (a system actor)', () => {
    expect(ROUTING_ACTOR).toEqual({ kind: 'system', id: 'routing' });
  });
});

describe('awaitsRouting', () => {
  it('given a submitted ticket, then it waits; given a routed, accepted or withdrawn one, then it does not', () => {
    const status = (name: string) => awaitsRouting(buildScenario(SAMPLE_SCENARIOS.find((s) => s.name === name)!));
    expect(SAMPLE_SCENARIOS.map((s) => s.name)).toEqual(expect.arrayContaining(['routed to the township', 'accepted by the township', 'withdrawn']));
    expect(status('routed to the township')).toBe(false);
    expect(status('accepted by the township')).toBe(false);
    expect(status('withdrawn')).toBe(false);
    expect(awaitsRouting({ status: 'submitted' })).toBe(true);
  });
});
