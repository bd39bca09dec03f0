import { addHours, announceDeadline, isRunning, pauseLeg, resumeLeg, startLeg, stopLeg, warningAt } from './legs';

const T0 = '2015-05-12T01:00:00.000Z';
const h = (hours: number): string => addHours(T0, hours);
const HOUR = 3_600_000;

describe('SLA legs (calendar hours)', () => {
  it('a leg runs from its start for its budget (24 h first response, 72 h resolution)', () => {
    expect(startLeg(T0, 24)).toEqual({ startedAt: T0, dueAt: '2015-05-13T01:00:00.000Z', announced: false, pausedMs: 0 });
    expect(startLeg(T0, 72).dueAt).toBe('2015-05-15T01:00:00.000Z');
    expect(addHours(T0, 1.5)).toBe('2015-05-12T02:30:00.000Z');
    expect(isRunning(startLeg(T0, 24))).toBe(true);
  });

  it.each([
    // [description, operations, expected due (hours from T0), paused ms, running?]
    ['stopped: met at the first public reply', (l: ReturnType<typeof startLeg>) => stopLeg(l, h(5)), 24, 0, false],
    ['stopping twice keeps the first stop', (l: ReturnType<typeof startLeg>) => stopLeg(stopLeg(l, h(5)), h(9)), 24, 0, false],
    ['paused: due time unchanged while paused', (l: ReturnType<typeof startLeg>) => pauseLeg(l, h(5)), 24, 0, false],
    ['pause then resume: due moves by the paused interval', (l: ReturnType<typeof startLeg>) => resumeLeg(pauseLeg(l, h(5)), h(15)), 34, 10 * HOUR, true],
    ['a second pause while paused is ignored', (l: ReturnType<typeof startLeg>) => resumeLeg(pauseLeg(pauseLeg(l, h(5)), h(8)), h(15)), 34, 10 * HOUR, true],
    ['resume without a pause changes nothing', (l: ReturnType<typeof startLeg>) => resumeLeg(l, h(15)), 24, 0, true],
    ['two pauses add up', (l: ReturnType<typeof startLeg>) => resumeLeg(pauseLeg(resumeLeg(pauseLeg(l, h(1)), h(3)), h(10)), h(14)), 30, 6 * HOUR, true],
    ['stopped while paused: the pause so far counts', (l: ReturnType<typeof startLeg>) => stopLeg(pauseLeg(l, h(5)), h(8)), 27, 3 * HOUR, false],
    ['a stopped leg cannot be paused', (l: ReturnType<typeof startLeg>) => pauseLeg(stopLeg(l, h(5)), h(8)), 24, 0, false],
    ['an announced deadline replaces the due time', (l: ReturnType<typeof startLeg>) => announceDeadline(l, h(1000)), 1000, 0, true],
  ])('%s', (_name, op, dueHours, pausedMs, running) => {
    const leg = op(startLeg(T0, 24));
    expect(leg.dueAt).toBe(h(dueHours));
    expect(leg.pausedMs).toBe(pausedMs);
    expect(isRunning(leg)).toBe(running);
  });

  it('a resume before the pause instant never shortens the leg', () => {
    expect(resumeLeg(pauseLeg(startLeg(T0, 24), h(5)), h(4)).dueAt).toBe(h(24));
  });

  it('announcing marks the due time as announced', () => {
    expect(announceDeadline(startLeg(T0, 72), h(100))).toMatchObject({ dueAt: h(100), announced: true });
  });

  it('warns at the catalogue fraction of the leg (0.75 × 24 h = 18 h)', () => {
    expect(warningAt(startLeg(T0, 24), 0.75)).toBe(h(18));
    expect(warningAt(startLeg(T0, 72), 0.75)).toBe(h(54));
    expect(warningAt(startLeg(T0, 24), 1)).toBe(h(24));
  });

  it('a pause before the warning instant moves the warning by the paused interval', () => {
    expect(warningAt(resumeLeg(pauseLeg(startLeg(T0, 24), h(2)), h(12)), 0.75)).toBe(h(28));
  });

  it('an announced deadline warns at the fraction of the announced span', () => {
    expect(warningAt(announceDeadline(startLeg(T0, 72), h(100)), 0.75)).toBe(h(75));
  });
});
