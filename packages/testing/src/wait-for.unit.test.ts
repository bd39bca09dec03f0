import { waitFor, WaitForTimeoutError } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `done after ${calls}` : undefined), { intervalMs: 1 });
    expect(value).toBe('done after 3');
  });

  it('treats a throwing attempt as not yet done', async () => {
    let calls = 0;
    const value = await waitFor(
      async () => {
        calls += 1;
        if (calls < 2) throw new Error('not yet');
        return 42;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(42);
  });

  it('throws a clear error naming the condition and the last error on timeout', async () => {
    const promise = waitFor(
      () => {
        throw new Error('still empty');
      },
      { timeoutMs: 30, intervalMs: 5, description: 'the queue to fill' },
    );
    await expect(promise).rejects.toThrow(WaitForTimeoutError);
    await expect(promise).rejects.toThrow(/timed out after 30 ms .* waiting for the queue to fill; last error: still empty/);
  });

  it('names the last value when the condition stayed falsy', async () => {
    await expect(waitFor(() => 0, { timeoutMs: 10, intervalMs: 2 })).rejects.toThrow(/last value: 0/);
  });
});
