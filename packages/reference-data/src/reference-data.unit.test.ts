import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR, loadReferenceData } from './index';

const SHARED = join(__dirname, '..', '..', '..', '..', 'shared', 'data');

describe('reference data', () => {
  const ref = loadReferenceData(DATA_DIR);

  // Outside a checkout that has ../shared/data there is nothing to compare with: skipped (reported as such), not passed.
  const hasShared = existsSync(SHARED);
  const compare = hasShared ? it.each : it.skip.each;
  compare(['liangshan-divisions.json', 'service-catalog.json', 'seed-cases.json'])(`the copy of %s matches ../shared/data${hasShared ? '' : ' (skipped: ../shared/data not present)'}`, (name) => {
    expect(readFileSync(join(DATA_DIR, name), 'utf8')).toBe(readFileSync(join(SHARED, name), 'utf8'));
  });

  it('has the real hierarchy: 1 prefecture, 17 counties, 304 townships, 2,377 villages', () => {
    const count = (level: string) => ref.divisions.all().filter((d) => d.level === level).length;
    expect([count('prefecture'), count('county'), count('township'), count('village')]).toEqual([1, 17, 304, 2377]);
  });

  it('codes are hierarchical: every child code starts with its parent code', () => {
    for (const d of ref.divisions.all()) if (d.parent) expect(d.code.startsWith(d.parent)).toBe(true);
  });

  it('derives one administration unit per prefecture, county and township and 12 departments per county', () => {
    expect(ref.units.filter((u) => u.kind === 'administration')).toHaveLength(1 + 17 + 304);
    expect(ref.units.filter((u) => u.kind === 'department')).toHaveLength(17 * 12);
  });

  it('routes a village to its township, a county to itself', () => {
    expect(ref.responsibleUnit('513437100001')?.id).toBe('adm-513437100');
    expect(ref.responsibleUnit('513431')?.id).toBe('adm-513431');
    expect(ref.responsibleUnit('513434114203')?.name).toBe('马拖镇');
    expect(ref.responsibleUnit('999')).toBeUndefined();
  });

  it('finds the county department and the supervising unit one level up', () => {
    expect(ref.departmentUnit('513437100001', 'housing-construction')?.id).toBe('dep-513437-housing-construction');
    expect(ref.supervisingUnit('adm-513437100')?.id).toBe('adm-513437');
    expect(ref.supervisingUnit('adm-513437')?.id).toBe('adm-5134');
    expect(ref.supervisingUnit('adm-5134')).toBeUndefined();
    expect(ref.supervisingUnit('dep-513431-transport')?.id).toBe('adm-513431');
  });

  it('seeds an admin for every administration unit', () => {
    const admins = new Set(ref.staff.filter((s) => s.role === 'admin').map((s) => s.unitId));
    for (const u of ref.units.filter((x) => x.kind === 'administration')) expect(admins.has(u.id)).toBe(true);
  });
});
