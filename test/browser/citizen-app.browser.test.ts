import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { waitFor } from '@tongban/testing';
import { screenshot } from './support/browser';
import { useBrowserStack } from './support/stack';

/**
 * The citizen app (/app/) in a real Chromium against the real platform, on a phone-sized screen:
 * first open, a report with a photo in Yi, offline and back, staff reply, confirm and rate, the QR
 * preset, and the slow-3G first render. Screenshots of each screen in zh-Hans and ii go to
 * test-output/browser/citizen-*.png.
 */

// Browser globals used inside page.evaluate (this file is typechecked without the DOM library).
declare const indexedDB: any;
declare const document: any;
declare const performance: { getEntriesByName(name: string): { startTime: number }[] };

const PHOTO = join(__dirname, '..', '..', 'packages', 'attachments', 'fixtures', 'wall.jpg');
const VILLAGE = '513437100001';

let auditor: string;
let admin: string;
const env = useBrowserStack('citizen', async (stack) => {
  [auditor, admin] = await Promise.all([stack.staffToken('auditor', '5134'), stack.staffToken('admin', '513437100')]);
});

/**
 * A phone: small screen, touch, Chinese locale, Asia/Shanghai. `serviceWorkers: 'block'` where a test intercepts
 * the page's requests (page.route): once the app's service worker controls the page, Chromium sends the page's
 * requests through it and Playwright no longer sees them.
 */
async function phone(locale = 'zh-CN', serviceWorkers: 'allow' | 'block' = 'allow'): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await env.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale, timezoneId: 'Asia/Shanghai', serviceWorkers });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

/** Every record of an object store of the app's IndexedDB. */
async function idb<T>(page: Page, store: 'outbox' | 'sent' | 'kv'): Promise<T[]> {
  return page.evaluate((name) => new Promise<T[]>((resolve, reject) => {
    const open = indexedDB.open('tongban');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const request = open.result.transaction(name, 'readonly').objectStore(name).getAll();
      request.onsuccess = () => { resolve(request.result as T[]); open.result.close(); };
      request.onerror = () => reject(request.error);
    };
  }), store);
}

/** Tickets (as the auditor sees them) with this title. */
async function ticketsTitled(title: string): Promise<any[]> {
  const res = await env.stack.api('GET', '/api/v1/tickets?limit=500', { token: auditor });
  return (res.body.tickets as any[]).filter((t) => t.title === title);
}

async function fillReport(page: Page, title: string, description: string, photo: boolean): Promise<void> {
  await page.locator('button.category[data-code="dangerous-structure"]').click();
  await page.locator('input[name="title"]').fill(title);
  await page.locator('textarea[name="description"]').fill(description);
  if (photo) {
    await page.locator('input[type="file"][name="photos"]').setInputFiles(PHOTO);
    await page.locator('.photos img').first().waitFor();
  }
}

