import type { RecordedEvent } from '@tongban/eventstore';
import { InvalidReplayPointError, checkReplayPoint, eventsUpTo, maskState, replayState } from './replay';

const at = (h: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + h * 3_600_000).toISOString();
const events = [0, 1, 2, 3].map((revision) => ({ revision, metadata: { occurredAt: at(revision) } }) as unknown as RecordedEvent);

describe('replay points', () => {
  it('takes the events up to a revision, an instant, or both', () => {
    expect(eventsUpTo(events, { revision: 1 }).map((e) => e.revision)).toEqual([0, 1]);
    expect(eventsUpTo(events, { at: at(2) }).map((e) => e.revision)).toEqual([0, 1, 2]);
    expect(eventsUpTo(events, { at: '2026-01-01T09:30:00+08:00' }).map((e) => e.revision)).toEqual([0, 1]);
    expect(eventsUpTo(events, { revision: 3, at: at(0) }).map((e) => e.revision)).toEqual([0]);
    expect(eventsUpTo(events, {})).toHaveLength(4);
  });

  it('refuses a negative revision and an instant without an offset', () => {
    expect(() => checkReplayPoint({ revision: -1 })).toThrow(InvalidReplayPointError);
    expect(() => checkReplayPoint({ at: '2026-01-01 10:00' })).toThrow(InvalidReplayPointError);
    expect(() => checkReplayPoint({ at: '2026-01-01T10:00:00' })).toThrow(InvalidReplayPointError);
    expect(() => checkReplayPoint({ at: '2026-01-01T10:00:00Z', revision: 0 })).not.toThrow();
  });

  it('replays nothing to the initial state and masks the proxy contact', () => {
    expect(replayState([])).toMatchObject({ exists: false, revision: -1 });
    const s = { ...replayState([]), onBehalfOf: { name: '阿牛', contact: '13800001111' } };
    expect(maskState(s, 'masked').onBehalfOf).toEqual({ name: '阿牛', contact: '1**********' });
    expect(maskState(s, 'full')).toBe(s);
  });
});
