/**
 * The chart's values table (charts/tongban/README.md, `npm run chart:doc`): every key of values.yaml has
 * a comment, and the README's table is what the generator writes from values.yaml today.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, undocumentedValues, valuesOf, valuesTable, withValuesTable } from '../../scripts/chart-doc';

const values = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');

it('documents every key of values.yaml', () => {
  expect(undocumentedValues(values)).toEqual([]);
});

it('the README table is up to date (npm run chart:doc)', () => {
  const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
  expect(withValuesTable(readme, values)).toBe(readme);
});

it('lists keys with their path, type, default and the comment above them; names an undocumented key', () => {
  const source = [
    '# The image.',
    'image:',
    '  # -- Its tag.',
    '  tag: "1.0"',
    '  pullPolicy: IfNotPresent',
    '# Peers, a block list.',
    'peers:',
    '  - from: a',
    '    port: 1',
    '# Replicas and port.',
    'identity: { replicas: 2, port: 50057 }',
    '',
    '# Cut off by the blank line.',
    '',
    'ratio: 0.5',
    '# On | off.',
    'enabled: true',
  ].join('\n');
  expect(valuesOf(source)).toEqual([
    { key: 'image', type: 'object', default: '—', description: 'The image.' },
    { key: 'image.tag', type: 'string', default: '"1.0"', description: 'Its tag.' },
    { key: 'image.pullPolicy', type: 'string', default: '"IfNotPresent"', description: '' },
    { key: 'peers', type: 'list', default: '[{"from":"a","port":1}]', description: 'Peers, a block list.' },
    { key: 'identity', type: 'object', default: '{"replicas":2,"port":50057}', description: 'Replicas and port.' },
    { key: 'ratio', type: 'float', default: '0.5', description: '' },
    { key: 'enabled', type: 'bool', default: 'true', description: 'On | off.' },
  ]);
  expect(undocumentedValues(source)).toEqual(['image.pullPolicy', 'ratio']);
  expect(valuesTable(source)).toContain('| `enabled` | bool | `true` | On \\| off. |');
});
