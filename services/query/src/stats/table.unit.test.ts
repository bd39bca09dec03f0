import { loadReferenceData } from '@tongban/reference-data';
import type { FactsRecord } from './facts';
import { median } from './medians';
import { StatsTable } from './table';

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

  it('a ticket merged into a lead (并单, status merged in its facts) counts nowhere, in either path, even after it was counted', () => {
    const t = new StatsTable();
    t.upsert(ticket(1));
    t.upsert(ticket(2, { status: 'in_progress', closedMs: NaN }));
    t.upsert(ticket(2, { revision: 4, status: 'merged', closedMs: T0 + 30 * H })); // the open duplicate merged into t1
    t.upsert(ticket(3, { status: 'merged' }));
    for (const path of ['rowwise', 'aggregated'] as const) {
      for (const division of ['', '513437']) {
        const result = t.compute({ division, groupBy: 'unit', nowMs: NOW }, ref, { path });
        expect(result.total).toMatchObject({ received: 1, closed: 1, openNow: 0, satisfaction: { rated: 1 } });
        expect(result.groups.map((g) => [g.key, g.received])).toEqual([['adm-513437100', 1]]);
      }
    }
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

  it('the pre-aggregated path (settled cells + live rows) equals the per-row path, through reopens and late ratings', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const divisions = ['513437100001', '513437100002', '513437101001', '513401001001', '513401002003', '5134'];
    const statuses = ['submitted', 'routed', 'in_progress', 'awaiting_information', 'resolved', 'closed', 'rejected', 'duplicate', 'withdrawn'];
    const row = (id: number, revision: number): FactsRecord => {
      const submittedMs = T0 - 20 * 24 * H + Math.floor(rnd() * 80 * 24) * H + Math.floor(rnd() * H); // December 2025 to March 2026
      const status = pick(statuses);
      const final = ['closed', 'rejected', 'duplicate', 'withdrawn'].includes(status);
      const division = pick(divisions);
      const fr = rnd() < 0.2 ? Number.NaN : submittedMs + Math.floor(rnd() ** 2 * 60 * H);
      const res = rnd() < 0.3 ? Number.NaN : submittedMs + Math.floor(rnd() * 200 * H);
      return ticket(id, {
        revision, division, serviceCode: pick(['sanitation', 'water-supply', 'roads']), accountableUnitId: pick(['adm-513437100', 'adm-513401001', '']),
        handlerId: pick(['a', 'b', 'c', '']), status, submittedMs, firstResponseDueMs: submittedMs + 24 * H, firstRepliedMs: fr,
        resolutionDueMs: submittedMs + 72 * H, resolutionPaused: rnd() < 0.1, resolvedMs: res,
        // A reopened ticket may keep its earlier closedAt; a final one has one (rarely missing, then it stays per-row).
        closedMs: final ? (rnd() < 0.05 ? Number.NaN : submittedMs + Math.floor(rnd() * 300 * H)) : rnd() < 0.2 ? submittedMs + 50 * H : Number.NaN,
        rating: rnd() < 0.4 ? 1 + Math.floor(rnd() * 5) : 0,
      });
    };
    const t = new StatsTable();
    for (let i = 0; i < 4000; i++) t.upsert(row(i, 1));
    // Later revisions: settled → live (reopen), live → settled, settled → settled (a rating after closing).
    for (let k = 0; k < 1500; k++) t.upsert(row(Math.floor(rnd() * 4000), 2 + k));
    const layout = t.layout;
    expect(layout.settled).toBeGreaterThan(1000);
    expect(layout.live).toBeGreaterThan(1000);
    expect(layout.cellsByUnit).toBeGreaterThan(50);
    expect(layout.cellsByCategory).toBeGreaterThan(20);
    const nowMs = T0 + 65 * 24 * H;
    const day = 24 * H;
    const shanghaiMidnight = T0 - 8 * H;
    const ranges: { fromMs?: number; toMs?: number }[] = [
      {}, { fromMs: T0 + 10 * day }, { toMs: T0 + 30 * day + 5 * H }, { fromMs: shanghaiMidnight + 7 * day, toMs: shanghaiMidnight + 37 * day },
      { fromMs: T0 + 3 * day + 17 * H, toMs: T0 + 3 * day + 20 * H }, { fromMs: T0 + 20 * day + 1, toMs: T0 + 41 * day - 1 },
      // Whole months in Asia/Shanghai (cells only, nothing cut) and ranges cutting one or two months.
      { fromMs: Date.parse('2026-02-01T00:00:00+08:00'), toMs: Date.parse('2026-03-01T00:00:00+08:00') },
      { fromMs: Date.parse('2026-01-01T00:00:00+08:00') }, { toMs: Date.parse('2026-02-01T00:00:00+08:00') },
      { fromMs: Date.parse('2026-01-15T00:00:00+08:00'), toMs: Date.parse('2026-02-01T00:00:00+08:00') },
      // A whole year in Asia/Shanghai (its year cells), with a month before it, or with part of one cut.
      { fromMs: Date.parse('2026-01-01T00:00:00+08:00'), toMs: Date.parse('2027-01-01T00:00:00+08:00') },
      { fromMs: Date.parse('2025-12-01T00:00:00+08:00'), toMs: Date.parse('2027-01-01T00:00:00+08:00') },
      { fromMs: Date.parse('2025-12-20T00:00:00+08:00') }, { toMs: Date.parse('2026-01-01T00:00:00+08:00') },
    ];
    for (const groupBy of ['none', 'unit', 'county', 'handler', 'category'] as const) {
      for (const division of ['', '5134', '513437', '513437100', '513401001001']) {
        for (const r of ranges) {
          for (const now of [nowMs, T0 + 20 * day]) {
            const q = { division, groupBy, nowMs: now, ...r };
            expect(t.compute(q, ref, { path: 'aggregated' })).toEqual(t.compute(q, ref, { path: 'rowwise' }));
          }
        }
      }
    }
    const all = t.compute({ division: '', groupBy: 'none', nowMs });
    expect(all.total.received).toBe(4000);
    expect(all.total.medianHoursToResolution).not.toBeNull();
    // Cleared and reloaded: the same answer.
    const before = t.compute({ division: '513437', groupBy: 'unit', nowMs, fromMs: T0 + 5 * day + 3 * H }, ref, { path: 'aggregated' });
    const rows: FactsRecord[] = [];
    seed = 11;
    for (let i = 0; i < 4000; i++) rows.push(row(i, 1));
    for (let k = 0; k < 1500; k++) { const id = Math.floor(rnd() * 4000); rows.push(row(id, 2 + k)); }
    t.clear();
    expect(t.layout).toMatchObject({ rows: 0, live: 0, settled: 0, cellsByUnit: 0, cellsByCategory: 0, cellsByCounty: 0 });
    for (const r of rows) t.upsert(r);
    expect(t.compute({ division: '513437', groupBy: 'unit', nowMs, fromMs: T0 + 5 * day + 3 * H }, ref, { path: 'aggregated' })).toEqual(before);
  });

  it('a settled ticket moves between cells and the live rows as it is rewritten', () => {
    const t = new StatsTable();
    t.upsert(ticket(1));
    expect(t.layout).toMatchObject({ rows: 1, live: 0, settled: 1, cellsByUnit: 2, cellsByCategory: 2, cellsByCounty: 2 });
    t.upsert(ticket(1, { revision: 4, status: 'in_progress', resolvedMs: NaN })); // reopened, keeps its closedAt
    expect(t.layout).toMatchObject({ rows: 1, live: 1, settled: 0 });
    expect(t.compute({ division: '', groupBy: 'none', nowMs: NOW }, undefined, { path: 'aggregated' }).total).toMatchObject({ openNow: 1, closed: 0, medianHoursToResolution: null });
    t.upsert(ticket(1, { revision: 5, resolvedMs: T0 + 30 * H, closedMs: T0 + 40 * H, rating: 2 }));
    expect(t.layout).toMatchObject({ rows: 1, live: 0, settled: 1 });
    expect(t.compute({ division: '', groupBy: 'none', nowMs: NOW }, undefined, { path: 'aggregated' }).total).toMatchObject({ openNow: 0, closed: 1, medianHoursToResolution: 30, satisfaction: { average: 2, rated: 1 } });
    // Each ticket is in its month's and its year's cells; other tickets of the same county, unit, handler, category and
    // month share them; a new category makes new cells.
    for (let i = 2; i <= 8; i++) t.upsert(ticket(i, { division: `5134371000${i}0` }));
    t.upsert(ticket(9, { serviceCode: 'roads' }));
    expect(t.layout).toMatchObject({ settled: 9, cellsByUnit: 2, cellsByCategory: 4, cellsByCounty: 2 });
  });

  it('a range cutting a month sees the rows written after an earlier query cut it (its compact copy is rebuilt)', () => {
    const t = new StatsTable();
    for (let i = 0; i < 20; i++) t.upsert(ticket(i, { submittedMs: T0 + i * H }));
    const q = { division: '', groupBy: 'unit', nowMs: NOW, fromMs: T0 + 5 * H } as const;
    expect(t.compute(q, ref).total.received).toBe(15);
    t.upsert(ticket(100, { submittedMs: T0 + 50 * H }));
    t.upsert(ticket(3, { revision: 9, submittedMs: T0 + 7 * H, rating: 1 })); // moved into the range
    t.upsert(ticket(10, { revision: 9, submittedMs: T0 + 10 * H, status: 'in_progress', closedMs: NaN })); // reopened: live
    expect(t.compute(q, ref)).toEqual(t.compute(q, ref, { path: 'rowwise' }));
    expect(t.compute(q, ref).total).toMatchObject({ received: 17, openNow: 1 });
  });

  it('median: odd, even, none', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    const many = Array.from({ length: 10001 }, (_, i) => (i * 7919) % 10001);
    expect(median(many)).toBe(5000);
  });
});
