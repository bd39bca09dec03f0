/**
 * The Helm chart lints, renders a Deployment per process, wires every service address, never sets the
 * test clock, and refuses to render without a JWT secret. Uses .tools/helm (scripts/install-helm.sh,
 * run by .ci/run); where it is absent the test says so and is skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const helm = join(root, '.tools', 'helm');
const chart = join(root, 'charts', 'tongban');
const secret = ['--set', 'jwtSecret=0123456789abcdef0123456789abcdef'];
const run = (args: string[]) => execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const maybe = existsSync(helm) ? describe : describe.skip;
if (!existsSync(helm)) console.warn('skipped: .tools/helm missing (run scripts/install-helm.sh)');

maybe('helm chart', () => {
  it('lints', () => {
    expect(run(['lint', chart, ...secret])).toContain('0 chart(s) failed');
  });

  it('renders every process with the service addresses and without the test clock', () => {
    const out = run(['template', 'tb', chart, ...secret]);
    for (const name of ['gateway', 'intake', 'routing', 'casework', 'deadline', 'notification', 'query', 'relay']) {
      expect(out).toContain(`name: tb-tongban-${name}\n`);
      expect(out).toContain(`services/${name}/src/main.ts`);
    }
    expect(out).toContain('value: "tb-tongban-query:50056"');
    expect(out).not.toContain('TONGBAN_TEST_CLOCK');
  });

  it('sets the extension cap and the SLA configuration only when given; the SLA file is mounted into intake', () => {
    const plain = run(['template', 'tb', chart, ...secret]);
    expect(plain).not.toContain('TONGBAN_MAX_EXTENSION_HOURS');
    expect(plain).not.toContain('TONGBAN_SLA_CONFIG');
    expect(plain).not.toContain('sla-config');
    const out = run(['template', 'tb', chart, ...secret, '--set', 'maxExtensionHours=240',
      '--set-json', 'slaConfig={"calendarByServiceCode":{"sanitation":"cn-working-hours"}}']);
    expect(out).toContain('- name: TONGBAN_MAX_EXTENSION_HOURS\n              value: "240"');
    expect(out).toContain('name: tb-tongban-sla-config');
    expect(out).toContain('sla-config.json: "{\\"calendarByServiceCode\\":{\\"sanitation\\":\\"cn-working-hours\\"}}"');
    const intake = out.split('---').find((doc) => doc.includes('kind: Deployment') && doc.includes('name: tb-tongban-intake\n')) ?? '';
    expect(intake).toContain('- name: TONGBAN_SLA_CONFIG\n              value: "/etc/tongban/sla/sla-config.json"');
    expect(intake).toContain('mountPath: /etc/tongban/sla');
    expect(out.match(/name: TONGBAN_SLA_CONFIG/g)).toHaveLength(1);
  });

  it('refuses to render without a JWT secret', () => {
    expect(() => run(['template', 'tb', chart])).toThrow(/jwtSecret must be set/);
  });

  it('puts webhook subscriptions in a Secret read only by the notification service', () => {
    const out = run(['template', 'tb', chart, ...secret, '--set', 'webhooks[0].id=county', '--set', 'webhooks[0].url=https://example.org/hook', '--set', 'webhooks[0].secret=s3cret']);
    expect(out).toContain('name: tb-tongban-webhooks');
    expect(out.match(/name: TONGBAN_WEBHOOKS/g)).toHaveLength(1);
    expect(run(['template', 'tb', chart, ...secret])).not.toContain('TONGBAN_WEBHOOKS');
  });
});
