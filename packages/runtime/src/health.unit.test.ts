import { Health } from './health';

describe('Health', () => {
  it('tells onReport listeners every report evaluate produces, until removed', async () => {
    const health = new Health();
    let ready = false;
    health.add('dependency', () => { if (!ready) throw new Error('away'); });
    const seen: boolean[] = [];
    const remove = health.onReport((report) => seen.push(report.ready));
    expect(await health.evaluate()).toEqual({ ready: false, checks: { dependency: 'away' } });
    ready = true;
    await health.evaluate();
    remove();
    await health.evaluate();
    expect(seen).toEqual([false, true]);
  });
});
