/**
 * Issue 12 item 1 on real processes: a wrong setting stops a process (and `npm start`) with one line naming
 * the variable, the value and what is allowed, before it connects to anything; `npm run config` prints the
 * effective settings with secrets masked.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Runs a TypeScript entry point as a real Node.js process; resolves with its exit code and output lines. */
function run(entry: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; lines: string[]; ms: number }> {
  const started = Date.now();
  // Nothing reachable: a process that got past its settings would wait for PostgreSQL and NATS, not exit.
  const base: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: 'postgres://u:pw@127.0.0.1:1/none', NATS_URL: 'nats://127.0.0.1:1', TONGBAN_PID_FILE: '/tmp/tongban-settings-test.pid' };
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, lines: out.split('\n').filter((l) => l.trim() !== ''), ms: Date.now() - started })));
}

describe('settings refused at start (one line: variable, value, what is allowed)', () => {
  it.each([
    ['relay', 'services/relay/src/main.ts', { TONGBAN_POLL_MS: 'abc' }, 'relay failed to start: TONGBAN_POLL_MS="abc" is not allowed: must be a positive number'],
    ['deadline', 'services/deadline/src/main.ts', { TONGBAN_TIMER_BATCH: '1.5' }, 'deadline failed to start: TONGBAN_TIMER_BATCH="1.5" is not allowed: must be a positive whole number'],
    ['query', 'services/query/src/main.ts', { TONGBAN_ANCHOR_INTERVAL_MS: '60s' }, 'query failed to start: TONGBAN_ANCHOR_INTERVAL_MS="60s" is not allowed: must be a whole number ≥ 0 (0: off in this replica)'],
    ['notification', 'services/notification/src/main.ts', { TONGBAN_NOTIFY_CLAIM_LEASE_MS: '30s' }, 'notification failed to start: TONGBAN_NOTIFY_CLAIM_LEASE_MS="30s" is not allowed: must be a positive number'],
    ['identity', 'services/identity/src/main.ts', { TONGBAN_JWT_SECRET: 'too short' }, 'identity failed to start: TONGBAN_JWT_SECRET="********" is not allowed: must be at least 32 bytes'],
    ['gateway', 'services/gateway/src/main.ts', { PORT: 'eighty' }, 'gateway failed to start: PORT="eighty" is not allowed: must be a port number from 0 to 65535'],
  ])('%s', async (_name, entry, env, line) => {
    const r = await run(entry, env);
    expect(r.lines).toEqual([line]);
    expect(r.code).toBe(1);
  }, 60_000);

  it('npm start refuses before starting anything, naming the variable', async () => {
    const r = await run('scripts/start.ts', { INTAKE_ADDR: 'intake' });
    expect(r.lines).toEqual(['Tongban failed to start: INTAKE_ADDR="intake" is not allowed: must be host:port (port 1–65535; an IPv6 host in brackets)']);
    expect(r.code).toBe(1);
  }, 60_000);

  it('npm start refuses a webhook or unit contact that is valid JSON but wrong inside, before starting anything (not the notification service exiting later)', async () => {
    const hook = { id: 'county', url: 'https://hooks.example.org/tongban', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', kinds: ['withdraw'] };
    const r = await run('scripts/start.ts', { TONGBAN_WEBHOOKS: JSON.stringify([hook]) });
    expect(r.lines).toEqual([expect.stringMatching(/^Tongban failed to start: notification: TONGBAN_WEBHOOKS\[0\]: .*unknown notice kind\(s\) "withdraw"/)]);
    expect(r.code).toBe(1);
    const contacts = await run('scripts/start.ts', { TONGBAN_NOTIFY_CONTACTS: JSON.stringify([{ unit: 'adm-513437100', phone: '12345' }]) });
    expect(contacts.lines).toEqual(['Tongban failed to start: notification: TONGBAN_NOTIFY_CONTACTS[0]: phone must be a mainland mobile number']);
    expect(contacts.code).toBe(1);
  }, 60_000);
});

describe('npm run config', () => {
  it('prints the effective settings of the chosen process, set or default, secrets masked', async () => {
    const r = await run('scripts/config.ts', {
      TONGBAN_JWT_SECRET: 's'.repeat(40), DATABASE_URL: 'postgres://tongban:hunter2@db.internal:5432/tongban', TONGBAN_POLL_MS: '150',
    }, ['identity']);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toBe('# identity');
    const line = (name: string) => r.lines.find((l) => l.startsWith(`${name}=`))?.replace(/\s+/g, ' ');
    expect(line('DATABASE_URL')).toBe('DATABASE_URL=postgres://tongban:***@db.internal:5432/tongban (set)');
    expect(line('TONGBAN_JWT_SECRET')).toBe('TONGBAN_JWT_SECRET=******** (set)');
    expect(line('TONGBAN_POLL_MS')).toBe('TONGBAN_POLL_MS=150 (set)');
    expect(line('TONGBAN_AUTO_CLOSE_DAYS')).toBe('TONGBAN_AUTO_CLOSE_DAYS=7 (default)');
    expect(line('TONGBAN_TIMER_BATCH')).toBeUndefined(); // deadline's, not identity's
    expect(r.lines.join('\n')).not.toMatch(/hunter2|ssssssss/);
  }, 60_000);

  it('an invalid value: its line, exit 1; an unknown process: exit 2', async () => {
    const bad = await run('scripts/config.ts', { TONGBAN_SLA_POLICY_SET: 'beijing' }, ['intake']);
    expect(bad.lines).toEqual(['intake: TONGBAN_SLA_POLICY_SET="beijing" is not allowed: must be one of default, sichuan']);
    expect(bad.code).toBe(1);
    expect((await run('scripts/config.ts', {}, ['gatway'])).code).toBe(2);
    // The notification service's webhooks, contacts and SMS settings are checked in full, as at its start.
    const sms = await run('scripts/config.ts', { TONGBAN_SMS_PROVIDER: 'aliyun' }, ['notification']);
    expect(sms.lines).toEqual(['notification: TONGBAN_SMS_PROVIDER=aliyun needs TONGBAN_SMS_ACCESS_KEY_ID']);
    expect(sms.code).toBe(1);
  }, 60_000);
});
