/**
 * `tsx packages/web-build/src/budget-cli.ts <dist> <base> <limit KB>`: prints the initial JavaScript of a
 * built app and exits 1 when it is over the limit (KB = 1000 bytes, gzipped). Run by each app's build.
 */
import { resolve } from 'node:path';
import { formatBudgetReport, measureInitialJs } from './budget';

const [dist, base, limitKb] = process.argv.slice(2);
if (!dist || !base || !limitKb || !Number.isFinite(Number(limitKb))) {
  console.error('usage: budget-cli <dist folder> <base, e.g. /console/> <limit in KB gzipped>');
  process.exit(2);
}
const report = measureInitialJs(resolve(dist), base, Number(limitKb) * 1000);
console.log(formatBudgetReport(base, report));
if (!report.withinBudget) process.exit(1);
