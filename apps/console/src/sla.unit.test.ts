import { dueFirstKey, firstResponseClock, isBreached, resolutionClock } from './sla';

const submittedAt = '2026-06-01T00:00:00.000Z';
const base = { status: 'routed', submittedAt, firstResponseDueAt: '2026-06-02T00:00:00.000Z', resolutionDueAt: '2026-06-04T00:00:00.000Z' };
const at = (iso: string) => Date.parse(iso);

describe('the queue clocks', () => {
  it('is normal before 75 % of a leg, warning from 75 %, breached after the due time', () => {
    expect(firstResponseClock(base, at('2026-06-01T17:59:00Z'))).toMatchObject({ state: 'normal', leftMs: 6 * 3_600_000 + 60_000 });
    expect(firstResponseClock(base, at('2026-06-01T18:00:00Z')).state).toBe('warning');
    expect(firstResponseClock(base, at('2026-06-02T02:00:00Z'))).toMatchObject({ state: 'breached', leftMs: -2 * 3_600_000 });
    expect(isBreached(base, at('2026-06-02T02:00:00Z'))).toBe(true);
  });

  it('shows a leg met (in time or late) once it stopped, and a paused resolution leg while waiting on the reporter', () => {
    expect(firstResponseClock({ ...base, firstRespondedAt: '2026-06-01T05:00:00Z' }, at('2026-06-03T00:00:00Z')).state).toBe('met');
    expect(firstResponseClock({ ...base, firstRespondedAt: '2026-06-02T05:00:00Z' }, at('2026-06-03T00:00:00Z')).state).toBe('metLate');
    expect(resolutionClock({ ...base, status: 'awaiting_information', resolutionPaused: true }, at('2026-06-05T00:00:00Z')).state).toBe('paused');
    expect(resolutionClock({ ...base, status: 'closed', resolvedAt: '2026-06-03T00:00:00Z' }, at('2026-06-05T00:00:00Z')).state).toBe('met');
    expect(resolutionClock({ ...base, status: 'rejected' }, at('2026-06-05T00:00:00Z')).state).toBe('none');
  });

  it('sorts what is due first: the earliest running due time, finished tickets last', () => {
    const now = at('2026-06-01T01:00:00Z');
    const answered = { ...base, firstRespondedAt: '2026-06-01T00:30:00Z' };
    const closed = { ...base, status: 'closed', resolvedAt: '2026-06-01T00:40:00Z' };
    const keys = [base, answered, closed].map((t) => dueFirstKey(t, now));
    expect(keys[0]).toBe(at(base.firstResponseDueAt));
    expect(keys[1]).toBe(at(base.resolutionDueAt));
    expect(keys[2]).toBeGreaterThan(keys[1]!);
  });
});
