import { initialTicketState, type TicketState } from '@tongban/domain';
import { LIFECYCLE_COLUMNS, csvCell, lifecycleCsv, lifecycleJsonl, lifecycleRow } from './export';

const NONE = { routed_at: null, signed_for_at: null, deadline_announced_at: null, resolved_at: null, callback_at: null, reopened_at: null };

describe('statistics exports (issue 14 item 7)', () => {
  it('a cell a spreadsheet would run as a formula is prefixed with a quote; quoting follows RFC 4180; numbers stay numbers', () => {
    expect(['=1+2', '+86 138', '-1', '@SUM(A1)', '\tx', '\rx'].map(csvCell)).toEqual(["'=1+2", "'+86 138", "'-1", "'@SUM(A1)", "'\tx", "\"'\rx\""]);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(null)).toBe('');
    expect(csvCell('锦城镇')).toBe('锦城镇');
  });

  it('one row per ticket with its lifecycle instants, and no reporter identity or free text', () => {
    const s: TicketState = {
      ...initialTicketState(), exists: true, ticketId: 't1', reference: 'LS-2026-000001', division: '513437100001', serviceCode: 'sanitation',
      title: '=cmd|calc', description: '张三 13800000000', reporter: { deviceId: 'device-1', staffId: '', unitId: '' }, status: 'closed', closedBy: 'reporter',
      submittedAt: '2026-12-01T02:00:00.000Z', routedUnitId: 'adm-513437100', holderUnitId: 'adm-513437100', closedAt: '2026-12-03T02:00:00.000Z',
      firstResponder: { staffId: 'admin@adm-513437100', unitId: 'adm-513437100', since: '2026-12-01T02:10:00.000Z' },
      policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75, urgencyClass: 'general', requestType: 'help' },
      sla: { firstResponse: { startedAt: '2026-12-01T02:00:00.000Z', dueAt: '2026-12-02T02:00:00.000Z', stoppedAt: '2026-12-01T03:00:00.000Z', announced: false, pausedMs: 0 } },
      rating: { score: 4, comment: '很好', level: 'satisfied' }, followers: ['device-2'], signForBreaches: [{ unitId: 'adm-513437100', dueAt: 'x', breachedAt: 'y' }],
    };
    const row = lifecycleRow(s, { ...NONE, routed_at: '2026-12-01T02:00:01.000Z', signed_for_at: '2026-12-01T02:10:00.000Z', resolved_at: '2026-12-02T02:00:00.000Z' });
    expect(row).toMatchObject({
      ticketId: 't1', status: 'closed', closedBy: 'reporter', accountableUnitId: 'adm-513437100', receivedAt: s.submittedAt, routedAt: '2026-12-01T02:00:01.000Z',
      signedForAt: '2026-12-01T02:10:00.000Z', firstReplyAt: '2026-12-01T03:00:00.000Z', resolvedAt: '2026-12-02T02:00:00.000Z', closedAt: s.closedAt,
      deadlineAnnouncedAt: null, rating: 'satisfied', followers: 1, signForMissed: 1, mergedInto: null,
    });
    expect(Object.keys(row)).toEqual([...LIFECYCLE_COLUMNS]);
    const csv = lifecycleCsv([row]);
    expect(csv.startsWith(`\uFEFF${LIFECYCLE_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(csv.split('\r\n')).toHaveLength(3);
    const jsonl = lifecycleJsonl([row, row]);
    expect(jsonl.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([row, row]);
    for (const text of [csv, jsonl]) for (const secret of ['device-1', '张三', '13800000000', '=cmd', '很好']) expect(text).not.toContain(secret);
  });
});
