import { csvCell, diffStates, historyCsv, historyJsonl } from './audit';
import type { HistoryEntry } from './types';

const event = (revision: number, data: Record<string, unknown>): HistoryEntry => ({
  eventId: `e${revision}`, revision, type: 'TicketReplied', occurredAt: '2026-06-01T00:00:00Z', recordedAt: '2026-06-01T00:00:01Z',
  actor: { kind: 'staff', id: 'admin@adm-513437100', unitId: 'adm-513437100' }, data,
});

describe('the auditor view', () => {
  it('diffs two states field by field', () => {
    expect(diffStates({ status: 'routed', holder: 'a', sla: { due: 1 } }, { status: 'in_progress', holder: 'a', sla: { due: 1, stop: 2 } })).toEqual([
      { path: 'sla.stop', before: undefined, after: 2 },
      { path: 'status', before: 'routed', after: 'in_progress' },
    ]);
  });

  it('tells an empty list that gained members by its members only', () => {
    expect(diffStates({ acceptedUnitIds: [] }, { acceptedUnitIds: ['adm-513437100'] })).toEqual([
      { path: 'acceptedUnitIds.0', before: undefined, after: 'adm-513437100' },
    ]);
    expect(diffStates({ tags: { a: 1 } }, { tags: {} })).toEqual([{ path: 'tags.a', before: 1, after: undefined }]);
    expect(diffStates({ tags: [], x: 1 }, { x: 1 })).toEqual([{ path: 'tags', before: [], after: undefined }]);
  });

  it('escapes formulas and quotes in CSV; JSONL has one event per line', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell('-1+2')).toBe(`'-1+2`);
    expect(csvCell('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(csvCell('普通文字')).toBe('普通文字');
    const csv = historyCsv([event(3, { message: '=1+1' })]);
    expect(csv.split('\r\n')[1]).toContain(`"{""message"":""=1+1""}"`);
    expect(historyCsv([event(1, { message: 'x' })]).split('\r\n')[0]).toBe('revision,type,occurredAt,recordedAt,actorKind,actorId,actorUnit,data,hash');
    expect(historyJsonl([event(1, {}), event(2, {})]).trim().split('\n').map((l) => JSON.parse(l).revision)).toEqual([1, 2]);
  });
});
