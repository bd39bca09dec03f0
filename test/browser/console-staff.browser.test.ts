import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@tongban/testing';
import type { Browser, Page } from 'playwright-core';
import { BOOTSTRAP_PASSWORD, type StaffSession, createStaff, signInBootstrapAdmin } from '../support/staff-sign-in';
import { type TestStack, startTestStack } from '../support/test-stack';
import { assertAppBuilt, chooseInDialog, confirmPopup, launchBrowser, openPage, screenshot } from './support/browser';
import { TOWNSHIP, signedIn, submitReport } from './support/console';

/**
 * The console's remaining staff features in a real Chromium against the real platform and a real
 * OpenID Connect provider (oidc-provider, its own process): the single sign-on button (shown because
 * identity reports it configured) signs a person in whom the directory-admin linked on the directory page
 * and lands them on their queue, and the unlink there removes the link; the ticket
 * page offers return (退单), its review and the callback (回访) where the API permits them, and the
 * story tells them.
 */

const CLIENT_ID = 'tongban-console-test';
const CLIENT_SECRET = 'a-client-secret-of-the-console-test-0123';
let stack: TestStack;
let browser: Browser;
let idp: ChildProcess | undefined;
let directoryAdmin: StaffSession;

function startProvider(port: number, redirectUri: string): Promise<string> {
  const child = spawn(process.execPath, [join(__dirname, '../support/oidc-provider.mjs'), String(port), CLIENT_ID, CLIENT_SECRET, redirectUri], { stdio: ['ignore', 'pipe', 'pipe'] });
  idp = child;
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OIDC provider did not start: ${output}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready (\S+)/.exec(output);
      if (ready) { clearTimeout(timer); resolve(ready[1]!); }
    });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the OIDC provider exited (${code}): ${output}`)); });
  });
}

beforeAll(async () => {
  assertAppBuilt('console');
  const port = await freePort();
  const redirectUrl = `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`;
  const issuer = await startProvider(await freePort(), redirectUrl);
  [stack, browser] = await Promise.all([startTestStack({
    PORT: String(port), TONGBAN_BOOTSTRAP_PASSWORD: BOOTSTRAP_PASSWORD,
    TONGBAN_OIDC_ISSUER: issuer, TONGBAN_OIDC_CLIENT_ID: CLIENT_ID, TONGBAN_OIDC_CLIENT_SECRET: CLIENT_SECRET, TONGBAN_OIDC_REDIRECT_URL: redirectUrl,
  }), launchBrowser()]);
  directoryAdmin = await signInBootstrapAdmin(stack);
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  idp?.kill('SIGTERM');
});

it('single sign-on: the button leads to the provider, and a linked person comes back signed in on their queue', async () => {
  const person = await createStaff(stack, directoryAdmin, 'wang.li', { role: 'admin', division: TOWNSHIP });
  // The directory-admin links the person's subject at the provider, on the console's directory page.
  const directory = await openPage(browser);
  await directory.page.goto(`${stack.url}/console/`);
  await directory.page.locator('input[autocomplete="username"]').fill(directoryAdmin.username);
  await directory.page.locator('input[autocomplete="current-password"]').fill(directoryAdmin.password);
  await directory.page.locator('form#sign-in button[type="submit"]').click();
  await directory.page.waitForURL(/\/console\/directory/, { timeout: 30_000 });
  const row = directory.page.locator('tr[data-username="wang.li"]');
  await row.locator('[data-testid="oidc-link"]').click({ timeout: 30_000 });
  await directory.page.locator('.ant-modal').getByLabel('身份提供方的用户标识（subject）').fill('wang.li@idp');
  await directory.page.locator('.ant-modal .ant-btn-primary').click();
  await row.locator('[data-testid="oidc-subject"]', { hasText: 'wang.li@idp' }).waitFor({ timeout: 30_000 });
  await screenshot(directory.page, 'console-directory-oidc');

  const { page, context, errors } = await openPage(browser);
  await page.goto(`${stack.url}/console/`);
  const sso = page.locator('[data-testid="sso"]');
  await sso.waitFor({ timeout: 30_000 });
  expect(await sso.textContent()).toContain('统一身份认证登录');
  await screenshot(page, 'console-sign-in-sso');
  expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  await sso.click();
  // The provider's own pages (oidc-provider's development login and consent).
  await page.waitForURL((url) => url.origin !== new URL(stack.url).origin, { timeout: 30_000 });
  await page.locator('input[name="login"]').fill('wang.li@idp');
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]', { hasText: /continue/i }).click({ timeout: 30_000 });
  await page.waitForURL((url) => url.origin === new URL(stack.url).origin, { timeout: 30_000 });
  // What the provider's own development pages logged (their external assets) is not the console's.
  errors.length = 0;
  await page.waitForURL(/\/console\/queue/, { timeout: 30_000 });
  await page.locator('[data-testid="active-role"]', { hasText: '锦城镇' }).waitFor({ timeout: 30_000 });
  const account = await stack.api('GET', `/api/v1/staff/${person.id}/sign-ins`, { token: await directoryAdmin.token() });
  expect(account.body.signIns[0]).toMatchObject({ method: 'oidc', outcome: 'success' });
  expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  await context.close();

  // Unlinked on the directory page: the subject no longer signs in as this person.
  await confirmPopup(directory.page, row.locator('[data-testid="oidc-unlink"]'), (r) => /\/oidc\?issuer=/.test(r.url()) && r.method() === 'DELETE');
  await row.locator('[data-testid="oidc-subject"]').waitFor({ state: 'detached', timeout: 30_000 });
  expect((await stack.api('GET', `/api/v1/staff/${person.id}`, { token: await directoryAdmin.token() })).body.oidc).toEqual([]);
  expect(directory.errors.filter((e) => !/401/.test(e))).toEqual([]);
  await directory.context.close();
}, 180_000);

/** Clicks an action button, fills its form and submits it; waits for the ticket's next revision. */
async function act(page: Page, command: string, fill: (page: Page) => Promise<void> = async () => undefined): Promise<void> {
  const revision = Number(await page.locator('[data-testid="ticket"]').getAttribute('data-revision'));
  await page.locator(`button[data-action="${command}"]:not([disabled])`).click({ timeout: 30_000 });
  await fill(page);
  await page.locator('.ant-modal .ant-btn-primary').click();
  await page.waitForFunction((r) => Number((globalThis as any).document.querySelector('[data-testid="ticket"]')?.getAttribute('data-revision')) > r, revision, { timeout: 30_000 });
}


it('the ticket page offers return, its review and the callback where the API permits them; the story tells them', async () => {
  const [admin, supervisor, auditor] = await Promise.all([
    stack.staffToken('admin', TOWNSHIP), stack.staffToken('supervisor', '513437'), stack.staffToken('auditor', '5134'),
  ]);
  // 退单: the township returns a report that is not its own; the county's supervisor approves and reroutes it to 西宁镇.
  const returned = await submitReport(stack, '河边护栏倒塌');
  await stack.waitForTicket(returned.id, auditor, (v) => v.status === 'routed');
  const township = await signedIn(browser, stack, admin, `/tickets/${returned.id}`);
  await township.page.locator('[data-testid="ticket"][data-status="routed"]').waitFor({ timeout: 30_000 });
  expect(await township.page.locator('button[data-action="ReviewReturn"]').count()).toBe(0);
  await act(township.page, 'ReturnTicket', async (p) => {
    await chooseInDialog(p, '退单原因', '属地不符');
    await p.locator('.ant-modal').getByLabel('原因', { exact: true }).fill('护栏位于西宁镇河段');
  });
  await township.page.locator('[data-testid="story"]', { hasText: '锦城镇退单（属地不符）：护栏位于西宁镇河段' }).waitFor({ timeout: 30_000 });
  await township.context.close();

  const county = await signedIn(browser, stack, supervisor, `/tickets/${returned.id}`);
  await act(county.page, 'ReviewReturn', async (p) => {
    await chooseInDialog(p, '乡镇', '西宁镇');
    await chooseInDialog(p, '单位', '西宁镇');
  });
  await county.page.locator('[data-testid="holder"]', { hasText: '西宁镇' }).waitFor({ timeout: 30_000 });
  await county.page.locator('[data-testid="story"]', { hasText: '退单审核通过，改派西宁镇' }).waitFor({ timeout: 30_000 });
  await screenshot(county.page, 'console-ticket-return');
  await county.context.close();
  const history = (await stack.api('GET', `/api/v1/tickets/${returned.id}/history`, { token: auditor })).body.events as any[];
  expect(history.find((e) => e.type === 'TicketReturned').data).toMatchObject({ reasonCode: 'wrong_place', reason: '护栏位于西宁镇河段' });
  expect(history.find((e) => e.type === 'ReturnReviewed').data).toMatchObject({ approved: true, toUnitId: 'adm-513437101' });

  // 回访: after the resolution, the first responder's unit calls the reporter back.
  const resolved = await submitReport(stack, '路灯不亮');
  await stack.waitForTicket(resolved.id, auditor, (v) => v.status === 'routed');
  for (const [path, body] of [['accept', undefined], ['resolve', { resolution: '已更换灯泡。' }]] as const) {
    const res = await stack.api('POST', `/api/v1/tickets/${resolved.id}/${path}`, { token: admin, ...(body ? { body } : {}) });
    expect(res.status).toBe(200);
  }
  await stack.waitForTicket(resolved.id, auditor, (v) => v.status === 'resolved');
  const back = await signedIn(browser, stack, admin, `/tickets/${resolved.id}`);
  await act(back.page, 'RecordCallback', async (p) => {
    await chooseInDialog(p, '群众满意度', '基本满意');
    await p.locator('.ant-modal').getByLabel('群众意见').fill('灯亮了，但晚了两天');
  });
  await back.page.locator('[data-testid="story"]', { hasText: '锦城镇回访群众：基本满意' }).waitFor({ timeout: 30_000 });
  await screenshot(back.page, 'console-ticket-callback');
  const callback = ((await stack.api('GET', `/api/v1/tickets/${resolved.id}/history`, { token: auditor })).body.events as any[]).find((e) => e.type === 'CallbackRecorded');
  expect(callback.data).toMatchObject({ reached: true, channel: 'phone', rating: 'basically_satisfied', comment: '灯亮了，但晚了两天' });
  await back.context.close();
}, 240_000);
