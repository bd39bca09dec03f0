import { Progress, formatDuration } from './progress';
import { shanghai } from './timeline';

describe('Progress', () => {
  it('shows done/total, percentage, rate and ETA', () => {
    let t = 0;
    const out: string[] = [];
    const bar = new Progress('tickets', 1000, 'tickets', { isTTY: false, write: (s) => out.push(s) }, () => t, 5000);
    t = 10_000;
    bar.update(250);
    expect(out[0]).toBe('tickets [######------------------] 250/1000 tickets 25.0% · 25/s · ETA 30s\n');
    t = 11_000;
    bar.update(300); // within the log interval: not printed
    expect(out).toHaveLength(1);
    bar.finish();
    expect(out[1]).toMatch(/300\/1000 tickets 30\.0%/);
  });

  it('prints only the final line of a run shorter than the log interval (off a terminal)', () => {
    let t = 1_000_000;
    const out: string[] = [];
    const bar = new Progress('tickets', 5, 'tickets', { isTTY: false, write: (s) => out.push(s) }, () => t, 5000);
    t += 60;
    bar.update(5);
    bar.finish();
    expect(out).toEqual([expect.stringMatching(/^tickets \[#{24}\] 5\/5 tickets 100\.0% /)]);
  });

  it('redraws one line on a terminal and works without a total', () => {
    const out: string[] = [];
    const bar = new Progress('anchors', undefined, 'anchors', { isTTY: true, write: (s) => out.push(s) }, () => 2000);
    bar.update(5);
    expect(out[0]).toMatch(/^\ranchors 5 anchors · [\d.]+\/s/);
  });

  it('formats durations', () => {
    expect([formatDuration(5), formatDuration(65), formatDuration(3725), formatDuration(Number.NaN)]).toEqual(['5s', '1m05s', '1h02m', '?']);
  });
});

describe('shanghai', () => {
  it('renders an instant in Asia/Shanghai', () => {
    expect(shanghai('2026-01-31T17:30:05.123Z')).toBe('2026-02-01 01:30:05');
    expect(shanghai(undefined)).toBe('—');
  });
});
