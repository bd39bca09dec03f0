import { screenshot } from './support/browser';
import { useBrowserStack } from './support/stack';
import { TOWNSHIP, VILLAGE, signedIn } from './support/console';

/**
 * Submit on behalf and the inbox in a real Chromium against the real platform: an information officer
 * reports for a villager (place found by pinyin initials, then the village by cascade, with consent);
 * the township's admin sees the arrival in the inbox with an unread count, and marks it read; the same
 * admin's second browser sees the count the server keeps, and it falls there too.
 */

let officer: string;
let admin: string;
let auditor: string;
const env = useBrowserStack('console', async (stack) => {
  [officer, admin, auditor] = await Promise.all([
    stack.staffToken('information-officer', VILLAGE), stack.staffToken('admin', TOWNSHIP), stack.staffToken('auditor', '5134'),
  ]);
});

it('an information officer reports for a villager; the township admin sees it in the inbox, unread until read', async () => {
  const { page, context, errors } = await signedIn(env.browser, env.stack, officer, '/submit');
  const form = page.locator('[data-testid="submit-form"]');
  await form.getByLabel('问题类别').click();
  await page.keyboard.type('危房');
  await page.locator('.ant-select-item-option', { hasText: '危房危墙' }).click();
  await page.locator('[data-testid="place-search"]').click();
  await page.keyboard.type('jcz');
  await page.locator('.ant-select-item-option', { hasText: '雷波县 › 锦城镇' }).first().click();
  await form.getByLabel('村（社区）').click();
  await page.locator('.ant-select-item-option', { hasText: '第一社区居民委员会' }).click();
  await form.getByLabel('标题').fill('西街30号围墙成危墙');
  await form.getByLabel('详细情况').fill('阿普老人说围墙出现裂缝，向外倾斜。');
  await form.getByLabel('反映人姓名').fill('吉克阿普');
  await form.getByLabel('反映人电话（可选）').fill('13800001234');
  await form.locator('button[type="submit"]').click();
  await page.locator('.ant-form-item-explain-error', { hasText: '请先征得反映人同意' }).waitFor();
  await form.getByLabel('反映人同意由我代为提交，并同意工作人员用上述电话联系').check();
  await screenshot(page, 'console-submit');
  await form.locator('button[type="submit"]').click();
  const result = page.locator('[data-testid="submit-result"]', { hasText: '已提交，编号 LS-' });
  await result.waitFor({ timeout: 30_000 });
  const href = await result.locator('a').getAttribute('href');
  const id = href!.split('/').pop()!;
  const view = await env.stack.waitForTicket(id, auditor, (v) => v.status === 'routed');
  expect(view).toMatchObject({ division: VILLAGE, service_code: 'dangerous-structure', onBehalfOf: { name: '吉克阿普', contact: '13800001234' } });
  expect(errors).toEqual([]);
  await context.close();

  const adm = await signedIn(env.browser, env.stack, admin, '/inbox');
  await adm.page.locator('[data-testid="inbox-message"][data-read="false"]', { hasText: '西街30号围墙成危墙' }).waitFor({ timeout: 30_000 });
  await adm.page.locator('[data-testid="nav-unread"] .ant-badge-count').waitFor();
  await screenshot(adm.page, 'console-inbox');
  // The same person in a second browser (another device): the read state is the server's, so the same count.
  const unread = (await env.stack.api('GET', '/api/v1/inbox', { token: admin })).body.unread as number;
  expect(unread).toBeGreaterThanOrEqual(1);
  const other = await signedIn(env.browser, env.stack, admin, '/inbox');
  await other.page.locator('[data-testid="nav-unread"]', { hasText: String(unread) }).waitFor({ timeout: 30_000 });
  // The badge and the list are two reads: wait for the list's messages before counting them.
  const unreadInOther = other.page.locator('[data-testid="inbox-message"][data-read="false"]');
  await unreadInOther.nth(unread - 1).waitFor({ timeout: 30_000 });
  expect(await unreadInOther.count()).toBe(unread);
  await adm.page.getByRole('button', { name: '全部标为已读' }).click();
  await adm.page.locator('[data-testid="inbox-message"][data-read="true"]').first().waitFor();
  expect(await adm.page.locator('[data-testid="inbox-message"][data-read="false"]').count()).toBe(0);
  await adm.page.locator('[data-testid="nav-unread"] .ant-badge-count').waitFor({ state: 'detached' });
  // Read in the first browser, the count falls in the second at its next re-read (every 10 s), without a reload.
  await other.page.locator('[data-testid="nav-unread"] .ant-badge-count').waitFor({ state: 'detached', timeout: 30_000 });
  expect(await other.page.locator('[data-testid="inbox-message"][data-read="false"]').count()).toBe(0);
  await screenshot(other.page, 'console-inbox-read-elsewhere');
  expect((await env.stack.api('GET', '/api/v1/inbox', { token: admin })).body.unread).toBe(0);
  expect(other.errors).toEqual([]);
  await other.context.close();
  // The story names the officer and the villager.
  await adm.page.goto(`${env.stack.url}/console/tickets/${id}`);
  await adm.page.locator('[data-testid="submitted-by"]', { hasText: '代吉克阿普' }).waitFor({ timeout: 30_000 });
  expect(adm.errors).toEqual([]);
  await adm.context.close();
}, 240_000);
