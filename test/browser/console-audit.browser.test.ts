import { readFileSync } from 'node:fs';
import pg from 'pg';
import { OPEN_DROPDOWN, dropdownsClosed, screenshot } from './support/browser';
import { useBrowserStack } from './support/stack';
import { TOWNSHIP, signedIn, submitReport } from './support/console';

/**
 * The auditor view in a real Chromium against the real platform: the revision slider shows the state
 * before acceptance (evolved by the API's decider), the diff between two revisions, the CSV export,
 * the chain badge turning red naming the revision after one event is altered in SQL, and the page in
 * Nuosu Yi with Yi dates.
 */

declare const document: any;
declare const localStorage: any;

let admin: string;
let auditor: string;
const env = useBrowserStack('console', async (stack) => {
  [admin, auditor] = await Promise.all([stack.staffToken('admin', TOWNSHIP), stack.staffToken('auditor', '5134')]);
});

it('slides to the state before acceptance, diffs two revisions, exports, and shows a tampered event as a red badge naming its revision', async () => {
  const { id } = await submitReport(env.stack, '西街30号围墙成危墙');
  await env.stack.waitForTicket(id, auditor, (v) => v.status === 'routed');
  expect((await env.stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
  expect((await env.stack.api('POST', `/api/v1/tickets/${id}/reply`, { token: admin, body: { message: '=HYPERLINK("http://example.com")', public: true } })).status).toBe(200);
  await env.stack.waitForTicket(id, auditor, (v) => v.revision === 3);

  const { page, context, errors } = await signedIn(env.browser, env.stack, auditor, `/audit/${id}`);
  await page.locator('[data-testid="chain-badge"][data-intact="true"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="replayed-state"][data-revision="3"]').waitFor();
  expect(await page.locator('[data-testid="replayed-status"]').textContent()).toBe('办理中');

  // The slider, from the keyboard: revision 1 (routed) is the state before acceptance.
  await page.locator('[data-testid="revision-slider"] .ant-slider-handle').focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.locator('[data-testid="replayed-state"][data-revision="1"]').waitFor({ timeout: 30_000 });
  expect(await page.locator('[data-testid="replayed-status"]').textContent()).toBe('已分派');
  expect(await page.locator('[data-testid="replayed-first-responder"]').textContent()).toBe('尚未受理');
  await screenshot(page, 'console-audit');

  // The diff between revision 1 and 2: the status and the first responder changed.
  // One dropdown at a time: wait until the previous one has finished closing (antd animates it out).
  await page.locator('[data-testid="diff-from"]').click();
  await page.locator(`${OPEN_DROPDOWN} .ant-select-item-option`, { hasText: '1 · TicketRouted' }).click();
  await dropdownsClosed(page);
  await page.locator('[data-testid="diff-to"]').click();
  await page.locator(`${OPEN_DROPDOWN} .ant-select-item-option`, { hasText: '2 · TicketAccepted' }).click();
  await dropdownsClosed(page);
  await page.locator('[data-testid="diff"] tr', { hasText: 'status' }).waitFor({ timeout: 30_000 });
  expect(await page.locator('[data-testid="diff"]').textContent()).toMatch(/firstResponder\.unitId.*adm-513437100/);
  await screenshot(page, 'console-audit-diff');

  // Export: CSV with the formula neutralised.
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="export-csv"]').click()]);
  const csv = readFileSync((await download.path()), 'utf8');
  expect(csv.split('\r\n')[0]).toBe('\ufeffrevision,type,occurredAt,recordedAt,actorKind,actorId,actorUnit,data,hash');
  expect(csv.split('\r\n')).toHaveLength(6);

  // Alter one event in SQL: the badge turns red and names its revision.
  const pool = new pg.Pool({ connectionString: env.stack.env['DATABASE_URL'] });
  try {
    await pool.query(`UPDATE events SET data = jsonb_set(data, '{message}', '"从未答复"') WHERE stream = $1 AND revision = 3`, [`ticket-${id}`]);
  } finally {
    await pool.end();
  }
  await page.reload();
  const badge = page.locator('[data-testid="chain-badge"][data-intact="false"]');
  await badge.waitFor({ timeout: 30_000 });
  expect(await badge.getAttribute('data-first-bad')).toBe('3');
  expect(await badge.textContent()).toContain('第一个异常版本 3');
  await screenshot(page, 'console-audit-tampered');

  // Nuosu Yi: Yi text and Yi dates (the FormatJS polyfill with CLDR's ii data).
  await page.evaluate(() => localStorage.setItem('tongban.console.lang', 'ii'));
  await page.reload();
  await page.waitForFunction(() => document.documentElement.lang === 'ii');
  await page.locator('[data-testid="chain-badge"]').waitFor({ timeout: 30_000 });
  expect(await page.locator('[data-testid="chain-badge"]').textContent()).toMatch(/\p{Script=Yi}/u);
  const date = await page.locator('[data-testid="story-line"] .ant-typography-secondary').first().textContent();
  expect(date).toMatch(/^\p{Script=Yi}+ \d+\p{Script=Yi} \d\d:\d\d/u);
  await screenshot(page, 'console-audit-ii');
  expect(errors).toEqual([]);
  await context.close();
}, 240_000);
