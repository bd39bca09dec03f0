import { AsyncLocalStorage } from 'node:async_hooks';
import { DeadlineSettingsError, deadlineSettings } from './settings';
import { startTimerLoop } from './scheduler';

describe('the timer loop', () => {
  it('sleeps until the next timer is due (not a whole poll interval) and fires it', async () => {
    const started = Date.now();
    const firedAt: number[] = [];
    let due = started + 120;
    const loop = startTimerLoop({
      fireBatch: async () => {
        if (Date.now() < due) return 0;
        firedAt.push(Date.now());
        due = Number.POSITIVE_INFINITY;
        return 1;
      },
      pollMs: 5_000,
      untilNextDue: async () => (Number.isFinite(due) ? due - Date.now() : undefined),
      onError: (err) => { throw err; },
    });
    // Stop as soon as it fired (no fixed wait); the bounds below check when.
    for (let waited = 0; firedAt.length === 0 && waited < 2_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await loop.stop();
    expect(firedAt).toHaveLength(1);
    expect((firedAt[0] ?? 0) - started).toBeGreaterThanOrEqual(119);
    expect((firedAt[0] ?? 0) - started).toBeLessThan(300);
  });

  it("a pass runs in the loop's own context, not in the waking caller's (its correlation id and trace)", async () => {
    const handling = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const loop = startTimerLoop({ fireBatch: async () => { seen.push(handling.getStore()); return 0; }, pollMs: 5_000, onError: (err) => { throw err; } });
    await new Promise((r) => setTimeout(r, 20)); // the first pass, started at once, is over
    handling.run('the event being handled', () => loop.wake());
    for (let waited = 0; seen.length < 2 && waited < 1_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await loop.stop();
    expect(seen).toEqual([undefined, undefined]);
  });

  it('wakeBy(ms): a pass by the time a new timer is due, none before; at once when due; a later one changes nothing', async () => {
    const passes: number[] = [];
    const loop = startTimerLoop({ fireBatch: async () => { passes.push(Date.now()); return 0; }, pollMs: 5_000, untilNextDue: async () => undefined, onError: (err) => { throw err; } });
    await new Promise((r) => setTimeout(r, 30)); // the first pass, started at once, is over
    const started = Date.now();
    loop.wakeBy(150);
    loop.wakeBy(4_000); // later than the sleep now planned: ignored
    await new Promise((r) => setTimeout(r, 100));
    expect(passes).toHaveLength(1);
    for (let waited = 0; passes.length < 2 && waited < 2_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(passes).toHaveLength(2);
    expect(passes[1]! - started).toBeGreaterThanOrEqual(149);
    expect(passes[1]! - started).toBeLessThan(400);
    loop.wakeBy(-5);
    for (let waited = 0; passes.length < 3 && waited < 1_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await loop.stop();
    expect(passes).toHaveLength(3);
  });

  it('a wakeBy() during a pass is kept: the sleep after it ends by that time', async () => {
    const passes: number[] = [];
    let release: () => void = () => undefined;
    const loop = startTimerLoop({
      fireBatch: async () => { passes.push(Date.now()); if (passes.length === 1) await new Promise<void>((r) => { release = r; }); return 0; },
      pollMs: 5_000, untilNextDue: async () => undefined, onError: (err) => { throw err; },
    });
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    loop.wakeBy(100); // while the first pass runs (its next-due read may not see this timer)
    release();
    for (let waited = 0; passes.length < 2 && waited < 2_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    await loop.stop();
    expect(passes).toHaveLength(2);
    expect(passes[1]! - started).toBeGreaterThanOrEqual(99);
    expect(passes[1]! - started).toBeLessThan(400);
  });

  it('a wake() during a pass runs another pass; errors are reported and the loop goes on', async () => {
    let passes = 0;
    const errors: unknown[] = [];
    const loop = startTimerLoop({
      fireBatch: async () => { passes++; if (passes === 1) throw new Error('database down'); return 0; },
      pollMs: 20,
      onError: (err) => errors.push(err),
    });
    loop.wake();
    await new Promise((r) => setTimeout(r, 120));
    await loop.stop();
    const after = passes;
    await new Promise((r) => setTimeout(r, 60));
    expect(errors).toHaveLength(1);
    expect(passes).toBeGreaterThan(2);
    expect(passes).toBe(after); // stopped means stopped
  });
});

describe('deadline settings', () => {
  it('defaults: re-escalate after 24 h, batches of 100, 8 tickets in parallel', () => {
    expect(deadlineSettings({}, 7)).toEqual({ reescalateAfterHours: 24, autoCloseDays: 7, batch: 100, concurrency: 8 });
    expect(deadlineSettings({ TONGBAN_REESCALATE_HOURS: '6' }, 7).reescalateAfterHours).toBe(6);
  });

  it.each([['TONGBAN_REESCALATE_HOURS', '-24'], ['TONGBAN_REESCALATE_HOURS', 'soon'], ['TONGBAN_TIMER_BATCH', '0']])('refuses %s=%s', (name, value) => {
    expect(() => deadlineSettings({ [name]: value }, 7)).toThrow(DeadlineSettingsError);
  });

  it('refuses a non-positive objection window', () => {
    expect(() => deadlineSettings({}, -1)).toThrow(/TONGBAN_AUTO_CLOSE_DAYS/);
  });
});
