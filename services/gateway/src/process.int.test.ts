import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { signToken, signingKey } from '@tongban/auth';
import { SERVICE_NAMES } from '@tongban/runtime';
import { startFakeUpstreams, type FakeUpstreams } from './fake-upstreams';

/** The gateway as a real process (main.ts via tsx): listening, swagger-ui, a round trip, graceful stop. */

const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SECRET = 'gateway-process-test-secret-0123456789-abcdef';

let fakes: FakeUpstreams;
let child: ChildProcessWithoutNullStreams;
let base: string;
let output = '';

function waitForPort(proc: ChildProcessWithoutNullStreams): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 20_000);
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
  const env: NodeJS.ProcessEnv = { ...process.env, ...addresses, PORT: '0', HOST: '127.0.0.1', TONGBAN_JWT_SECRET: SECRET, LOG_LEVEL: 'info' };
  delete env['TONGBAN_TEST_CLOCK'];
  child = spawn(TSX, [join(ROOT, 'services', 'gateway', 'src', 'main.ts')], { cwd: ROOT, env });
  base = `http://127.0.0.1:${await waitForPort(child)}`;
}, 30_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await fakes.stop();
});

it('serves swagger-ui at /docs and the OpenAPI document', async () => {
  const ui = await fetch(`${base}/docs/`);
  expect(ui.status).toBe(200);
  expect(ui.headers.get('content-type')).toMatch(/text\/html/);
  const doc = await (await fetch(`${base}/openapi.json`)).json() as { paths: Record<string, unknown> };
  expect(doc.paths['/api/v1/tickets/{id}/escalate']).toBeDefined();
});

it('submits a ticket through a real process and knows no test clock without the flag', async () => {
  const token = await signToken({ kind: 'citizen', id: 'device-7' }, signingKey(SECRET), new Date());
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
