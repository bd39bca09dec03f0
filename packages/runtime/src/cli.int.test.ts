import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm run -s config -- gateway | head`: the reader of stdout closes early. A process (a real one, its
 * stdout a pipe that this test closes after the first chunk) writing far more than a pipe holds must end
 * quietly with exit 0 when it called endQuietlyWhenStdoutCloses, and crash with EPIPE when it did not.
 */
async function closeEarly(withHelper: boolean): Promise<{ code: number | null; stderr: string }> {
  const helper = join(__dirname, 'cli.ts');
  const script = `${withHelper ? `require(${JSON.stringify(helper)}).endQuietlyWhenStdoutCloses();` : ''}
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 2000; i++) console.log(line);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  return { code, stderr };
}

it('ends quietly with exit 0 when stdout closes early', async () => {
  expect(await closeEarly(true)).toEqual({ code: 0, stderr: '' });
});

it('without it the same process crashes on EPIPE (what the operator commands did)', async () => {
  const { code, stderr } = await closeEarly(false);
  expect(code).not.toBe(0);
  expect(stderr).toContain('EPIPE');
});
