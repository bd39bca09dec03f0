import { LatestStates } from './latest-states';

interface Seen { revision: number; note: string }
const at = (revision: number, note = `r${revision}`): Seen => ({ revision, note });

describe('LatestStates', () => {
  it('given nothing remembered, when a key is asked for, then there is none', () => {
    const states = new LatestStates<Seen>();
    expect(states.get('t1')).toBeUndefined();
  });

  it('given a state remembered, when its key is asked for, then that very state comes back; other keys stay apart', () => {
    const states = new LatestStates<Seen>();
    const s = at(0);
    states.remember('t1', s);
    states.remember('t2', at(5));
    expect(states.get('t1')).toBe(s);
    expect(states.get('t2')).toEqual(at(5));
  });

  it('given a state at revision 3, when a later one is remembered, then it replaces it', () => {
    const states = new LatestStates<Seen>();
    states.remember('t1', at(3));
    states.remember('t1', at(4));
    expect(states.get('t1')).toEqual(at(4));
  });

  it('given a state at revision 3, when an earlier one is remembered (a late redelivery), then the later one stays', () => {
    const states = new LatestStates<Seen>();
    states.remember('t1', at(3));
    states.remember('t1', at(2));
    states.remember('t1', at(0));
    expect(states.get('t1')).toEqual(at(3));
  });

  it('given a state at revision 3, when another of revision 3 is remembered, then the newer object replaces it', () => {
    const states = new LatestStates<Seen>();
    states.remember('t1', at(3, 'first'));
    states.remember('t1', at(3, 'again'));
    expect(states.get('t1')).toEqual(at(3, 'again'));
  });

  it('given a full memory, when a new key is remembered, then the least recently remembered key is forgotten', () => {
    const states = new LatestStates<Seen>(2);
    states.remember('t1', at(0));
    states.remember('t2', at(0));
    states.remember('t3', at(0));
    expect(states.get('t1')).toBeUndefined();
    expect(states.get('t2')).toEqual(at(0));
    expect(states.get('t3')).toEqual(at(0));
  });

  it('given a full memory, when its oldest key is remembered again, then it becomes the most recent and the next one goes', () => {
    const states = new LatestStates<Seen>(2);
    states.remember('t1', at(0));
    states.remember('t2', at(0));
    states.remember('t1', at(1));
    states.remember('t3', at(0));
    expect(states.get('t1')).toEqual(at(1));
    expect(states.get('t2')).toBeUndefined();
  });

  it('given a full memory, when a key is only read or refused an earlier state, then it does not become recent', () => {
    const states = new LatestStates<Seen>(2);
    states.remember('t1', at(4));
    states.remember('t2', at(0));
    states.get('t1');
    states.remember('t1', at(2));
    states.remember('t3', at(0));
    expect(states.get('t1')).toBeUndefined();
    expect(states.get('t2')).toEqual(at(0));
  });

  it('given a capacity of 1, then it holds the last key only', () => {
    const states = new LatestStates<Seen>(1);
    states.remember('t1', at(7));
    states.remember('t2', at(0));
    expect(states.get('t1')).toBeUndefined();
    expect(states.get('t2')).toEqual(at(0));
  });

  it('given no capacity, then it holds 2,000 keys', () => {
    const states = new LatestStates<Seen>();
    for (let i = 0; i <= 2000; i++) states.remember(`t${i}`, at(0));
    expect(states.get('t0')).toBeUndefined();
    expect(states.get('t1')).toEqual(at(0));
    expect(states.get('t2000')).toEqual(at(0));
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('given a capacity of %p, then it refuses with a RangeError', (capacity) => {
    expect(() => new LatestStates<Seen>(capacity)).toThrow(RangeError);
  });
});
