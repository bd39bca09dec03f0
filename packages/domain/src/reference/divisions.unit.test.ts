import { DivisionIndex } from './divisions';
import { SAMPLE_DIVISIONS } from '../ticket/sample-world';

// A few real Liangshan codes (2023): 5134 → 513437 (雷波县) → 513437100 (锦城镇) → 513437100001;
// 513431 (昭觉县); 513434 (越西县) → 513434114 (马拖镇) → 513434114203 (大河村).
const index = new DivisionIndex(SAMPLE_DIVISIONS);

describe('DivisionIndex', () => {
  it.each([
    ['513437100001', '513437100', true],
    ['513437100001', '513437', true],
    ['513437100001', '5134', true],
    ['513437100', '513437100', true],
    ['513434114203', '513434114', true],
    ['513434114203', '513437', false],
    ['513437', '513437100', false],
    ['513431', '513434', false],
    ['5134', '513431', false],
    ['999999', '5134', false],
  ])('isWithin(%s, %s) = %s', (code, ancestor, expected) => {
    expect(index.isWithin(code, ancestor)).toBe(expected);
  });

  it('walks parent links, not code prefixes', () => {
    const odd = new DivisionIndex([
      { code: '1', name: 'root', level: 'prefecture', parent: null },
      { code: '27', name: 'child with an unrelated code', level: 'county', parent: '1' },
    ]);
    expect(odd.isWithin('27', '1')).toBe(true);
    expect(index.isWithin('5134371', '513437')).toBe(false);
  });

  it('lineage and ancestors', () => {
    expect(index.lineage('513437100001').map((d) => d.code)).toEqual(['513437100001', '513437100', '513437', '5134']);
    expect(index.lineage('nope')).toEqual([]);
    expect(index.ancestorAt('513434114203', 'county')?.name).toBe('越西县');
    expect(index.ancestorAt('513431', 'township')).toBeUndefined();
  });

  it('the responsible division: a village\'s township; a township, county or the prefecture itself (seed cases)', () => {
    expect(index.responsibleDivision('513437100001')?.name).toBe('锦城镇');
    expect(index.responsibleDivision('513431')?.name).toBe('昭觉县');
    expect(index.responsibleDivision('513434114203')?.code).toBe('513434114');
    expect(index.responsibleDivision('5134')?.code).toBe('5134');
    expect(index.responsibleDivision('000000')).toBeUndefined();
  });
});