it('first open registers the device silently; the QR link presets the village; a report with a photo in Yi arrives routed', async () => {
  const { context, page, errors } = await phone();
  const device = page.waitForResponse((r) => r.url().endsWith('/api/v1/devices') && r.request().method() === 'POST');
  await page.goto(`${env.stack.url}/app/?division=${VILLAGE}`);
  expect((await device).status()).toBe(201);
  await page.locator('button.category').first().waitFor();
  // The QR preset: the place is chosen and marked as coming from the code.
  await expect(page.locator('[data-testid="place"]').textContent()).resolves.toContain('锦城镇');
  const [kept] = await idb<{ token: string }>(page, 'kv');
  expect(typeof kept?.token).toBe('string');
  await screenshot(page, 'citizen-report-zh-Hans');

  // Switch to Nuosu Yi: remembered, the page is in Yi with the Yi font.
  await page.locator('button.lang[lang="ii"]').click();
  await page.waitForFunction(() => document.documentElement.lang === 'ii');
  await page.locator('button.category').first().waitFor();
  expect(await page.locator('h1').textContent()).toMatch(/\p{Script=Yi}/u);
  await page.evaluate(() => document.fonts.ready);
  expect(await page.evaluate(() => document.fonts.check('16px "Tongban Yi"', 'ꆈꌠꉙ'))).toBe(true);
  await fillReport(page, 'ꃅꄷ ꑳꉙ — 西街30号围墙', '围墙出现裂缝，向外倾斜。', true);
  await screenshot(page, 'citizen-report-ii');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(/#\/mine$/);
  const [sent] = await waitFor(async () => { const s = await idb<{ id: string }>(page, 'sent'); return s.length ? s : undefined; }, { timeoutMs: 20_000, intervalMs: 200, description: 'the report to be sent' });
  const view = await env.stack.waitForTicket(sent!.id, auditor, (v) => v.status === 'routed' && v.attachments?.length === 1);
  expect(view).toMatchObject({ division: VILLAGE, service_code: 'dangerous-structure', holder: { id: 'adm-513437100' }, channel: 'app' });
  expect(view.attachments[0]).toMatchObject({ contentType: 'image/jpeg' });
  await page.locator('[data-testid="ticket"]').first().waitFor();
  await screenshot(page, 'citizen-mine-ii');
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

it('walks the county → township → village cascade without a QR code: the picker stays open until the village, and the report arrives there', async () => {
  const { context, page, errors } = await phone();
  await page.goto(`${env.stack.url}/app/`);
  await page.locator('button.category').first().waitFor();
  const level = (label: string) => page.locator('label.field', { hasText: label }).locator('select');
  await level('县（市）').selectOption({ label: '雷波县' });
  // Choosing the county is a step, not the end: the township select is there and enabled (it used to
  // fold into "地点：雷波县 更改" at once, hiding the township and the village).
  await level('乡镇（街道）').locator('option', { hasText: '锦城镇' }).waitFor({ state: 'attached' });
  await level('乡镇（街道）').selectOption({ label: '锦城镇' });
  await level('村（社区）').locator(`option[value="${VILLAGE}"]`).waitFor({ state: 'attached' });
  expect(await page.locator('[data-testid="place"]').count()).toBe(0);
  await level('村（社区）').selectOption(VILLAGE);
  // The village ends the cascade: the picker folds into the chosen place.
  await expect(page.locator('[data-testid="place"]').textContent()).resolves.toMatch(/雷波县 锦城镇 \S+/);
  expect(await page.locator('label.field select').count()).toBe(0);
  await fillReport(page, '级联选择的村 — 东街挡土墙', '挡土墙开裂。', false);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(/#\/mine$/);
  const [sent] = await waitFor(async () => { const s = await idb<{ id: string }>(page, 'sent'); return s.length ? s : undefined; }, { timeoutMs: 20_000, intervalMs: 200, description: 'the report to be sent' });
  const view = await env.stack.waitForTicket(sent!.id, auditor, (v) => v.status === 'routed');
  expect(view).toMatchObject({ division: VILLAGE, holder: { id: 'adm-513437100' } });
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

it('keeps a report written offline on the phone and sends it once when the signal returns; a forced retry does not duplicate it', async () => {
  const { context, page, errors } = await phone();
  await page.goto(`${env.stack.url}/app/?division=${VILLAGE}`);
  await page.locator('button.category').first().waitFor();
  await context.setOffline(true);
  await page.waitForSelector('.notice.offline');
  const title = `断网时写的反映 ${Date.now()}`;
  await fillReport(page, title, '山里没有信号，回到村里再发。', false);
  await page.locator('button[type="submit"]').click();
  await page.locator('[data-testid="waiting"]').waitFor();
  await screenshot(page, 'citizen-mine-offline-zh-Hans');
  const [waiting] = await idb<{ key: string; body: unknown }>(page, 'outbox');
  expect(waiting?.key).toMatch(/^[0-9a-f-]{36}$/);
  expect(await ticketsTitled(title)).toEqual([]);

  await context.setOffline(false);
  const sent = await waitFor(async () => { const s = await idb<{ id: string }>(page, 'sent'); return s.length ? s[0] : undefined; }, { timeoutMs: 20_000, intervalMs: 200, description: 'the outbox to be sent' });
  expect(await idb(page, 'outbox')).toEqual([]);
  // A forced retry of the same request (same Idempotency-Key), as after a lost answer: the same ticket.
  const retry = await page.evaluate(async ({ key, body }) => {
    const open = indexedDB.open('tongban');
    const device = await new Promise<{ token: string }>((resolve) => {
      open.onsuccess = () => { const r = open.result.transaction('kv').objectStore('kv').get('device'); r.onsuccess = () => resolve(r.result); };
    });
    const form = new FormData();
    form.append('ticket', new Blob([JSON.stringify(body)], { type: 'application/json' }), 'ticket.json');
    const res = await fetch('/api/v1/tickets', { method: 'POST', headers: { authorization: `Bearer ${device.token}`, 'idempotency-key': key }, body: form });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), id: ((await res.json()) as { id: string }).id };
  }, { key: waiting!.key, body: waiting!.body });
  expect(retry).toEqual({ status: 201, replayed: 'true', id: sent.id });
  await waitFor(async () => ((await ticketsTitled(title)).length === 1 ? true : undefined), { timeoutMs: 20_000, intervalMs: 200, description: 'the ticket in the read model' });
  expect(await ticketsTitled(title)).toHaveLength(1);
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

it('shows the staff reply in my reports, then the citizen confirms the resolution and rates it', async () => {
  // No service worker: a lost answer is simulated below by intercepting the page's request.
  const { context, page, errors } = await phone('zh-CN', 'block');
  await page.goto(`${env.stack.url}/app/?division=${VILLAGE}`);
  await page.locator('button.category').first().waitFor();
  await fillReport(page, '路灯坏了', '村口路灯一周不亮。', false);
  await page.locator('button[type="submit"]').click();
  const sent = await waitFor(async () => { const s = await idb<{ id: string }>(page, 'sent'); return s.length ? s[0] : undefined; }, { timeoutMs: 20_000, intervalMs: 200, description: 'the report' });
  await env.stack.waitForTicket(sent.id, auditor, (v) => v.status === 'routed');
  expect((await env.stack.api('POST', `/api/v1/tickets/${sent.id}/accept`, { token: admin })).status).toBe(200);
  const reply = '已收到，明天派电工到村口维修。';
  expect((await env.stack.api('POST', `/api/v1/tickets/${sent.id}/reply`, { token: admin, body: { message: reply, public: true } })).status).toBe(200);
  await env.stack.waitForTicket(sent.id, auditor, (v) => v.lastPublicReply === reply);

  // Open "my reports" afresh (a new visit), as a citizen does after a while.
  await page.evaluate(() => { (globalThis as unknown as { location: { hash: string } }).location.hash = '#/mine'; });
  await page.reload();
  await page.locator('[data-testid="ticket"]').first().waitFor();
  expect(await page.locator('[data-testid="ticket"] .status').first().textContent()).toContain('锦城镇');
  const news = page.locator('.mine .notice.ok[role="status"]');
  await news.waitFor();
  await screenshot(page, 'citizen-mine-zh-Hans');
  // Dismissed, the replies are read on the server: not new again on the next visit, even with the phone's storage cleared.
  const marked = page.waitForResponse((r) => r.url().endsWith('/api/v1/inbox/read') && r.status() === 200);
  await news.locator('button').click();
  await marked;
  await page.evaluate(() => (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear());
  const inbox = page.waitForResponse((r) => r.url().includes('/api/v1/inbox?'));
  await page.reload();
  await page.locator('[data-testid="ticket"]').first().waitFor();
  expect((await (await inbox).json()).unread).toBe(0);
  expect(await news.count()).toBe(0);
  await page.locator('[data-testid="ticket"] a').first().click();
  await page.locator('blockquote.reply', { hasText: reply }).waitFor();
  await screenshot(page, 'citizen-ticket-zh-Hans');

  // Asked for information on a weak signal: the first answer is lost on the way back (the platform wrote
  // it), the citizen presses send again — the same Idempotency-Key, so the information is written once.
  expect((await env.stack.api('POST', `/api/v1/tickets/${sent.id}/request-information`, { token: admin, body: { question: '是哪一盏路灯？' } })).status).toBe(200);
  await env.stack.waitForTicket(sent.id, auditor, (v) => v.status === 'awaiting_information');
  await page.reload();
  const keysSent: (string | undefined)[] = [];
  await page.route('**/api/v1/tickets/*/information', async (route) => {
    keysSent.push(route.request().headers()['idempotency-key']);
    if (keysSent.length > 1) return route.continue();
    await route.fetch();
    await route.abort('connectionreset');
  });
  await page.locator('.actions textarea').fill('村口第二盏，靠小卖部。');
  await page.locator('.actions button.primary').click();
  await page.locator('.actions .notice.error').waitFor();
  const retried = page.waitForResponse((r) => r.url().endsWith('/information') && r.request().method() === 'POST');
  await page.locator('.actions button.primary').click();
  expect((await retried).status()).toBe(200);
  await env.stack.waitForTicket(sent.id, auditor, (v) => v.status === 'in_progress');
  await page.unroute('**/api/v1/tickets/*/information');
  expect(keysSent).toHaveLength(2);
  expect(keysSent[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(keysSent[1]).toBe(keysSent[0]);
  const history = await env.stack.api('GET', `/api/v1/tickets/${sent.id}/history`, { token: auditor });
  expect((history.body.events as { type: string }[]).filter((e) => e.type === 'InformationAdded')).toHaveLength(1);

  expect((await env.stack.api('POST', `/api/v1/tickets/${sent.id}/resolve`, { token: admin, body: { resolution: '路灯已修好。' } })).status).toBe(200);
  await env.stack.waitForTicket(sent.id, auditor, (v) => v.status === 'resolved');
  await page.reload();
  await page.locator('button', { hasText: '问题已解决' }).click();
  await page.locator('.status-line[data-status="closed"]').waitFor();
  await page.locator('input[name="rating"][value="satisfied"]').check();
  await page.locator('.rating button.primary').click();
  await page.locator('.notice.ok', { hasText: '满意' }).waitFor();
  const view = await env.stack.waitForTicket(sent.id, auditor, (v) => v.status === 'closed' && !!v.rating);
  expect(view.rating).toMatchObject({ score: 4 });
  await screenshot(page, 'citizen-ticket-rated-zh-Hans');

  // The same screens in Nuosu Yi.
  await page.locator('button.lang[lang="ii"]').click();
  await page.waitForFunction(() => document.documentElement.lang === 'ii');
  await page.locator('.status-line').waitFor();
  await screenshot(page, 'citizen-ticket-ii');
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

it('renders the app within 5 s on an emulated slow 3G connection (first visit, nothing cached)', async () => {
  const { context, page } = await phone();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // Lighthouse's 3G profile as DevTools applies it: RTT 300 ms × 3.75 per request, 700 Kbps × 0.9 both ways.
  const kbps = 700 * 0.9;
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 300 * 3.75, downloadThroughput: (kbps * 1024) / 8, uploadThroughput: (kbps * 1024) / 8,
  });
  await page.goto(`${env.stack.url}/app/`, { waitUntil: 'commit', timeout: 30_000 });
  await page.locator('h1').waitFor({ timeout: 30_000 });
  const rendered = await page.evaluate(() => performance.getEntriesByName('tongban:rendered')[0]?.startTime ?? -1);
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
  console.log(`citizen app on slow 3G: app rendered at ${Math.round(rendered)} ms, first contentful paint at ${Math.round(fcp)} ms`);
  expect(rendered).toBeGreaterThan(0);
  expect(rendered).toBeLessThanOrEqual(5000);
  await context.close();
}, 120_000);
