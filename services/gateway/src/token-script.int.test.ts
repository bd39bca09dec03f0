import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signingKeyFromSecret, staticKeys, verifyToken } from '@tongban/auth';
import { createPool } from '@tongban/eventstore';
import { createTestDatabase } from '@tongban/testing';
import { loadKeyRing } from '../../identity/src/signing-keys';

/** scripts/token.ts as a child process (tsx), as `npm run -s token -- …` runs it. */

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SECRET = 'token-script-test-secret-0123456789-abcdefgh';
/**
 * Time for one test, ms: up to four runs of the command, each a tsx process (two node processes) loading the
 * workspace's TypeScript — seconds each when other test files run beside it on a busy 2-core machine.
 */
const CLI_TEST_TIMEOUT_MS = 90_000;

async function token(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(TSX, [join(ROOT, 'scripts', 'token.ts'), ...args], { cwd: ROOT, env: { ...process.env, TONGBAN_JWT_SECRET: SECRET } });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

it('prints only a token for the seeded admin of the township of a village', async () => {
  const { stdout, code } = await token('--role', 'admin', '--division', '513437100001');
  expect(code).toBe(0);
  expect(stdout.trim().split('\n')).toHaveLength(1);
  await expect(verifyToken(stdout.trim(), staticKeys([signingKeyFromSecret(SECRET).publicJwk]))).resolves.toEqual({
    kind: 'staff', id: 'admin@adm-513437100', role: 'admin', unitId: 'adm-513437100', division: '513437100',
  });
}, CLI_TEST_TIMEOUT_MS);

it('issues department, supervisor, auditor and information-officer tokens', async () => {
  const key = staticKeys([signingKeyFromSecret(SECRET).publicJwk]);
  const claims = async (...args: string[]) => verifyToken((await token(...args)).stdout.trim(), key);
  const [department, supervisor, auditor, officer] = await Promise.all([
    claims('--role', 'department', '--division', '513437100001', '--department', 'water'),
    claims('--role', 'supervisor', '--division', '513437'),
    claims('--role', 'auditor', '--division', '513437100001'),
    claims('--role', 'information-officer', '--division', '513437100001'),
  ]);
  expect(department).toEqual({ kind: 'staff', id: 'department@dep-513437-water', role: 'department', unitId: 'dep-513437-water', division: '513437', department: 'water' });
  expect(supervisor).toEqual({ kind: 'staff', id: 'supervisor@adm-513437', role: 'supervisor', unitId: 'adm-513437', division: '513437' });
  expect(auditor).toEqual({ kind: 'staff', id: 'auditor@adm-5134', role: 'auditor', unitId: 'adm-5134', division: '5134' });
  expect(officer).toEqual({ kind: 'staff', id: 'information-officer@adm-513437100', role: 'information-officer', unitId: 'adm-513437100', division: '513437100001' });
}, CLI_TEST_TIMEOUT_MS);

it('explains a request it cannot satisfy on stderr and exits 2', async () => {
  const supervisor = await token('--role', 'supervisor', '--division', '513437100');
  expect(supervisor).toMatchObject({ code: 2, stdout: '' });
  expect(supervisor.stderr).toMatch(/county or prefecture level.*513437/);
  const department = await token('--role', 'department', '--division', '513437100001');
  expect(department).toMatchObject({ code: 2, stdout: '' });
  expect(department.stderr).toMatch(/--department/);
  expect(await token('--role', 'admin', '--division', '999')).toMatchObject({ code: 2, stdout: '' });
}, CLI_TEST_TIMEOUT_MS);

describe('without TONGBAN_JWT_SECRET', () => {
  const plain = async (env: NodeJS.ProcessEnv, ...args: string[]) => {
    const base = { ...process.env, ...env };
    delete base['TONGBAN_JWT_SECRET'];
    try {
      const { stdout, stderr } = await run(TSX, [join(ROOT, 'scripts', 'token.ts'), ...args], { cwd: ROOT, env: base });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  };

  it('signs with the installation key kept in the database (the key identity uses), logging nothing secret', async () => {
    const db = await createTestDatabase();
    try {
      const { stdout, stderr, code } = await plain({ DATABASE_URL: db.url }, '--role', 'admin', '--division', '513437100');
      expect(code).toBe(0);
      expect(stderr).toBe('');
      const pool = createPool(db.url, { max: 1 });
      const ring = await loadKeyRing({}, pool).finally(() => pool.end());
      expect(ring.generated).toBe(true);
      await expect(verifyToken(stdout.trim(), staticKeys(ring.verification))).resolves.toMatchObject({ id: 'admin@adm-513437100' });
    } finally {
      await db.drop();
    }
  }, CLI_TEST_TIMEOUT_MS);

  it('refuses in production, naming the variable', async () => {
    const { stdout, stderr, code } = await plain({ NODE_ENV: 'production' }, '--role', 'admin', '--division', '513437100');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/TONGBAN_JWT_SECRET must be set/);
  }, CLI_TEST_TIMEOUT_MS);
});
