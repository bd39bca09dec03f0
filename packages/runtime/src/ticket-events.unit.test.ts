import { TICKET_EVENT_TYPES, evolveAll, levelOfScore } from '@tongban/domain';
import historical from './testing/historical-ticket-events.json';
import { type DecodableEvent, UPCASTS, UndecodableEventError, decodeTicketEvent, isReadableTicketEventType, toEnvelopes } from './ticket-events';

const actor = { kind: 'staff', id: 'staff-0001', unitId: 'adm-513437100' };
const recorded = (type: string, data: unknown, revision = 0): DecodableEvent => ({
  id: `0195489a-0000-7000-8000-${String(revision).padStart(12, '0')}`, stream: 'ticket-0195489a-0000-7000-8000-000000000001', revision, type,
  data: data as DecodableEvent['data'], metadata: { occurredAt: '2025-03-01T02:00:00.000Z', actor },
});

describe('decodeTicketEvent: every historical version of every ticket event', () => {
  it.each(historical.versions.map((v) => [`${v.type} as of ${v.since}${v.note ? ` (${v.note})` : ''}`, v] as const))('%s', (_, v) => {
    const envelope = decodeTicketEvent(recorded(v.type, v.stored));
    expect(envelope.type).toBe(v.type);
    expect(envelope.data).toEqual(v.decoded);
    expect(envelope).toMatchObject({ occurredAt: '2025-03-01T02:00:00.000Z', actor });
  });

  it('has a fixture of every current event type, and every upcast is exercised by one', () => {
    const types = new Set(historical.versions.map((v) => v.type));
    expect(TICKET_EVENT_TYPES.filter((t) => !types.has(t))).toEqual([]);
    for (const upcast of UPCASTS) {
      const changed = historical.versions.filter((v) => v.type === upcast.type && JSON.stringify(v.stored) !== JSON.stringify(v.decoded));
      expect({ upcast: upcast.change, exercised: changed.length > 0 }).toEqual({ upcast: upcast.change, exercised: true });
    }
  });

  it('a stream of first-version events folds to the state the current code gives it (the rating gets its level)', () => {
    const byType = (type: string) => historical.versions.find((v) => v.type === type && v.since === '79cbda1')!.stored;
    const stream = ['TicketSubmitted', 'TicketRouted', 'TicketAccepted', 'TicketResolved', 'TicketRated'].map((type, i) => recorded(type, byType(type), i));
    const state = evolveAll(toEnvelopes(stream));
    expect(state).toMatchObject({ exists: true, revision: 4, status: 'resolved', holderUnitId: 'adm-513437100', rating: { score: 2, level: levelOfScore(2) } });
    expect(state.callback).toBeUndefined(); // resolved before callbacks existed: no callback task
  });

  it('leaves a level that was stored as it is', () => {
    expect(decodeTicketEvent(recorded('TicketRated', { score: 5, comment: '', level: 'satisfied' })).data).toMatchObject({ score: 5, level: 'satisfied' });
  });
});

describe('decodeTicketEvent refuses what it cannot read', () => {
  it('an unknown type, naming it, the stream and the revision', () => {
    const read = () => decodeTicketEvent(recorded('TicketTeleported', { to: 'moon' }, 7));
    expect(read).toThrow(UndecodableEventError);
    expect(read).toThrow(/unknown type "TicketTeleported" at revision 7/);
    try { read(); } catch (err) {
      expect(err).toMatchObject({ reason: 'unknown_event_type', code: 'undecodable_event', poison: true, type: 'TicketTeleported', revision: 7 });
    }
    expect(isReadableTicketEventType('TicketTeleported')).toBe(false);
  });

  it.each([null, 'text', 42, ['a']])('data that is not a JSON object (%j)', (data) => {
    expect(() => decodeTicketEvent(recorded('TicketReplied', data, 3))).toThrow(expect.objectContaining({ reason: 'invalid_event_data', revision: 3 }));
  });

  it('drops fields the schema does not have instead of carrying them into the state', () => {
    const data = decodeTicketEvent(recorded('TicketRouted', { unitId: 'adm-513437100', division: '513437100', suggestedDepartment: '', reason: 'submitted', surprise: 1 })).data;
    expect(data).not.toHaveProperty('surprise');
  });
});
