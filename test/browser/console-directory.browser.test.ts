import type { Browser } from 'playwright-core';
import { type TestStack, startTestStack } from '../support/test-stack';
import { activate } from '../support/staff-sign-in';
import { assertAppBuilt, chooseInDialog, confirmPopup, dropdownsClosed, launchBrowser, openPage, screenshot } from './support/browser';
import { signedIn, submitReport } from './support/console';

/**
 * The staff directory in a real Chromium against identity's routes: the bootstrap `admin` (a
 * directory-admin only, whose token acts on no ticket) signs in with its one-time password, chooses a
 * new one, lands on the directory (not back on the sign-in page), creates a person, grants them the
 * administration-officer role of 锦城镇 (the unit picked county → township → unit), renames them and resets
 * their password (the new one-time password signs in, the old one not), and the list shows it; the API agrees.
 * The person then accepts a report: the ticket's header and story name them (赵敏敏), not their staff id.
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

it('the bootstrap admin lands on the directory, creates a person, grants a township role with the unit picker, renames and resets', async () => {
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
  // Not offered on one's own account (identity answers 409 own_account): only rename.
  const own = page.locator('tr[data-username="admin"]');
  expect(await own.locator('[data-testid="rename"]').count()).toBe(1);
  expect(await own.locator('[data-testid="reset-password"], [data-testid="disable"]').count()).toBe(0);

  await page.locator('form#create-staff input#create-staff_username').fill('zhao.min');
  await page.locator('form#create-staff input#create-staff_displayName').fill('赵敏');
  // The home division is picked by name (county, then township), not typed as a code.
  const divisions = page.locator('form#create-staff [data-testid="division-picker"]');
  await divisions.getByLabel('县（市）').click();
  await page.keyboard.type('雷波');
  await page.locator('.ant-select-item-option', { hasText: '雷波县' }).click();
  await divisions.getByLabel('乡镇').click();
  await page.keyboard.type('锦城');
  await page.locator('.ant-select-item-option', { hasText: '锦城镇' }).click();
  await page.locator('form#create-staff button[type="submit"]').click();
  const notice = page.locator('[data-testid="directory-notice"]');
  await notice.waitFor({ timeout: 30_000 });
  expect(await notice.textContent()).toMatch(/一次性密码.*[A-Za-z0-9]{8,}/);
  const firstPassword = /[:：]\s*(\S+)$/.exec((await notice.textContent())!.trim())![1]!;
  const row = page.locator('tr[data-username="zhao.min"]');
  await row.waitFor({ timeout: 30_000 });
  await row.locator('[data-testid="staff-division"]', { hasText: '锦城镇' }).waitFor({ timeout: 30_000 });

  // Grant: the role, then the unit picked county → township → unit (reference data read without the
  // directory-admin's token, which the public routes would refuse).
  await row.locator('[data-testid="grant"]').click();
  await chooseInDialog(page, '角色', '受理人员');
  await chooseInDialog(page, '县（市）', '雷波县', { search: true });
  await chooseInDialog(page, '乡镇', '锦城镇', { search: true });
  await chooseInDialog(page, '单位', '锦城镇', { search: true });
  await screenshot(page, 'console-directory-grant');
  const granted = page.waitForResponse((r) => /\/api\/v1\/staff\/[^/]+\/roles$/.test(r.url()) && r.request().method() === 'POST');
  await page.locator('.ant-modal .ant-btn-primary').click();
  expect((await granted).status()).toBe(201);
  await row.locator('[data-testid="staff-role"]', { hasText: '受理人员 · 锦城镇' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'console-directory');

  // Rename.
  await row.locator('[data-testid="rename"]').click();
  const name = page.locator('.ant-modal').getByLabel('姓名', { exact: true });
  expect(await name.inputValue()).toBe('赵敏');
  await name.fill('赵敏敏');
  await page.locator('.ant-modal .ant-btn-primary').click();
  await row.locator('[data-testid="staff-name"]', { hasText: '赵敏敏' }).waitFor({ timeout: 30_000 });

  // Reset the password: a new one-time password, shown once, which signs in (and must be changed); the
  // first one no longer does.
  await dropdownsClosed(page);
  const reset = await confirmPopup(page, row.locator('[data-testid="reset-password"]'), (r) => /\/reset-password$/.test(r.url()) && r.method() === 'POST');
  expect((await reset.response())?.status()).toBe(200);
  await notice.filter({ hasText: '密码已重置' }).waitFor({ timeout: 30_000 });
  const resetPassword = /[:：]\s*(\S+)$/.exec((await notice.textContent())!.trim())![1]!;
  expect(resetPassword).not.toBe(firstPassword);
  await screenshot(page, 'console-directory-reset');
  const signIn = await stack.api('POST', '/api/v1/auth/login', { body: { username: 'zhao.min', password: resetPassword } });
  expect(signIn.status).toBe(200);
  expect(signIn.body.me.passwordChangeRequired).toBe(true);
  expect((await stack.api('POST', '/api/v1/auth/login', { body: { username: 'zhao.min', password: firstPassword } })).status).toBe(401);

  // The API agrees, and the page did not loop back to sign-in.
  const token = (await stack.api('POST', '/api/v1/auth/login', { body: { username: 'admin', password: NEW_PASSWORD } })).body.accessToken;
  const list = await stack.api('GET', '/api/v1/staff', { token });
  const zhao = list.body.staff.find((s: { username: string }) => s.username === 'zhao.min');
  expect(zhao.roles.map((r: { role: string; unitId: string }) => `${r.role}@${r.unitId}`)).toEqual(['admin@adm-513437100']);
  expect(zhao.displayName).toBe('赵敏敏');
  expect(page.url()).toMatch(/\/console\/directory/);
  expect(errors.filter((e) => !/401|403/.test(e))).toEqual([]);
  await context.close();

  // 赵敏敏 accepts a report of 锦城镇: the header and the story name the person, not the staff id.
  const zhaoSession = await activate(stack, 'zhao.min', resetPassword, 'zhao min passphrase 2026', zhao.roles[0].roleId);
  const { id } = await submitReport(stack, '东街围墙开裂');
  await stack.waitForTicket(id, await zhaoSession.token(), (v) => v.status === 'routed', 30_000);
  expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: await zhaoSession.token() })).status).toBe(200);
  const ticket = await signedIn(browser, stack, await zhaoSession.token(), `/tickets/${id}`);
  await ticket.page.locator('[data-testid="story-line"][data-type="TicketAccepted"]', { hasText: '锦城镇受理，首问责任人 赵敏敏' }).waitFor({ timeout: 30_000 });
  expect(await ticket.page.locator('[data-testid="first-responder"]').textContent()).toBe('赵敏敏（锦城镇）');
  expect(await ticket.page.locator('[data-testid="story"]').textContent()).not.toContain(zhaoSession.id);
  await screenshot(ticket.page, 'console-ticket-named');
  expect(ticket.errors).toEqual([]);
  await ticket.context.close();
}, 240_000);
