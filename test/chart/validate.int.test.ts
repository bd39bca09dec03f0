/**
 * The rendered chart against the Kubernetes API schemas (scripts/chart-validate.ts, `npm run
 * chart:validate`): the default and the production values are valid; a misspelled field, a wrong type and
 * a kind without a schema are each reported, naming the manifest and the path, with exit 1. Uses
 * .tools/helm (scripts/install-helm.sh, run by .ci/run); where it is absent the test says so and is skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const helm = join(root, '.tools', 'helm');
const chart = join(root, 'charts', 'tongban');
const maybe = existsSync(helm) ? describe : describe.skip;
if (!existsSync(helm)) console.warn('skipped: .tools/helm missing (run scripts/install-helm.sh)');

/** scripts/chart-validate.ts with `args`, fed `input` on stdin. */
function validate(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'chart-validate.ts'), ...args], { cwd: root, input, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const render = (...args: string[]) => execFileSync(helm, ['template', 'tb', chart, ...args], { encoding: 'utf8' });

maybe('chart manifests against the Kubernetes schemas', () => {
  it('validates every manifest rendered with the default and the production values', () => {
    const { status, out } = validate([]);
    expect([status, out]).toEqual([0, expect.stringContaining('default values: ')]);
    expect(out).toMatch(/^default values: \d+ manifests \(.*Deployment 9.*\): valid$/m);
    // Production: HPAs, the ServiceMonitor, the database URL from CloudNativePG's Secret, no chart Secret.
    expect(out).toMatch(/^values-production\.yaml: \d+ manifests \(.*HorizontalPodAutoscaler 7.*ServiceMonitor 1.*\): valid$/m);
  }, 120_000);

  it('rejects a misspelled field, naming the manifest and the path (the TypeScript declarations are strict)', () => {
    // An operator's typo in values: readOnlyRootFileSystem (capital S) lands in every container.
    const { status, out } = validate(['-'], render('--set', 'securityContext.readOnlyRootFileSystem=true'));
    expect(status).toBe(1);
    expect(out).toContain("stdin: Deployment tb-tongban-gateway: spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: Object literal may only specify known properties, and '\"readOnlyRootFileSystem\"' does not exist");
    expect(out).toMatch(/^stdin: \d+ manifests .*: \d+ problem\(s\)$/m);
  }, 120_000);

  it('rejects a wrong type (ajv-compiled schema) and a kind it has no schema for', () => {
    const wrongType = validate(['-'], render('--set', 'gateway.replicas=two'));
    expect(wrongType.status).toBe(1);
    expect(wrongType.out).toContain('stdin: Deployment tb-tongban-gateway: data/spec/replicas must be integer');
    const unknown = validate(['-'], 'apiVersion: example.org/v1\nkind: Widget\nmetadata: { name: w }\n');
    expect(unknown.status).toBe(1);
    expect(unknown.out).toContain('stdin: Widget w: no schema for example.org/v1 Widget');
  }, 120_000);
});
