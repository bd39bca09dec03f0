/**
 * The Helm chart lints (default and production values), renders a Deployment per process running a file
 * the image compiles (dist/<name>.js), wires every service address, never sets the test clock, gives the signing secret and single sign-on settings to
 * identity only, and generates the secrets that are not given. Uses .tools/helm (scripts/install-helm.sh,
 * run by .ci/run); where it is absent the test says so and is skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DIST_ENTRIES } from '../../scripts/build-dist';

const root = join(__dirname, '..', '..');
const helm = join(root, '.tools', 'helm');
const chart = join(root, 'charts', 'tongban');
const secret = ['--set', 'jwtSecret=0123456789abcdef0123456789abcdef'];
const run = (args: string[]) => execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const maybe = existsSync(helm) ? describe : describe.skip;
if (!existsSync(helm)) console.warn('skipped: .tools/helm missing (run scripts/install-helm.sh)');

const PROCESSES = ['gateway', 'identity', 'intake', 'routing', 'casework', 'deadline', 'notification', 'query', 'relay'];

/** A rendered manifest (only the fields these tests read). */
interface Manifest { kind: string; metadata: { name: string }; spec: any }

/** The chart rendered with `args`, parsed. */
function render(...args: string[]): Manifest[] {
  return parseAllDocuments(run(['template', 'tb', chart, ...secret, ...args])).map((d) => d.toJS() as Manifest).filter(Boolean);
}

/**
 * The ports a container's process really opens, from its environment: the gateway PORT (http), a
 * service's own *_ADDR port (grpc; deadline and relay have none), TONGBAN_HEALTH_PORT (health). This is
 * what the processes bind (see grpcListenAddress, startHealthServer, the gateway's main.ts).
 */
function portsOpened(process: string, env: { name: string; value?: string }[]): Map<string, number> {
  const value = (name: string) => env.find((e) => e.name === name)?.value;
  const opened = new Map<string, number>();
  if (process === 'gateway') opened.set('http', Number(value('PORT')));
  else {
    opened.set('health', Number(value('TONGBAN_HEALTH_PORT')));
    const addr = value(`${process.toUpperCase()}_ADDR`);
    if (addr && !['deadline', 'relay'].includes(process)) opened.set('grpc', Number(addr.split(':').pop()));
  }
  return opened;
}

