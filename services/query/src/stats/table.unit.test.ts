import { loadReferenceData } from '@tongban/reference-data';
import { type FactsRecord, StatsTable, median } from './table';

const H = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const NOW = T0 + 200 * H;

function ticket(id: number, over: Partial<FactsRecord> = {}): FactsRecord {
  return {
    ticketId: `t${id}`, revision: 3, division: '513437100001', serviceCode: 'sanitation', accountableUnitId: 'adm-513437100',
    handlerId: 'admin@adm-513437100', status: 'closed', submittedMs: T0, firstResponseDueMs: T0 + 24 * H, firstRepliedMs: T0 + 2 * H,
    resolutionDueMs: T0 + 72 * H, resolutionPaused: false, resolvedMs: T0 + 10 * H, closedMs: T0 + 20 * H, rating: 5, ...over,
  };
}

describe('StatsTable', () => {
  const ref = loadReferenceData();

  it('applies the definitions of on-time, open, overdue, medians and satisfaction', () => {
    const t = new StatsTable();
    t.upsert(ticket(1));
    t.upsert(ticket(2, { firstRepliedMs: T0 + 30 * H, resolvedMs: T0 + 80 * H, closedMs: T0 + 90 * H, rating: 3 })); // both late
    t.upsert(ticket(3, { status: 'in_progress', firstRepliedMs: NaN, resolvedMs: NaN, closedMs: NaN, rating: 0 })); // overdue now
    t.upsert(ticket(4, { status: 'awaiting_information', submittedMs: NOW - 10 * H, firstResponseDueMs: NOW + 14 * H, firstRepliedMs: NOW - 9 * H,
      resolutionDueMs: NOW - H, resolutionPaused: true, resolvedMs: NaN, closedMs: NaN, rating: 0 })); // paused: not due, not overdue
    t.upsert(ticket(5, { status: 'withdrawn', firstRepliedMs: NaN, resolvedMs: NaN, closedMs: T0 + H, rating: 0 })); // ended before anything was due
    const { total } = t.compute({ division: '', groupBy: 'none', nowMs: NOW }, ref);
    expect(total).toMatchObject({
      received: 5, closed: 3, closeRate: 0.6,
      firstRepliesOnTime: { count: 2, of: 4, rate: 0.5 }, resolutionsOnTime: { count: 1, of: 3 },
      openNow: 2, overdueNow: 1, satisfaction: { average: 4, rated: 2 },
    });
    expect(total.medianHoursToFirstReply).toBe(2); // 1, 2, 30 h → 2
    expect(total.medianHoursToResolution).toBe(45); // 10, 80 → 45
  });

  it('filters by division subtree and submission range, groups with names, keeps the newest revision', () => {
    const t = new StatsTable();
    t.upsert(ticket(1));
    t.upsert(ticket(2, { division: '513401001001', accountableUnitId: 'adm-513401001', submittedMs: T0 + 50 * H }));
    t.upsert(ticket(3, { division: '5134', accountableUnitId: 'adm-5134', serviceCode: 'water-supply' }));
    t.upsert(ticket(1, { revision: 2, rating: 1 })); // older: ignored
    const byCounty = t.compute({ division: '', groupBy: 'county', nowMs: NOW }, ref);
    expect(byCounty.groups.map((g) => [g.key, g.name, g.received])).toEqual([['5134', '凉山彝族自治州', 1], ['513401', '西昌市', 1], ['513437', '雷波县', 1]]);
    expect(t.compute({ division: '513437', groupBy: 'unit', nowMs: NOW }, ref).groups).toEqual([expect.objectContaining({ key: 'adm-513437100', name: '锦城镇', received: 1, satisfaction: { average: 5, rated: 1 } })]);
    expect(t.compute({ division: '', groupBy: 'none', nowMs: NOW, fromMs: T0 + H }, ref).total.received).toBe(1);
    const byCategory = t.compute({ division: '', groupBy: 'category', nowMs: NOW, toMs: T0 + H }, ref).groups;
    expect(byCategory.map((g) => g.key).sort()).toEqual(['sanitation', 'water-supply']);
    expect(byCategory.every((g) => g.name.includes('('))).toBe(true);
    expect(t.compute({ division: '999', groupBy: 'unit', nowMs: NOW }, ref)).toMatchObject({ total: { received: 0, closeRate: null, medianHoursToFirstReply: null }, groups: [] });
  });

  it('computes exact medians through the histogram buckets (random data against a sort)', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const t = new StatsTable();
    const rows: FactsRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      const fr = rnd() < 0.1 ? Number.NaN : T0 + Math.floor(rnd() ** 3 * 100 * H);
      const row = ticket(i, { accountableUnitId: `u${i % 7}`, firstRepliedMs: fr, resolvedMs: rnd() < 0.5 ? T0 + 5 * H : T0 + Math.floor(rnd() * 200 * H) });
      rows.push(row);
      t.upsert(row);
    }
    const result = t.compute({ division: '', groupBy: 'unit', nowMs: NOW });
    const naive = (list: FactsRecord[], pick: (r: FactsRecord) => number) => median(list.map(pick).filter((x) => !Number.isNaN(x)).map((x) => (x - T0) / H));
    for (const g of result.groups) {
      const mine = rows.filter((r) => r.accountableUnitId === g.key);
      expect(g.medianHoursToFirstReply).toBeCloseTo(naive(mine, (r) => r.firstRepliedMs)!, 9);
      expect(g.medianHoursToResolution).toBeCloseTo(naive(mine, (r) => r.resolvedMs)!, 9);
    }
    expect(result.total.medianHoursToFirstReply).toBeCloseTo(naive(rows, (r) => r.firstRepliedMs)!, 9);
    expect(result.total.medianHoursToResolution).toBeCloseTo(naive(rows, (r) => r.resolvedMs)!, 9);
  });

  it('median: odd, even, none', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    const many = Array.from({ length: 10001 }, (_, i) => (i * 7919) % 10001);
    expect(median(many)).toBe(5000);
  });
});
