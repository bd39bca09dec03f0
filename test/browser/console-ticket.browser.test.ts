import type { Page } from 'playwright-core';
import { screenshot } from './support/browser';
import { useBrowserStack } from './support/stack';
import { TOWNSHIP, signedIn, submitReport } from './support/console';

/**
 * The ticket page in a real Chromium against the real platform: the township admin accepts, replies
 * and transfers to a department; the department hands back; the story and the timeline show every
 * step with the right actors; a stale page meets a 412 as "someone changed this ticket"; an auditor
 * sees every button disabled; the holding unit merges a duplicate (并单) into its lead by reference.
 */

let admin: string;
let department: string;
let auditor: string;
const env = useBrowserStack('console', async (stack) => {
  [admin, department, auditor] = await Promise.all([
    stack.staffToken('admin', TOWNSHIP), stack.staffToken('department', '513437', 'housing-construction'), stack.staffToken('auditor', '5134'),
  ]);
});

/** Clicks an action button, fills its form (label → value) and submits it; waits for the ticket's next revision. */
async function act(page: Page, command: string, fill: (page: Page) => Promise<void> = async () => undefined): Promise<void> {
  const revision = Number(await page.locator('[data-testid="ticket"]').getAttribute('data-revision'));
  await page.locator(`button[data-action="${command}"]:not([disabled])`).click();
  await fill(page);
  if (await page.locator('.ant-modal').isVisible()) await page.locator('.ant-modal .ant-btn-primary').click();
  await page.waitForFunction((r) => Number((globalThis as any).document.querySelector('[data-testid="ticket"]')?.getAttribute('data-revision')) > r, revision, { timeout: 30_000 });
}

async function textarea(page: Page, label: string, value: string): Promise<void> {
  await page.locator('.ant-modal').getByLabel(label).fill(value);
}

it('accept, reply, transfer; the department hands back; the story and timeline show every step with its actor', async () => {
  const { id, reference } = await submitReport(env.stack, '西街30号围墙成危墙');
  await env.stack.waitForTicket(id, auditor, (v) => v.status === 'routed');
  const { page, context } = await signedIn(env.browser, env.stack, admin, `/tickets/${id}`);
  await page.locator('[data-testid="ticket"][data-status="routed"]').waitFor({ timeout: 30_000 });
  expect(await page.locator('#ticket-heading').textContent()).toContain(reference);
  await page.locator('[data-testid="division-path"]', { hasText: '凉山彝族自治州 › 雷波县 › 锦城镇' }).waitFor();
  expect(await page.locator('[data-testid="first-responder"]').textContent()).toBe('尚未受理');

  await act(page, 'AcceptTicket');
  await page.locator('[data-testid="ticket"][data-status="in_progress"]').waitFor();
  // A development identity has no directory name: the unit alone, no empty name before it.
  expect(await page.locator('[data-testid="first-responder"]').textContent()).toBe('锦城镇');
  await act(page, 'ReplyToTicket', (p) => textarea(p, '答复内容', '已收到，明天到现场查看。'));
  await act(page, 'TransferTicket', async (p) => {
    await p.locator('.ant-modal').getByLabel('部门').click();
    await p.locator('.ant-select-item-option', { hasText: '住房和城乡建设局' }).click();
    await textarea(p, '原因', '需要规建部门鉴定围墙');
  });
  await page.locator('[data-testid="holder"]', { hasText: '住房' }).waitFor();
  // The township stays accountable (首问责任制) and may still reply; it may no longer hand back.
  expect(await page.locator('button[data-action="HandBackTicket"]').count()).toBe(0);
  await context.close();

  // The department signs in and hands it back with its findings.
  const dep = await signedIn(env.browser, env.stack, department, `/tickets/${id}`);
  await dep.page.locator('button[data-action="AcceptTicket"]:not([disabled])', { hasText: '签收' }).waitFor({ timeout: 30_000 });
  expect(await dep.page.locator('button[data-action="TransferTicket"]').count()).toBe(0);
  await act(dep.page, 'AcceptTicket');
  await act(dep.page, 'HandBackTicket', (p) => textarea(p, '核查情况', '已鉴定为危墙，建议村里拆除'));
  await dep.page.locator('[data-testid="holder"]', { hasText: '锦城镇' }).waitFor();
  await screenshot(dep.page, 'console-ticket-department');
  expect(dep.errors).toEqual([]);
  await dep.context.close();

  // The admin's view: the story names every step and who did it.
  const again = await signedIn(env.browser, env.stack, admin, `/tickets/${id}`);
  const story = again.page.locator('[data-testid="story-line"]');
  await again.page.locator('[data-testid="story-line"][data-type="TicketHandedBack"]').waitFor({ timeout: 30_000 });
  const lines = await story.allTextContents();
  const types = await story.evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
  expect(types).toEqual(['TicketSubmitted', 'TicketRouted', 'TicketAccepted', 'TicketReplied', 'TicketTransferred', 'TicketAccepted', 'TicketHandedBack']);
  expect(lines[1]).toContain('分派给锦城镇');
  // A seeded development identity is no person of the directory: its role and unit, never its raw id.
  expect(lines[2]).toMatch(/锦城镇受理，首问责任人 受理人员/);
  expect(lines.join('\n')).not.toContain('admin@adm-513437100');
  expect(lines[3]).toContain('答复群众：已收到，明天到现场查看。');
  expect(lines[4]).toMatch(/转办给.*住房和城乡建设局.*需要规建部门鉴定围墙/);
  expect(lines[5]).toMatch(/住房和城乡建设局.*签收/);
  expect(lines[6]).toMatch(/住房和城乡建设局.*退回锦城镇：已鉴定为危墙/);
  expect(lines[6]).toContain('部门人员');
  await screenshot(again.page, 'console-ticket');
  await again.page.getByRole('tab', { name: '时限' }).click();
  await again.page.locator('[data-testid="gantt"] [data-leg="resolution"]').waitFor();
  expect(await again.page.locator('[data-testid="gantt-due"]').count()).toBeGreaterThanOrEqual(2);
  await screenshot(again.page, 'console-ticket-timeline');
  await again.page.getByRole('tab', { name: '原始事件' }).click();
  await again.page.locator('[data-testid="raw-events"] tbody tr').first().waitFor();
  await screenshot(again.page, 'console-ticket-events');

  // A stale page: someone else replies through the API; resolving from the page meets 412 and is shown, not lost.
  const before = Number(await again.page.locator('[data-testid="ticket"]').getAttribute('data-revision'));
  const res = await env.stack.api('POST', `/api/v1/tickets/${id}/notes`, { token: admin, body: { text: '另一位同事的备注' } });
  expect(res.status).toBe(200);
  await again.page.locator('button[data-action="ResolveTicket"]:not([disabled])').click();
  await textarea(again.page, '办理结果', '已拆除危墙');
  await again.page.locator('.ant-modal .ant-btn-primary').click();
  const conflict = again.page.locator('[data-testid="conflict"]');
  await conflict.waitFor({ timeout: 30_000 });
  expect(await conflict.textContent()).toContain('另一位同事的备注');
  await screenshot(again.page, 'console-ticket-conflict');
  await conflict.getByRole('button').click();
  await again.page.waitForFunction((r) => Number((globalThis as any).document.querySelector('[data-testid="ticket"]')?.getAttribute('data-revision')) > r, before);
  expect(again.errors.filter((e) => !e.includes('412'))).toEqual([]);
  await again.context.close();

  // The auditor sees every action, each disabled with the reason.
  const audit = await signedIn(env.browser, env.stack, auditor, `/tickets/${id}`);
  await audit.page.locator('button[data-action="AcceptTicket"]').waitFor({ timeout: 30_000 });
  const buttons = audit.page.locator('[data-testid="actions"] button[data-action]');
  // Every staff action of the domain's STAFF_ACTIONS (18), each disabled.
  expect(await buttons.count()).toBe(18);
  expect(await audit.page.locator('[data-testid="actions"] button[data-action]:not([disabled])').count()).toBe(0);
  expect(await audit.page.locator('#why-ResolveTicket').textContent()).toBe('审计人员只读，不能操作');
  await audit.context.close();
}, 300_000);

