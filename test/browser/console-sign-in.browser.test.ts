import type { Browser } from 'playwright-core';
import { type TestStack, startTestStack } from '../support/test-stack';
import { assertAppBuilt, launchBrowser, openPage, screenshot } from './support/browser';

/**
 * Password sign-in on identity's routes in a real Chromium: a new account's first sign-in chooses its
 * own password, lands on the queue as the admin of 锦城镇, switches to its information-officer role with
 * the role picker, signs out; an expired session returns to the sign-in page and back.
 */

const BOOTSTRAP_PASSWORD = 'bootstrap-password-for-the-console-0123';
let stack: TestStack;
let browser: Browser;
let oneTimePassword: string;

beforeAll(async () => {
  assertAppBuilt('console');
  [stack, browser] = await Promise.all([startTestStack({ TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD }), launchBrowser()]);
  // The directory: the bootstrap admin chooses a password, creates 王丽 with two roles at 锦城镇.
  const first = await stack.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: BOOTSTRAP_PASSWORD } });
  expect((await stack.api('POST', '/api/v1/auth/password', { token: first.body.accessToken, body: { current: BOOTSTRAP_PASSWORD, next: 'directory admin passphrase 2026' } })).status).toBe(204);
  const token = (await stack.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: 'directory admin passphrase 2026' } })).body.accessToken;
  const created = await stack.api('POST', '/api/v1/staff', { token, body: { username: 'wang.li', displayName: '王丽', division: '513437100' } });
  expect(created.status).toBe(201);
  oneTimePassword = created.body.oneTimePassword;
  const id = created.body.staff.id;
  expect((await stack.api('POST', `/api/v1/staff/${id}/roles`, { token, body: { role: 'admin', unitId: 'adm-513437100' } })).status).toBe(201);
  expect((await stack.api('POST', `/api/v1/staff/${id}/roles`, { token, body: { role: 'information-officer', unitId: 'adm-513437100', division: '513437100001' } })).status).toBe(201);
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('first sign-in sets a password, lands on the queue, switches role, signs out', async () => {
  const { page, context, errors } = await openPage(browser);
  await page.goto(`${stack.url}/console/`);
  await page.locator('input[autocomplete="username"]').fill('wang.li');
  await page.locator('input[autocomplete="current-password"]').fill('a wrong password');
  await page.locator('form#sign-in button[type="submit"]').click();
  await page.locator('[data-testid="sign-in-error"]').waitFor({ timeout: 30_000 });
  await page.locator('input[autocomplete="current-password"]').fill(oneTimePassword);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
  await page.locator('form#sign-in button[type="submit"]').click();
  await answered;

  await page.locator('form#new-password input[type="password"]').fill('Jincheng town 2026 passphrase');
  await screenshot(page, 'console-sign-in-new-password');
  await page.locator('form#new-password button[type="submit"]').click();
  await page.waitForURL(/\/console\/queue/, { timeout: 30_000 });
  await page.locator('#queue-heading').waitFor();
  const picker = page.locator('[data-testid="role-picker"]');
  expect(await picker.textContent()).toContain('受理人员 · 锦城镇');
  await screenshot(page, 'console-signed-in');
  await picker.click();
  await page.locator('.ant-select-item-option', { hasText: '信息员' }).click();
  await page.waitForURL(/\/console\/submit/, { timeout: 30_000 });
  expect(await page.locator('[data-testid="role-picker"]').textContent()).toContain('信息员');
  await page.locator('[data-testid="sign-out"]').click();
  await page.locator('input[autocomplete="username"]').waitFor();
  // Signed out for real: the refresh cookie is revoked, a protected page asks to sign in.
  await page.goto(`${stack.url}/console/queue`);
  await page.waitForURL(/\/console\/sign-in\?next=/);
  expect(errors.filter((e) => !/401|403/.test(e))).toEqual([]);
  await context.close();
}, 180_000);

