import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { signToken } from '@tongban/auth';
import { SERVICE_NAMES } from '@tongban/runtime';
import { FAKE_SIGNING_KEY, startFakeUpstreams, type FakeUpstreams } from './testing/fake-upstreams';

/** The gateway as a real process (main.ts via tsx): listening, swagger-ui, a round trip, graceful stop. */

const ROOT = join(__dirname, '..', '..', '..');
/** The gateway as one real node process (tsx as a loader, not the tsx CLI, whose child would outlive a SIGKILL). */
const gateway = (env: NodeJS.ProcessEnv) => spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services', 'gateway', 'src', 'main.ts')], { cwd: ROOT, env });

let fakes: FakeUpstreams;
let child: ChildProcessWithoutNullStreams;
let base: string;
let output = '';
/**
 * How long a gateway process may take to listen, ms: generous (as web-apps.int.test.ts), since test files start
 * processes side by side on a busy 2-core machine and a fresh clone's first tsx start compiles every source.
 */
const START_TIMEOUT_MS = 60_000;

function waitForPort(proc: ChildProcessWithoutNullStreams): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), START_TIMEOUT_MS);
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('gateway listening')) continue;
        const { port } = JSON.parse(line) as { port: number };
        clearTimeout(timer);
        resolve(port);
        return;
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    proc.on('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
}

beforeAll(async () => {
  fakes = await startFakeUpstreams();
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [`${s.toUpperCase()}_ADDR`, fakes.address]));
  // HOST unset: the gateway listens on loopback only.
  const env: NodeJS.ProcessEnv = { ...process.env, ...addresses, PORT: '0', LOG_LEVEL: 'info' };
  delete env['TONGBAN_TEST_CLOCK'];
  delete env['HOST'];
  child = gateway(env);
  base = `http://127.0.0.1:${await waitForPort(child)}`;
}, START_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await fakes.stop();
});

it('listens on 127.0.0.1 when HOST is unset', () => {
  expect(output).toMatch(/gateway listening on http:\/\/127\.0\.0\.1:\d+/);
});

it('refuses a non-loopback HOST while identity signs with the generated installation key, and allows it with a configured key', async () => {
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [`${s.toUpperCase()}_ADDR`, fakes.address]));
  const env: NodeJS.ProcessEnv = { ...process.env, ...addresses, PORT: '0', HOST: '0.0.0.0', LOG_LEVEL: 'info' };
  delete env['TONGBAN_TEST_CLOCK'];
  fakes.behaviour = (method) => method === 'identity.getVerificationKeys'
    ? { response: { jwksJson: JSON.stringify({ keys: [FAKE_SIGNING_KEY.publicJwk] }), currentKid: FAKE_SIGNING_KEY.kid, generated: true } }
    : undefined;
  try {
    const refused = gateway(env);
    let text = '';
    refused.stdout.on('data', (c: Buffer) => { text += c.toString(); });
    refused.stderr.on('data', (c: Buffer) => { text += c.toString(); });
    const code = await new Promise<number | null>((resolve) => refused.on('exit', resolve));
    expect(code).toBe(1);
    expect(text).toContain('refusing to listen on HOST=0.0.0.0');
    expect(text).toContain('TONGBAN_JWT_SECRET');
  } finally {
    fakes.behaviour = () => undefined;
  }
  const allowed = gateway(env);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`not listening:\n${text}`)), START_TIMEOUT_MS);
      allowed.stdout.on('data', (c: Buffer) => {
        text += c.toString();
        const match = /"port":(\d+)/.exec(text);
        if (match && text.includes('gateway listening')) { clearTimeout(timer); resolve(Number(match[1])); }
      });
    });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  } finally {
    allowed.kill('SIGKILL');
  }
}, 2 * START_TIMEOUT_MS + 10_000);

it('serves swagger-ui at /docs and the OpenAPI document', async () => {
  const ui = await fetch(`${base}/docs/`);
  expect(ui.status).toBe(200);
  expect(ui.headers.get('content-type')).toMatch(/text\/html/);
  const doc = await (await fetch(`${base}/openapi.json`)).json() as { paths: Record<string, unknown> };
  expect(doc.paths['/api/v1/tickets/{id}/escalate']).toBeDefined();
});

it('submits a ticket through a real process and knows no test clock without the flag', async () => {
  const token = await signToken({ kind: 'citizen', id: 'device-7' }, FAKE_SIGNING_KEY, new Date());
  const res = await fetch(`${base}/api/v1/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ service_code: 'road-damage', division: '513437100001', title: 'Pothole', description: 'Deep' }),
  });
  expect(res.status).toBe(201);
  expect(fakes.callsTo('intake.submitTicket')).toHaveLength(1);
  const clock = await fetch(`${base}/api/v1/test/clock`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"now":"2015-06-01T00:00:00Z"}' });
  expect(clock.status).toBe(404);
});

it('stops cleanly on SIGTERM', async () => {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(output).toContain('gateway stopped');
}, 15_000);
