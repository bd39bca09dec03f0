import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Locator, type Page, type Request, chromium } from 'playwright-core';

/**
 * The browser-test harness: playwright-core driving Debian's Chromium (`apt-get install -y chromium
 * fonts-noto-cjk fonts-noto-core fonts-sil-nuosusil`; `.ci/run` installs them when missing), headless,
 * screenshots under test-output/browser/.
 */

const ROOT = join(__dirname, '..', '..', '..');

/** The Chromium binary: CHROMIUM_PATH, default Debian's /usr/bin/chromium. */
const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Where screenshots are saved. */
const SCREENSHOT_DIR = join(ROOT, 'test-output', 'browser');

/** Chromium's flags for a headless run on a CI machine. */
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run',
];

/**
 * Launches Chromium.
 * @throws Error naming the apt packages when the binary is missing.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium fonts-noto-cjk fonts-noto-core fonts-sil-nuosusil (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Fails when a web app is not built (the browser tests run after `npm run build`; `npm run test:browser`
 * and `npm test` build first).
 */
export function assertAppBuilt(name: string): void {
  const index = join(ROOT, 'apps', name, 'dist', 'index.html');
  if (!existsSync(index)) throw new Error(`apps/${name} is not built (${index} missing): run npm run build`);
}

/** A page with the errors it raised (uncaught exceptions and console.error), for assertions. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors so far. */
  errors: string[];
}

/**
 * A new browser context and page: desktop viewport, the browser's time zone set to `timezoneId`
 * (default America/New_York, so that a page showing Asia/Shanghai times proves it converts).
 */
export async function openPage(browser: Browser, options: { timezoneId?: string; locale?: string } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    timezoneId: options.timezoneId ?? 'America/New_York',
    locale: options.locale ?? 'zh-CN',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()}`); });
  return { page, context, errors };
}

/** Saves a full-page screenshot as test-output/browser/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The selector of antd's open select dropdowns (a closed one stays in the DOM with `-hidden`). */
export const OPEN_DROPDOWN = '.ant-select-dropdown:not(.ant-select-dropdown-hidden)';

/**
 * Resolves once no antd select dropdown is open: antd animates a dropdown out after a choice, so the
 * next select's options would otherwise be found twice. Rejects after 30 s.
 */
export async function dropdownsClosed(page: Page): Promise<void> {
  await page.waitForFunction((sel) => !(globalThis as any).document.querySelector(sel), OPEN_DROPDOWN, { timeout: 30_000 });
}

/**
 * Opens the select labelled `label` in the open dialog (antd Modal) and picks the option named exactly
 * `option`; with `search`, types the option's name first (long lists are virtual: an option far down is
 * not in the page until the list is filtered or scrolled to it).
 */
export async function chooseInDialog(page: Page, label: string, option: string, options: { search?: boolean } = {}): Promise<void> {
  await dropdownsClosed(page);
  await page.locator('.ant-modal').getByLabel(label, { exact: true }).click();
  if (options.search) await page.keyboard.type(option);
  await page.locator(`${OPEN_DROPDOWN} .ant-select-item-option[title="${option}"]`).click();
  await dropdownsClosed(page);
}

/** The selector of antd's open popconfirm (a closed one stays in the DOM with `-hidden`). */
const OPEN_POPCONFIRM = '.ant-popover:not(.ant-popover-hidden) .ant-popconfirm-buttons .ant-btn-primary';

/**
 * Clicks `trigger` (a button wrapped in an antd Popconfirm), then the popconfirm's OK, and resolves with
 * the request the confirmation sent (matched by `request`). Under load a click can land while a closing
 * dialog still covers the page or while the popconfirm animates in and be lost: until a matching request
 * has gone out, the popconfirm is opened again and confirmed (up to 5 attempts) — never after, so the action
 * is sent once. Rejects when no request went out.
 */
export async function confirmPopup(page: Page, trigger: Locator, request: (r: Request) => boolean): Promise<Request> {
  const sent = page.waitForRequest(request, { timeout: 60_000 });
  let done: Request | undefined;
  void sent.then((r) => { done = r; }, () => undefined);
  for (let attempt = 1; !done; attempt++) {
    const ok = page.locator(OPEN_POPCONFIRM);
    if (!(await ok.isVisible())) await trigger.click({ timeout: 10_000 }).catch(() => undefined);
    await ok.click({ timeout: 5_000 }).catch(() => undefined);
    await Promise.race([sent, new Promise((r) => setTimeout(r, 3_000))]).catch(() => undefined);
    if (!done && attempt >= 5) break;
  }
  return sent;
}
