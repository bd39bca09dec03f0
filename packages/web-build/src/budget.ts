import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One JavaScript file that loads before the app can render, with its sizes in bytes. */
export interface InitialScript {
  /** Path inside the app, e.g. `/console/assets/index-abc123.js`. */
  url: string;
  bytes: number;
  gzipBytes: number;
}

/** The initial JavaScript of a built app and whether it is within the budget. */
export interface BudgetReport {
  scripts: InitialScript[];
  totalGzipBytes: number;
  limitGzipBytes: number;
  withinBudget: boolean;
}

/**
 * The scripts index.html loads before anything renders: `<script type="module" src>` and
 * `<link rel="modulepreload" href>` (Vite lists every static import of the entry as a modulepreload),
 * as URLs in document order, without duplicates. Lazily imported chunks (code-split routes) are not in it.
 */
export function initialScriptUrls(indexHtml: string): string[] {
  const urls: string[] = [];
  const tags = indexHtml.match(/<(script|link)\b[^>]*>/g) ?? [];
  for (const tag of tags) {
    const attr = (name: string) => new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(tag)?.[1];
    const url = tag.startsWith('<script') ? attr('src') : attr('rel') === 'modulepreload' ? attr('href') : undefined;
    if (url && !urls.includes(url)) urls.push(url);
  }
  return urls;
}

/**
 * Measures the initial JavaScript of a built app (`dist/index.html` and the files it names, found under
 * `dist` by stripping the app's `base` prefix) gzipped at level 9, against a limit in bytes.
 * @throws Error when index.html names a script that is not in `dist`.
 */
export function measureInitialJs(dist: string, base: string, limitGzipBytes: number): BudgetReport {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const scripts = initialScriptUrls(html).map((url) => {
    const inApp = url.startsWith(base) ? url.slice(base.length) : url.replace(/^\//, '');
    const raw = readFileSync(join(dist, inApp));
    return { url, bytes: raw.length, gzipBytes: gzipSync(raw, { level: 9 }).length };
  });
  const totalGzipBytes = scripts.reduce((sum, s) => sum + s.gzipBytes, 0);
  return { scripts, totalGzipBytes, limitGzipBytes, withinBudget: totalGzipBytes <= limitGzipBytes };
}

/** The report as lines of text (sizes in KB = 1000 bytes, as the budget is stated). */
export function formatBudgetReport(name: string, report: BudgetReport): string {
  const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
  return [
    `${name}: initial JavaScript ${kb(report.totalGzipBytes)} gzipped (budget ${kb(report.limitGzipBytes)}) — ${report.withinBudget ? 'within budget' : 'OVER BUDGET'}`,
    ...report.scripts.map((s) => `  ${s.url}  ${kb(s.bytes)} raw, ${kb(s.gzipBytes)} gzipped`),
  ].join('\n');
}
