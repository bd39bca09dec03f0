import type { Browser } from 'playwright-core';
import { type TestStack, startTestStack } from '../support/test-stack';
import { assertAppBuilt, launchBrowser, openPage, screenshot } from './support/browser';

/** The gateway serves the built console under /console/ through `npm start`'s stack; a real Chromium renders it. */

let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  assertAppBuilt('console');
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('renders the sign-in page with password-manager-friendly fields at /console/ and on a deep link', async () => {
  const { page, context, errors } = await openPage(browser);
  await page.goto(`${stack.url}/console/`);
  await page.locator('input[autocomplete="username"]').waitFor();
  expect(await page.locator('input[type="password"][autocomplete="current-password"]').count()).toBe(1);
  await screenshot(page, 'sign-in');
  // A client-side route loads the same app (SPA fallback).
  const deep = await page.goto(`${stack.url}/console/tickets/01890000-0000-7000-8000-000000000001`);
  expect(deep?.status()).toBe(200);
  await page.locator('input[autocomplete="username"]').waitFor();
  expect(errors).toEqual([]);
  await context.close();
});
