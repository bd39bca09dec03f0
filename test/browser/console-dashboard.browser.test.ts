import { screenshot } from './support/browser';
import { useBrowserStack } from './support/stack';
import { TOWNSHIP, signedIn, submitReport } from './support/console';

/**
 * The supervisor dashboard in a real Chromium against the real platform: the figures of the
 * jurisdiction, the map of the 17 counties with the county that received tickets non-zero, the drill-down
 * into its townships, the weekly trend's "nothing yet"; the dashboard's JavaScript (ECharts, the county boundaries) is not in the initial bundle.
 */

let supervisor: string;
let admin: string;
let auditor: string;
const env = useBrowserStack('console', async (stack) => {
  [supervisor, admin, auditor] = await Promise.all([stack.staffToken('supervisor', '5134'), stack.staffToken('admin', TOWNSHIP), stack.staffToken('auditor', '5134')]);
});

it('shows the figures, the county map with 雷波县 non-zero, and its townships on drill-down', async () => {
  const tickets = [await submitReport(env.stack, '西街30号围墙成危墙'), await submitReport(env.stack, '村口路灯不亮', { service_code: 'power-supply' })];
  for (const { id } of tickets) await env.stack.waitForTicket(id, auditor, (v) => v.status === 'routed');
  expect((await env.stack.api('POST', `/api/v1/tickets/${tickets[0]!.id}/accept`, { token: admin })).status).toBe(200);

  const { page, context, errors } = await signedIn(env.browser, env.stack, supervisor, '/dashboard');
  const scripts: string[] = [];
  page.on('request', (r) => { if (r.resourceType() === 'script') scripts.push(r.url()); });
  await page.locator('[data-testid="figure-received"] .ant-statistic-content-value', { hasText: '2' }).waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="county-map"][data-nonzero="雷波县"]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="county-map"] canvas').waitFor();
  // Nothing closed or rated yet: the weekly trend says so instead of drawing bare axes.
  await page.locator('[data-testid="trend-empty"]', { hasText: '这几周没有办结或评价的工单' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'console-dashboard');

  await page.locator('[data-testid="county-select"]').click();
  await page.keyboard.type('雷波');
  await page.locator('.ant-select-item-option', { hasText: '雷波县' }).click();
  await page.locator('[data-testid="townships"] tbody tr', { hasText: '锦城镇' }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'console-dashboard-townships');
  expect(errors).toEqual([]);
  await context.close();
}, 180_000);

it('loads the dashboard (ECharts and the boundaries) only when it is opened', async () => {
  const { page, context } = await signedIn(env.browser, env.stack, admin, '/queue');
  const scripts: string[] = [];
  page.on('request', (r) => { if (r.resourceType() === 'script') scripts.push(r.url()); });
  await page.reload();
  await page.locator('#queue-heading').waitFor({ timeout: 30_000 });
  expect(scripts.some((u) => /Dashboard-/.test(u))).toBe(false);
  await context.close();
}, 120_000);