it('the holding unit merges a duplicate (并单) into its lead, named by reference; both stories tell it', async () => {
  const lead = await submitReport(env.stack, '锦城镇西街围墙开裂');
  const duplicate = await submitReport(env.stack, '西街那堵墙要倒了');
  for (const t of [lead, duplicate]) await env.stack.waitForTicket(t.id, auditor, (v) => v.status === 'routed');
  const { page, context, errors } = await signedIn(env.browser, env.stack, admin, `/tickets/${duplicate.id}`);
  await page.locator('[data-testid="ticket"][data-status="routed"]').waitFor({ timeout: 30_000 });
  await act(page, 'MergeTicket', async (p) => {
    await textarea(p, '并入的主单（工单编号或 ID）', lead.reference);
    await screenshot(p, 'console-ticket-merge-form');
  });
  await page.locator('[data-testid="ticket"][data-status="duplicate"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="story-line"][data-type="TicketMerged"]', { hasText: `锦城镇并单，并入 ${lead.reference}` }).waitFor({ timeout: 30_000 });
  // Merged: no action is left on it.
  expect(await page.locator('button[data-action="MergeTicket"]:not([disabled])').count()).toBe(0);
  await screenshot(page, 'console-ticket-merged');
  expect(await env.stack.waitForTicket(duplicate.id, auditor, (v) => v.status === 'duplicate')).toMatchObject({ mergedInto: { id: lead.id, reference: lead.reference } });

  // The header links to the lead, whose header counts what was merged into it.
  await page.locator('[data-testid="merged-into"]', { hasText: `已并入 ${lead.reference}` }).click();
  await page.locator('[data-testid="merged-count"]', { hasText: '另有 1 件并入本单' }).waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="story-line"][data-type="DuplicateMerged"]', { hasText: `${duplicate.reference} 并入本单` }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'console-ticket-lead');
  expect(errors).toEqual([]);
  await context.close();
}, 180_000);