maybe('helm chart', () => {
  it.each([['default values', []], ['values-production.yaml', ['-f', join(chart, 'values-production.yaml')]]])(
    'every probe of every Deployment targets a port its process opens (%s)', (_label, args) => {
      const deployments = render(...(args)).filter((m) => m.kind === 'Deployment');
      expect(deployments.map((d) => d.metadata.name.replace('tb-tongban-', '')).sort()).toEqual([...PROCESSES].sort());
      for (const d of deployments) {
        const process = d.metadata.name.replace('tb-tongban-', '');
        const container = d.spec.template.spec.containers[0];
        const opened = portsOpened(process, container.env);
        const declared = new Map<string, number>((container.ports as { name: string; containerPort: number }[]).map((p) => [p.name, p.containerPort]));
        for (const [name, port] of declared) expect([process, name, opened.get(name)]).toEqual([process, name, port]);
        for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          const probe = container[kind];
          expect([process, kind, probe !== undefined]).toEqual([process, kind, true]);
          const target = probe.grpc?.port ?? probe.httpGet?.port;
          const port = typeof target === 'number' ? target : declared.get(target);
          expect([process, kind, [...opened.values()].includes(port as number)]).toEqual([process, kind, true]);
        }
        // Readiness must say more than "the port is open": gRPC health or /readyz.
        expect([process, container.readinessProbe.tcpSocket]).toEqual([process, undefined]);
        if (opened.has('grpc')) expect(container.readinessProbe.grpc.port).toBe(opened.get('grpc'));
        else expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      }
    });

  it('runs every process as non-root with a read-only root file system, resources and a PodDisruptionBudget', () => {
    const manifests = render();
    const pdbs = new Set(manifests.filter((m) => m.kind === 'PodDisruptionBudget').map((m) => m.metadata.name));
    for (const d of manifests.filter((m) => m.kind === 'Deployment')) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      const c = pod.containers[0];
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(pdbs).toContain(d.metadata.name);
      expect(c.env).toContainEqual({ name: 'TONGBAN_GRPC_HOST', value: '0.0.0.0' });
    }
  });

  it('lets only the gateway be reached from outside; HPA and ServiceMonitor only when asked', () => {
    const plain = render();
    expect(plain.filter((m) => m.kind === 'NetworkPolicy').map((m) => m.metadata.name).sort()).toEqual(['tb-tongban-gateway', 'tb-tongban-internal']);
    const internal = plain.find((m) => m.metadata.name === 'tb-tongban-internal')!;
    expect(internal.spec.podSelector.matchExpressions).toEqual([{ key: 'app.kubernetes.io/component', operator: 'NotIn', values: ['gateway'] }]);
    expect(internal.spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'tb' } } }]);
    expect(plain.some((m) => m.kind === 'HorizontalPodAutoscaler' || m.kind === 'ServiceMonitor')).toBe(false);
    const prod = render('--set', 'autoscaling.enabled=true', '--set', 'serviceMonitor.enabled=true');
    expect(prod.filter((m) => m.kind === 'HorizontalPodAutoscaler').map((m) => m.metadata.name.replace('tb-tongban-', '')).sort())
      .toEqual(['casework', 'gateway', 'identity', 'intake', 'notification', 'query', 'routing']);
    expect(prod.filter((m) => m.kind === 'ServiceMonitor')).toHaveLength(1);
  });

  it('runs every migration in a pre-install/pre-upgrade hook Job, with the processes\' image, database and security; off when disabled', () => {
    const manifests = render();
    const jobs = manifests.filter((m) => m.kind === 'Job');
    expect(jobs.map((j) => j.metadata.name)).toEqual(['tb-tongban-migrations']);
    const job = jobs[0] as Manifest & { metadata: { annotations: Record<string, string> } };
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const c = pod.containers[0];
    expect(c.args).toEqual(['dist/migrate.js']);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const relay = manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === 'tb-tongban-relay')!.spec.template.spec.containers[0];
    expect(c.image).toBe(relay.image);
    expect(c.env.find((e: { name: string }) => e.name === 'DATABASE_URL')).toEqual(relay.env.find((e: { name: string }) => e.name === 'DATABASE_URL'));
    expect(DIST_ENTRIES['migrate']).toBe('services/relay/src/migrate-all.ts');
    expect(render('--set', 'migrations.enabled=false').some((m) => m.kind === 'Job')).toBe(false);
  });

  it('runs in every container a file the image builds (dist/<name>.js from scripts/build-dist.ts) with the image\'s node', () => {
    const manifests = render('-f', join(chart, 'values-production.yaml'), '--set', 'migrations.enabled=true');
    const pods = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Job').map((m) => [m.metadata.name, m.spec.template.spec.containers[0]] as const);
    expect(pods).toHaveLength(PROCESSES.length + 1);
    for (const [name, c] of pods) {
      expect([name, c.command]).toEqual([name, undefined]);
      const file = /^dist\/([a-z]+)\.js$/.exec(c.args[0])?.[1];
      expect([name, c.args.length, file !== undefined && file in DIST_ENTRIES]).toEqual([name, 1, true]);
      expect([name, existsSync(join(root, DIST_ENTRIES[file!]!))]).toEqual([name, true]);
    }
    // The Dockerfile builds those files and runs them with node (no tsx), non-root, in production mode.
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('npm run build:dist');
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toContain('ENV NODE_ENV=production');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]$/m);
    expect(dockerfile).not.toMatch(/^[^#]*tsx/m);
  });

  it('takes DATABASE_URL from an existing Secret (CloudNativePG\'s <cluster>-app, key uri) when databaseUrlSecretRef names one', () => {
    const manifests = render('--set', 'databaseUrlSecretRef.name=tongban-db-app');
    const pods = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'Job');
    for (const p of pods) {
      const env = p.spec.template.spec.containers[0].env as { name: string }[];
      expect([p.metadata.name, env.filter((e) => e.name === 'DATABASE_URL')])
        .toEqual([p.metadata.name, [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'tongban-db-app', key: 'uri' } } }]]);
    }
    expect(JSON.stringify(manifests)).not.toContain('postgres://tongban@postgres');
  });

  it('lints', () => {
    expect(run(['lint', chart, ...secret])).toContain('0 chart(s) failed');
    expect(run(['lint', chart, '-f', join(chart, 'values-production.yaml')])).toContain('0 chart(s) failed');
  });

  it('renders every process with the service addresses and without the test clock', () => {
    const out = run(['template', 'tb', chart, ...secret]);
    for (const name of PROCESSES) {
      expect(out).toContain(`name: tb-tongban-${name}\n`);
      expect(out).toContain(`args: ["dist/${name}.js"]`);
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

  it('says who calls reporters back (TONGBAN_CALLBACK_BY, first responder by default) and refuses anything else', () => {
    expect(run(['template', 'tb', chart, ...secret])).toContain('- name: TONGBAN_CALLBACK_BY\n              value: "first-responder"');
    expect(run(['template', 'tb', chart, ...secret, '--set', 'callbackBy=hotline'])).toContain('- name: TONGBAN_CALLBACK_BY\n              value: "hotline"');
    expect(() => run(['template', 'tb', chart, ...secret, '--set', 'callbackBy=citizen'])).toThrow(/callbackBy must be first-responder or hotline/);
  });

  it('turns tracing on in every process only with tracing.otlpEndpoint, sampled whole by tracing.sampleRatio', () => {
    const otelOf = (manifests: Manifest[]) => manifests.filter((m) => m.kind === 'Deployment').map((m) => [m.metadata.name,
      Object.fromEntries((m.spec.template.spec.containers[0].env as { name: string; value?: string }[]).filter((e) => e.name.startsWith('OTEL_')).map((e) => [e.name, e.value]))]);
    expect(otelOf(render()).filter(([, env]) => Object.keys(env as object).length > 0)).toEqual([]);
    const on = otelOf(render('--set', 'tracing.otlpEndpoint=http://otel-collector:4318', '--set', 'tracing.sampleRatio=0.1'));
    expect(on).toHaveLength(PROCESSES.length);
    for (const [name, env] of on) {
      expect([name, env]).toEqual([name, {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1',
      }]);
    }
    expect(() => run(['template', 'tb', chart, ...secret, '--set', 'tracing.otlpEndpoint=http://otel:4318', '--set', 'tracing.protocol=grpc'])).toThrow(/tracing.protocol must be http\/protobuf or http\/json/);
  });

  it('sets the JetStream replicas of the platform streams (3 on a NATS cluster) and the lag bound', () => {
    expect(run(['template', 'tb', chart, ...secret])).toContain('- name: TONGBAN_NATS_REPLICAS\n              value: "1"');
    const out = run(['template', 'tb', chart, ...secret, '--set', 'natsReplicas=3', '--set', 'consumerLagWarnSeconds=10']);
    // The nine processes and the migrations Job.
    expect(out.match(/- name: TONGBAN_NATS_REPLICAS\n\s+value: "3"/g)).toHaveLength(10);
    expect(out).toContain('- name: TONGBAN_CONSUMER_LAG_WARN_SECONDS\n              value: "10"');
  });

  it('generates the signing secret and bootstrap password when not given, kept across upgrades, and refuses a short one', () => {
    const out = run(['template', 'tb', chart]);
    const secretDoc = out.split('---').find((doc) => doc.includes('kind: Secret') && doc.includes('name: tb-tongban-secret')) ?? '';
    expect(secretDoc).toMatch(/jwt-secret: "[A-Za-z0-9]{64}"/);
    expect(secretDoc).toMatch(/bootstrap-password: "[A-Za-z0-9]{24}"/);
    expect(secretDoc).toContain('helm.sh/resource-policy: keep');
    expect(run(['template', 'tb', chart, ...secret])).toContain('jwt-secret: "0123456789abcdef0123456789abcdef"');
    expect(() => run(['template', 'tb', chart, '--set', 'jwtSecret=short'])).toThrow(/at least 32 bytes/);
  });

  it('gives the signing secret to identity only, runs in production mode and binds the gateway to every interface', () => {
    const out = run(['template', 'tb', chart, ...secret]);
    const deployments = out.split('---').filter((doc) => doc.includes('kind: Deployment'));
    const withSecret = deployments.filter((doc) => doc.includes('name: TONGBAN_JWT_SECRET'));
    expect(withSecret).toHaveLength(1);
    expect(withSecret[0]).toContain('name: tb-tongban-identity\n');
    expect(withSecret[0]).toContain('name: TONGBAN_BOOTSTRAP_PASSWORD');
    for (const doc of deployments) expect(doc).toContain('- name: NODE_ENV\n              value: production');
    const gateway = deployments.find((doc) => doc.includes('name: tb-tongban-gateway\n')) ?? '';
    expect(gateway).toContain('- name: HOST\n              value: "0.0.0.0"');
  });

  it('configures single sign-on in identity only: issuer, client id and redirect URL as values, the client secret from a Secret', () => {
    const oidc = ['--set', 'oidc.issuer=https://idp.example.gov.cn/realms/staff', '--set', 'oidc.clientId=tongban', '--set', 'oidc.redirectUrl=https://tongban.example.gov.cn/api/v1/auth/oidc/callback'];
    const envOf = (manifests: Manifest[], process: string) => manifests.find((m) => m.kind === 'Deployment' && m.metadata.name === `tb-tongban-${process}`)!
      .spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
    const given = render(...oidc, '--set', 'oidc.clientSecret=the-client-secret-0123');
    const identity = envOf(given, 'identity');
    const named = (name: string) => identity.find((e) => e.name === name);
    expect(named('TONGBAN_OIDC_ISSUER')?.value).toBe('https://idp.example.gov.cn/realms/staff');
    expect(named('TONGBAN_OIDC_CLIENT_ID')?.value).toBe('tongban');
    expect(named('TONGBAN_OIDC_REDIRECT_URL')?.value).toBe('https://tongban.example.gov.cn/api/v1/auth/oidc/callback');
    expect(named('TONGBAN_OIDC_CLIENT_SECRET')).toEqual({ name: 'TONGBAN_OIDC_CLIENT_SECRET', valueFrom: { secretKeyRef: { name: 'tb-tongban-secret', key: 'oidc-client-secret' } } });
    const secretDoc = given.find((m) => m.kind === 'Secret' && m.metadata.name === 'tb-tongban-secret') as unknown as { stringData: Record<string, string> };
    expect(secretDoc.stringData['oidc-client-secret']).toBe('the-client-secret-0123');
    // No other process gets any of it, and the secret's value is in no Deployment.
    for (const process of PROCESSES.filter((p) => p !== 'identity')) {
      expect([process, envOf(given, process).filter((e) => e.name.startsWith('TONGBAN_OIDC_'))]).toEqual([process, []]);
    }
    expect(given.filter((m) => m.kind === 'Deployment').map((m) => JSON.stringify(m)).some((doc) => doc.includes('the-client-secret-0123'))).toBe(false);

    // An existing Secret of the operator's.
    const ref = envOf(render(...oidc, '--set', 'oidc.clientSecretRef.name=idp-client', '--set', 'oidc.clientSecretRef.key=secret'), 'identity');
    expect(ref.find((e) => e.name === 'TONGBAN_OIDC_CLIENT_SECRET')?.valueFrom).toEqual({ secretKeyRef: { name: 'idp-client', key: 'secret' } });
    // Off by default; half a configuration is refused at render time, naming the missing value.
    expect(envOf(render(), 'identity').some((e) => e.name.startsWith('TONGBAN_OIDC_'))).toBe(false);
    expect(() => run(['template', 'tb', chart, ...secret, '--set', 'oidc.issuer=https://idp.example.gov.cn'])).toThrow(/oidc.clientId/);
    expect(() => run(['template', 'tb', chart, ...secret, ...oidc])).toThrow(/no client secret/);
    expect(envOf(render(...oidc, '--set', 'oidc.publicClient=true'), 'identity').some((e) => e.name === 'TONGBAN_OIDC_CLIENT_SECRET')).toBe(false);
  });

  it('puts webhook subscriptions in a Secret read only by the notification service', () => {
    const out = run(['template', 'tb', chart, ...secret, '--set', 'webhooks[0].id=county', '--set', 'webhooks[0].url=https://example.org/hook', '--set', 'webhooks[0].secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);
    expect(out).toContain('name: tb-tongban-webhooks');
    expect(out.match(/name: TONGBAN_WEBHOOKS/g)).toHaveLength(1);
    expect(run(['template', 'tb', chart, ...secret])).not.toContain('TONGBAN_WEBHOOKS');
  });
});
