import type { Browser } from 'playwright-core';
import { type TestStack, startTestStack } from '../support/test-stack';
import { assertAppBuilt, launchBrowser, openPage, screenshot } from './support/browser';

/**
 * The staff directory in a real Chromium against identity's routes: the bootstrap `admin` (a
 * directory-admin only, whose token acts on no ticket) signs in with its one-time password, chooses a
 * new one, lands on the directory (not back on the sign-in page), creates a person, grants them the
 * administration-officer role of 锦城镇, and the list shows it; the API agrees.
 */

const BOOTSTRAP_PASSWORD = 'bootstrap-password-for-the-directory-0456';
const NEW_PASSWORD = 'prefecture directory passphrase 2026';
let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  assertAppBuilt('console');
  [stack, browser] = await Promise.all([startTestStack({ TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD }), launchBrowser()]);
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('the bootstrap admin lands on the directory, creates a person and grants a township role', async () => {
  const { page, context, errors } = await openPage(browser);
  await page.goto(`${stack.url}/console/`);
  await page.locator('input[autocomplete="username"]').fill('admin');
  await page.locator('input[autocomplete="current-password"]').fill(BOOTSTRAP_PASSWORD);
  await page.locator('form#sign-in button[type="submit"]').click();
  await page.locator('form#new-password input[type="password"]').fill(NEW_PASSWORD);
  await page.locator('form#new-password button[type="submit"]').click();
  await page.waitForURL(/\/console\/directory/, { timeout: 30_000 });
  await page.locator('#directory-heading').waitFor();
  // The admin's own account is listed: the list reads GET /api/v1/staff's { staff: [...] }.
  await page.locator('tr[data-username="admin"]').waitFor({ timeout: 30_000 });
  expect(await page.locator('[data-testid="active-role"]').textContent()).toContain('目录管理员');

  await page.locator('form#create-staff input#create-staff_username').fill('zhao.min');
  await page.locator('form#create-staff input#create-staff_displayName').fill('赵敏');
  await page.locator('form#create-staff input#create-staff_division').fill('513437100');
  await page.locator('form#create-staff button[type="submit"]').click();
  const notice = page.locator('[data-testid="directory-notice"]');
  await notice.waitFor({ timeout: 30_000 });
  expect(await notice.textContent()).toMatch(/一次性密码.*[A-Za-z0-9]{8,}/);
  const row = page.locator('tr[data-username="zhao.min"]');
  await row.waitFor({ timeout: 30_000 });

  await row.locator('.ant-select').click();
  await page.locator('.ant-select-item-option', { hasText: '受理人员' }).click();
  await row.locator('input[aria-label="单位"]').fill('adm-513437100');
  const granted = page.waitForResponse((r) => /\/api\/v1\/staff\/[^/]+\/roles$/.test(r.url()) && r.request().method() === 'POST');
  await row.locator('button[type="submit"]').click();
  expect((await granted).status()).toBe(201);
  await row.locator('[data-testid="staff-role"]', { hasText: '受理人员 · 锦城镇' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'console-directory');

  // The API agrees, and the page did not loop back to sign-in.
  const token = (await stack.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: NEW_PASSWORD } })).body.accessToken;
  const list = await stack.api('GET', '/api/v1/staff', { token });
  const zhao = list.body.staff.find((s: { username: string }) => s.username === 'zhao.min');
  expect(zhao.roles.map((r: { role: string; unitId: string }) => `${r.role}@${r.unitId}`)).toEqual(['admin@adm-513437100']);
  expect(page.url()).toMatch(/\/console\/directory/);
  expect(errors.filter((e) => !/401|403/.test(e))).toEqual([]);
  await context.close();
}, 180_000);
