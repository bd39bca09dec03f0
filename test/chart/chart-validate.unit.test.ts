import { join } from 'node:path';
import { renderChart } from '../../scripts/chart-validate';

/**
 * `npm run chart:validate` on a fresh clone, where `.tools/helm` (ignored by git) is not installed yet:
 * one line saying how to install it, not `spawnSync … ENOENT`.
 */
it('names scripts/install-helm.sh when helm is missing', () => {
  const missing = join(__dirname, '..', '..', '.tools', 'no-such-helm');
  expect(() => renderChart([], missing)).toThrow('helm not found at .tools/no-such-helm: install it with `bash scripts/install-helm.sh`');
});
