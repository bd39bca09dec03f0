import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { TestStack } from '../../support/test-stack';
import { openPage, type WatchedPage } from './browser';

/**
 * Helpers of the console's browser tests: a signed-in page (a staff token handed to the sign-in page
 * as `#token=`, the sign-in of a server without password sign-in), reports submitted through the API,
 * and waits on conditions (never fixed sleeps: the machine is small and shared).
 */

/** A village of 锦城镇 (雷波县), whose admin unit is adm-513437100. */
export const VILLAGE = '513437100001';
/** The township of {@link VILLAGE}. */
export const TOWNSHIP = '513437100';

/** Opens the console signed in with `token` at `path` (a console path such as /queue). */
export async function signedIn(browser: Browser, stack: TestStack, token: string, path = '/queue', options: { locale?: string } = {}): Promise<WatchedPage> {
  const watched = await openPage(browser, options);
  await watched.page.goto(`${stack.url}/console/sign-in?next=${encodeURIComponent(`/console${path}`)}#token=${token}`);
  await watched.page.waitForURL((url) => url.pathname === `/console${path.split('?')[0]}`, { timeout: 30_000 });
  return watched;
}

/** A report from a new citizen device; returns id and reference. */
export async function submitReport(stack: TestStack, title: string, body: Record<string, unknown> = {}): Promise<{ id: string; reference: string }> {
  const device = await stack.device();
  const res = await stack.api('POST', '/api/v1/tickets', {
    token: device.token,
    headers: { 'idempotency-key': randomUUID() },
    body: { service_code: 'dangerous-structure', division: VILLAGE, title, description: '围墙出现裂缝，向外倾斜。', ...body },
  });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, reference: res.body.reference };
}

/** The queue row of a ticket. */
export function queueRow(page: Page, reference: string) {
  return page.locator(`tr[data-reference="${reference}"]`);
}

/**
 * Chooses the option labelled `option` of the queue's filter select `testId` until the URL holds
 * `param` (the filters live in the URL). Under load a live refetch re-renders the options (their counts)
 * while the dropdown opens, and a click can land on the list being replaced: seen once in CI at load 10,
 * the filter never applied. Tries up to 5 times, each waiting up to 5 s for the URL.
 * @throws the last wait's timeout when the filter never applies.
 */
export async function chooseFilter(page: Page, testId: string, option: string, param: RegExp): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const choice = page.locator('.ant-select-item-option', { hasText: option }).first();
    if (!(await choice.isVisible())) await page.locator(`[data-testid="${testId}"]`).click();
    await choice.click({ timeout: 5_000 }).catch(() => undefined);
    try {
      await page.waitForURL(param, { timeout: 5_000 });
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
  }
}
