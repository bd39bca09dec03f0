/** The per-ticket database accounting of `npm run bench:path` (bench/db-share.ts). */
import { dbShare, difference } from '../../bench/db-share';

describe('difference', () => {
  it('subtracts key by key, a key missing on one side counting as 0', () => {
    expect(difference({ a: 1, b: 5 }, { a: 4, c: 2 })).toEqual({ a: 3, b: -5, c: 2 });
  });
});

describe('dbShare', () => {
  const window = {
    tickets: 100, seconds: 20,
    delta: {
      'db:tongban:commits': 560, 'db:tongban:rollbacks': 1, 'db:tongban:ins': 700, 'db:tongban:upd': 300, 'db:tongban:del': 100,
      'db:baseline:commits': 9, 'db:baseline:ins': 5,
      'bench:tongban': 50, xid: 420, 'wal:bytes': 1_234_567, 'wal:records': 2000,
      'table:tongban:events:ins': 200, 'table:tongban:events:upd': 0, 'table:tongban:events:hot': 0, 'table:tongban:events:del': 0,
      'table:tongban:streams:ins': 100, 'table:tongban:streams:upd': 100, 'table:tongban:streams:hot': 90, 'table:tongban:streams:del': 0,
      'table:tongban:untouched:ins': 0, 'table:tongban:untouched:upd': 0, 'table:tongban:untouched:hot': 0, 'table:tongban:untouched:del': 0,
      'table:baseline:baseline_tickets:ins': 5,
      'cpu:pg:tongban': 0.15, 'cpu:pg:other': 0.05, 'cpu:pg:bench': 0.4, 'cpu:pg:baseline': 0.3,
      'cpu:intake': 0.1, 'cpu:gateway': 0.1, 'cpu:bench': 2, 'cpu:baseline': 1,
    },
  };
  const stack = (label: string) => label !== 'bench' && label !== 'baseline' && !label.startsWith('pg:');

  it('divides the workload database\'s counters and the server-wide ones by the tickets, leaving the bench\'s own transactions out', () => {
    const s = dbShare(window, ['tongban'], stack);
    expect(s).toMatchObject({
      tickets: 100, seconds: 20, commits: 5.1, rollbacks: 0.01, writeTransactions: 4.2, inserted: 7, updated: 3, deleted: 1,
      walBytes: 12_346, walRecords: 20, statements: undefined,
    });
    // PostgreSQL: the database's backends and the background processes, not the bench's connections nor another database's.
    expect(s.postgresCpuMs).toBe(2);
    expect(s.workloadCpuMs).toBe(4);
  });

  it('attributes rows to the workload database\'s tables that changed', () => {
    expect(dbShare(window, ['tongban'], stack).tables).toEqual({
      events: { ins: 2, upd: 0, hot: 0, del: 0 },
      streams: { ins: 1, upd: 1, hot: 0.9, del: 0 },
    });
    expect(dbShare(window, ['baseline'], (l) => l === 'baseline').tables).toEqual({ baseline_tickets: { ins: 0.05, upd: 0, hot: 0, del: 0 } });
  });

  it('takes the idle stack\'s commits and statements off at their rate for the window\'s length, nothing else', () => {
    const idle = { seconds: 10, delta: { 'db:tongban:commits': 30, 'stmts:tongban': 40, xid: 10, 'wal:bytes': 10_000, 'table:tongban:events:ins': 5, 'cpu:pg:other': 0.01 } };
    const s = dbShare({ ...window, delta: { ...window.delta, 'stmts:tongban': 850 } }, ['tongban'], stack, idle);
    expect(s.commits).toBe(4.5); // (560 − 50 − 30 × 2) / 100
    expect(s.statements).toBe(7.2); // (850 − 50 − 40 × 2) / 100
    // Sporadic in an idle window (autoanalyze, anchor rounds): not scaled and taken off.
    expect(s.writeTransactions).toBe(4.2);
    expect(s.walBytes).toBe(12_346);
    expect(s.tables['events']!.ins).toBe(2);
    expect(s.postgresCpuMs).toBe(2);
  });

  it('counts statements only when pg_stat_statements was read, without the bench\'s', () => {
    expect(dbShare({ ...window, delta: { ...window.delta, 'stmts:tongban': 850 } }, ['tongban'], stack).statements).toBe(8);
    expect(dbShare({ ...window, delta: { ...window.delta, 'stmts:tongban': 850 } }, ['baseline'], () => false).statements).toBeUndefined();
  });

  it('refuses a window without tickets', () => {
    expect(() => dbShare({ ...window, tickets: 0 }, ['tongban'], stack)).toThrow(RangeError);
  });
});
