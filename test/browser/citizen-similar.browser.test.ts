import type { Browser } from 'playwright-core';
import { type TestStack, startTestStack } from '../support/test-stack';
import { assertAppBuilt, launchBrowser, screenshot } from './support/browser';

/**
 * The citizen app's "this is my problem too" (issue 11, the Report step; the route is issue 14 item 5):
 * before sending, open reports of the same category in the same township from the last 30 days are shown
 * (GET /api/v1/tickets/similar); following one (POST /api/v1/tickets/{id}/follow) puts it in "my reports".
 * Screenshot: test-output/browser/citizen-similar-zh-Hans.png.
 */

// Browser globals used inside page.evaluate (this file is typechecked without the DOM library).
declare const indexedDB: any;

const VILLAGE = '513437100001';

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  assertAppBuilt('citizen');
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('shows a similar open report nearby before sending, and following it records the follow and lists it in my reports', async () => {
  const reporter = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  const title = `村口垃圾池满了 ${Date.now()}`;
  const res = await stack.api('POST', '/api/v1/tickets', { token: reporter.token, body: { service_code: 'sanitation', division: VILLAGE, title, description: '垃圾池已经满了一个星期。' } });
  expect(res.status).toBe(201);
  const id: string = res.body.id;
  await stack.waitForTicket(id, admin, (v) => v.status === 'routed');

  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${stack.url}/app/?division=${VILLAGE}`);
  await page.locator('[data-testid="place"]').waitFor();
  // Another category shows nothing of it; the same category does.
  await page.locator('button.category[data-code="sanitation"]').click();
  const item = page.locator(`[data-testid="similar"][data-id="${id}"]`);
  await item.waitFor();
  expect(await item.textContent()).toContain(title);
  expect(await item.textContent()).toContain('0 人关注');
  await item.getByRole('button', { name: '这也是我的问题' }).click();
  await item.getByRole('status').waitFor();
  expect(await item.textContent()).toContain('1 人关注');
  await item.scrollIntoViewIfNeeded();
  await screenshot(page, 'citizen-similar-zh-Hans');

  // Recorded by the platform: the ticket counts the follower, who finds it in its own list.
  const device = await page.evaluate(() => new Promise<{ deviceId: string; token: string }>((resolve, reject) => {
    const open = indexedDB.open('tongban');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => { const r = open.result.transaction('kv').objectStore('kv').get('device'); r.onsuccess = () => { resolve(r.result); open.result.close(); }; };
  }));
  expect(device.deviceId).not.toBe(reporter.deviceId);
  const view = await stack.waitForTicket(id, admin, (v) => v.followers === 1);
  expect(view.followers).toBe(1);
  const seen = await stack.waitForTicket(id, device.token, (v) => v.followers === 1);
  expect(seen.reporter).toEqual({});

  // "My reports" shows it (the list of the device includes what it follows).
  await item.getByRole('link').click();
  await page.waitForURL(/#\/t\//);
  await page.goto(`${stack.url}/app/#/mine`);
  await page.locator('[data-testid="ticket"]', { hasText: title }).waitFor({ timeout: 20_000 });
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);
