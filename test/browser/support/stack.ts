import type { Browser } from 'playwright-core';
import { type TestStack, startTestStack } from '../../support/test-stack';
import { assertAppBuilt, launchBrowser } from './browser';

/** The running platform and Chromium of one browser test file; read them inside tests (they exist from beforeAll on). */
export interface BrowserStack {
  readonly stack: TestStack;
  readonly browser: Browser;
}

/**
 * Registers beforeAll/afterAll for a browser test file: checks that `app` is built, starts the stack and
 * Chromium side by side, then runs `ready` (e.g. to sign staff in) within the same 6-minute beforeAll;
 * afterwards closes Chromium and stops the stack.
 */
export function useBrowserStack(app: 'console' | 'citizen', ready: (stack: TestStack) => Promise<void> = async () => undefined): BrowserStack {
  let stack: TestStack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    assertAppBuilt(app);
    [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
    await ready(stack);
  }, 360_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useBrowserStack: read the stack and browser inside a test, after beforeAll');
    return value;
  };
  return {
    get stack() { return started(stack); },
    get browser() { return started(browser); },
  };
}
