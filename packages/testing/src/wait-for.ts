/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 5000). */
  timeoutMs?: number;
  /** Pause between attempts in milliseconds (default 20). */
  intervalMs?: number;
  /** What is awaited, for the timeout message, e.g. `"relay to publish 10 events"`. */
  description?: string;
}

/** Thrown by {@link waitFor} when the condition did not hold in time. */
export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';
  readonly code = 'wait_for_timeout';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `fn` until it returns a truthy value and returns that value. An attempt that throws counts
 * as not yet done; the last error and the last value are named in the timeout message.
 * The first attempt is immediate; each next one starts `intervalMs` after the previous one ended.
 * @throws WaitForTimeoutError after `timeoutMs` (cause: the last error thrown by `fn`, if any).
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    attempts += 1;
    try {
      const value = await fn();
      if (value) return value;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() + intervalMs > deadline) break;
    await sleep(intervalMs);
  }
  const what = options.description ?? 'condition';
  const last =
    lastError !== undefined
      ? `last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`
      : `last value: ${describeValue(lastValue)}`;
  throw new WaitForTimeoutError(`timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}; ${last}`, {
    cause: lastError,
  });
}

function describeValue(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
