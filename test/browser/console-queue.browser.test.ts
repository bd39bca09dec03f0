import { screenshot } from './support/browser';
import { useBrowserStack } from './support/stack';
import { TOWNSHIP, chooseFilter, queueRow, signedIn, submitReport } from './support/console';

/**
 * The console's queue in a real Chromium against the real platform: a ticket submitted through the API
 * appears with its two clocks; the clocks turn to breached when the test clock passes the due time, and
 * the breached filter finds it; a new arrival appears without a reload; Yi text and Yi dates in ii.
 */

// Browser globals used inside page.evaluate (this file is typechecked without the DOM library).
declare const document: any;
declare const localStorage: any;

let admin: string;
let auditor: string;
const env = useBrowserStack('console', async (stack) => {
  [admin, auditor] = await Promise.all([stack.staffToken('admin', TOWNSHIP), stack.staffToken('auditor', '5134')]);
});

it('shows a ticket submitted through the API in the unit\'s queue with its clocks, live, and filters by breach', async () => {
  const first = await submitReport(env.stack, '西街30号围墙成危墙');
  await env.stack.waitForTicket(first.id, auditor, (v) => v.status === 'routed');
  const { page, context, errors } = await signedIn(env.browser, env.stack, admin, '/queue');
  const row = queueRow(page, first.reference);
  await row.waitFor({ timeout: 30_000 });
  expect(await row.locator('[data-testid="clock-first-response"]').getAttribute('data-state')).toBe('normal');
  expect(await row.locator('[data-testid="clock-first-response"]').textContent()).toMatch(/^还剩 2[34] 小时$/);
  expect(await row.locator('[data-testid="clock-resolution"]').textContent()).toMatch(/^还剩 [23] 天$/);
  expect(await row.textContent()).toContain('锦城镇');
  await screenshot(page, 'console-queue');

  // A new arrival appears without a reload: the live stream (GET /api/v1/live) says an event happened and
  // the queue re-reads its list (the polling safety net is 30 s while the stream is open).
  await page.locator('[data-testid="live"][data-open="true"]').waitFor({ timeout: 30_000 });
  const startedAt = Date.now();
  const second = await submitReport(env.stack, '村口路灯不亮', { service_code: 'power-supply' });
  await queueRow(page, second.reference).waitFor({ timeout: 30_000 });
  const arrivalMs = Date.now() - startedAt;
  console.log(`new ticket to its row in the open queue: ${arrivalMs} ms`);
  expect(arrivalMs).toBeLessThan(10_000);

  // The category filter counts and narrows.
  await chooseFilter(page, 'filter-category', '供电 (1)', /category=power-supply/);
  await queueRow(page, first.reference).waitFor({ state: 'detached' });
  expect(await queueRow(page, second.reference).count()).toBe(1);
  await page.getByRole('button', { name: '清除筛选' }).click();
  await queueRow(page, first.reference).waitFor();

  // 25 hours later the first-reply clock is breached (the deadline service records it), and the breach filter shows both.
  // The browser's clock moves with the platform's test clock (the console counts from the browser's time).
  const later = new Date(Date.now() + 25 * 3_600_000);
  await env.stack.setClock(later.toISOString());
  await env.stack.waitForTicket(first.id, auditor, (v) => (v.breaches ?? []).length > 0, 30_000);
  await page.clock.setSystemTime(later);
  await page.reload();
  await queueRow(page, first.reference).locator('[data-testid="clock-first-response"][data-state="breached"]').waitFor({ timeout: 30_000 });
  expect(await queueRow(page, first.reference).locator('[data-testid="clock-first-response"]').textContent()).toMatch(/^超期 \d+ (分钟|小时)$/);
  await page.locator('[data-testid="filter-breached"]').click();
  await page.waitForURL(/breached=1/);
  await queueRow(page, first.reference).waitFor();
  await screenshot(page, 'console-queue-breached');

  // Nuosu Yi: the choice is remembered; the page is in Yi with Yi month names.
  await page.evaluate(() => localStorage.setItem('tongban.console.lang', 'ii'));
  await page.reload();
  await page.waitForFunction(() => document.documentElement.lang === 'ii');
  await queueRow(page, first.reference).waitFor({ timeout: 30_000 });
  expect(await page.locator('#queue-heading').textContent()).toMatch(/\p{Script=Yi}/u);
  expect(await queueRow(page, first.reference).locator('[data-testid="clock-first-response"]').textContent()).toMatch(/\p{Script=Yi}/u);
  await screenshot(page, 'console-queue-ii');
  expect(errors).toEqual([]);
  await context.close();
}, 240_000);

it('sends a visitor without a session to the sign-in page and back to the page they asked for', async () => {
  const { page, context } = await signedIn(env.browser, env.stack, admin, '/queue');
  await page.locator('[data-testid="sign-out"]').click();
  await page.locator('input[autocomplete="username"]').waitFor();
  await page.goto(`${env.stack.url}/console/queue?status=all`);
  await page.waitForURL(/\/console\/sign-in\?next=/);
  expect(decodeURIComponent(new URL(page.url()).searchParams.get('next') ?? '')).toBe('/queue?status=all');
  await context.close();
}, 120_000);
