import { initialTicketState, type TicketState } from '@tongban/domain';
import { MIN_PRACTICE_SAMPLE, PRACTICE_DEFINITIONS, addTicket, emptyCounts } from './practice';

const base = (patch: Partial<TicketState>): TicketState => ({
  ...initialTicketState(), exists: true, ticketId: 't', division: '513437100001', serviceCode: 'sanitation', routedUnitId: 'adm-513437100', ...patch,
});

describe('12345-practice figures (issue 14)', () => {
  it('returns and missed sign-fors count for the unit that returned or missed them; callbacks and ratings for the ticket\'s group', () => {
    const groups = new Map();
    const total = emptyCounts();
    addTicket(groups, total, 'unit', base({
      routedUnitId: 'adm-513437101',
      returns: [{ fromUnitId: 'adm-513437100', reasonCode: 'wrong_place', at: '', outcome: 'approved', toUnitId: 'adm-513437101' }],
      signForBreaches: [{ unitId: 'adm-513437100', dueAt: '', breachedAt: '' }],
      callbacks: [{ reached: false, channel: 'phone', rating: '', attempt: 1, at: '', unitId: 'adm-513437101' }, { reached: true, channel: 'phone', rating: 'dissatisfied', attempt: 2, at: '', unitId: 'adm-513437101' }],
      rectifications: 1, followers: ['d1', 'd2'], rating: { score: 4, comment: '' },
      callbackOverdues: [{ dueAt: '', overdueAt: '', by: 'first-responder', unitId: 'adm-513437101' }],
    }));
    addTicket(groups, total, 'unit', base({ closedBy: 'not_reached' }));
    expect(groups.get('adm-513437100')).toMatchObject({ returns: { total: 1, approved: 1 }, signForMissed: 1, closedNotReached: 1, callbacks: 0 });
    expect(groups.get('adm-513437101')).toMatchObject({ returns: { total: 0 }, callbacks: 2, reached: 1, cbRated: 1, cbSatisfied: 0, rectifications: 1, followers: 2, rated: 1, ratedSatisfied: 1, callbacksOverdue: 1 });
    expect(groups.get('adm-513437100')).toMatchObject({ callbacksOverdue: 0 });
    expect(total).toMatchObject({ returns: { total: 1 }, signForMissed: 1, callbacks: 2, closedNotReached: 1, followers: 2, callbacksOverdue: 1 });
  });

  it('a ticket merged into a lead (并单) counts once: only as the lead\'s merged duplicate and its reporter as a follower', () => {
    const groups = new Map();
    const total = emptyCounts();
    addTicket(groups, total, 'unit', base({ ticketId: 'dup', status: 'duplicate', mergedInto: { ticketId: 'lead', reference: 'LS-1' }, signForBreaches: [{ unitId: 'adm-513437100', dueAt: '', breachedAt: '' }] }));
    addTicket(groups, total, 'unit', base({ ticketId: 'lead', followers: ['d-dup'], merged: [{ ticketId: 'dup', reference: 'LS-2', at: '' }] }));
    expect(total).toMatchObject({ signForMissed: 0, followers: 1, merged: 1 });
    expect(groups.get('adm-513437100')).toMatchObject({ merged: 1, followers: 1 });
  });

  it('签收及时率: sign-fors on time over those done plus those missed and never signed, per receiving unit', () => {
    const groups = new Map();
    const total = emptyCounts();
    const at = (m: number) => new Date(Date.parse('2026-12-01T02:00:00Z') + m * 60_000).toISOString();
    // The township signed late (after a breach), the department on time; another unit missed and never signed.
    addTicket(groups, total, 'unit', base({
      signForBreaches: [{ unitId: 'adm-513437100', dueAt: at(15), breachedAt: at(16) }, { unitId: 'adm-513437', dueAt: at(90), breachedAt: at(91) }],
      signFors: [{ unitId: 'adm-513437100', startedAt: at(0), dueAt: at(15), signedAt: at(40) }, { unitId: 'dep-513437-housing-construction', startedAt: at(60), dueAt: at(75), signedAt: at(70) }],
    }));
    expect(total).toMatchObject({ signForOnTime: 1, signForDue: 3, signForMissed: 2 });
    expect(groups.get('adm-513437100')).toMatchObject({ signForOnTime: 0, signForDue: 1 });
    expect(groups.get('dep-513437-housing-construction')).toMatchObject({ signForOnTime: 1, signForDue: 1 });
    expect(groups.get('adm-513437')).toMatchObject({ signForOnTime: 0, signForDue: 1 });
  });

  it('every figure has its formula, and small samples are "not enough data"', () => {
    expect(Object.keys(PRACTICE_DEFINITIONS).sort()).toEqual(['callbackSatisfaction', 'callbacks', 'callbacksOverdue', 'closedNotReached', 'followers', 'merged', 'ratingSatisfaction', 'rectifications', 'returns', 'signForMissed', 'signForOnTime']);
    expect(MIN_PRACTICE_SAMPLE).toBeGreaterThan(1);
  });
});
