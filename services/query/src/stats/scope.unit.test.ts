import type { Principal } from '@tongban/auth';
import { loadReferenceData } from '@tongban/reference-data';
import { ServiceFailure } from '@tongban/runtime';
import { resolveStatsQuery } from './scope';

const ref = loadReferenceData();
const now = new Date('2026-03-01T00:00:00Z');
const staff = (role: string, division: string): Principal => ({ kind: 'staff', id: `${role}@x`, role: role as never, unitId: `adm-${division}`, division });
const req = (over: Partial<{ division: string; from: string; to: string; groupBy: string }> = {}) => ({ division: '', from: '', to: '', groupBy: '', ...over });
const reason = (fn: () => unknown) => {
  try { fn(); } catch (err) { return err instanceof ServiceFailure ? err.reason : String(err); }
  return 'no error';
};

describe('resolveStatsQuery', () => {
  it('gives auditors everything and supervisors their subtree', () => {
    expect(resolveStatsQuery(req(), staff('auditor', '5134'), ref, now)).toMatchObject({ division: '', groupBy: 'none', nowMs: now.getTime() });
    expect(resolveStatsQuery(req(), staff('supervisor', '513437'), ref, now)).toMatchObject({ division: '513437' });
    expect(resolveStatsQuery(req({ division: '513437100', groupBy: 'unit' }), staff('supervisor', '513437'), ref, now)).toMatchObject({ division: '513437100', groupBy: 'unit' });
  });

  it('refuses other roles, other subtrees, unknown divisions and bad parameters', () => {
    expect(reason(() => resolveStatsQuery(req(), staff('admin', '513437100'), ref, now))).toBe('role_not_allowed');
    expect(reason(() => resolveStatsQuery(req(), { kind: 'citizen', id: 'd' }, ref, now))).toBe('role_not_allowed');
    expect(reason(() => resolveStatsQuery(req({ division: '513401' }), staff('supervisor', '513437'), ref, now))).toBe('outside_jurisdiction');
    expect(reason(() => resolveStatsQuery(req({ division: '5134' }), staff('supervisor', '513437'), ref, now))).toBe('outside_jurisdiction');
    expect(reason(() => resolveStatsQuery(req({ division: '999' }), staff('auditor', '5134'), ref, now))).toBe('unknown_division');
    expect(reason(() => resolveStatsQuery(req({ groupBy: 'month' }), staff('auditor', '5134'), ref, now))).toBe('invalid_group_by');
    expect(reason(() => resolveStatsQuery(req({ from: 'yesterday' }), staff('auditor', '5134'), ref, now))).toBe('invalid_from');
    expect(reason(() => resolveStatsQuery(req({ from: '2026-02-30' }), staff('auditor', '5134'), ref, now))).toBe('invalid_from');
    expect(reason(() => resolveStatsQuery(req({ to: '2026-04-31T00:00:00+08:00' }), staff('auditor', '5134'), ref, now))).toBe('invalid_to');
    expect(reason(() => resolveStatsQuery(req({ from: '2026-02-01', to: '2026-01-01' }), staff('auditor', '5134'), ref, now))).toBe('invalid_range');
  });

  it('reads a bare date as midnight in Asia/Shanghai', () => {
    expect(resolveStatsQuery(req({ from: '2026-01-01', to: '2026-01-02T00:00:00Z' }), staff('auditor', '5134'), ref, now)).toMatchObject({
      fromMs: Date.parse('2025-12-31T16:00:00Z'), toMs: Date.parse('2026-01-02T00:00:00Z'),
    });
  });
});
