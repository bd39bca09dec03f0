import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config';
import { PROCESS_NAMES, SETTINGS, describeSettings, loadSettings, settingsOf, settingsSchema, withSettingsTable } from './settings';

const ROOT = join(__dirname, '..', '..', '..');

/** Non-test TypeScript files under `dir` (no node_modules, dist, generated code). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (['node_modules', 'dist', 'generated'].includes(entry)) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(entry) && !/\.test\.ts$/.test(entry) ? [path] : [];
  });
}

describe('declared settings (issue 12 item 1)', () => {
  it('a wrong value stops the process with one line naming the variable, the value and what is allowed', () => {
    expect(() => loadSettings('relay', { TONGBAN_POLL_MS: 'abc' })).toThrow(new ConfigError('TONGBAN_POLL_MS="abc" is not allowed: must be a positive number'));
    expect(() => loadSettings('query', { TONGBAN_ANCHOR_INTERVAL_MS: '60s' })).toThrow('TONGBAN_ANCHOR_INTERVAL_MS="60s" is not allowed: must be a whole number ≥ 0 (0: off in this replica)');
    expect(() => loadSettings('gateway', { PORT: '80a' })).toThrow('PORT="80a" is not allowed: must be a port number from 0 to 65535');
    expect(() => loadSettings('intake', { INTAKE_ADDR: 'localhost' })).toThrow(/^INTAKE_ADDR="localhost" is not allowed: must be host:port/);
    expect(() => loadSettings('deadline', { LOG_LEVEL: 'verbose' })).toThrow('LOG_LEVEL="verbose" is not allowed: must be one of fatal, error, warn, info, debug, trace, silent');
    expect(() => loadSettings('notification', { TONGBAN_SMS_PROVIDER: 'twilio' })).toThrow('TONGBAN_SMS_PROVIDER="twilio" is not allowed: must be one of aliyun, tencent, log');
    expect(() => loadSettings('gateway', { TONGBAN_RATE_LIMIT_IP_PER_MINUTE: '-1' })).toThrow(ConfigError);
    // a secret is never repeated in the error line
    expect(() => loadSettings('identity', { TONGBAN_JWT_SECRET: 'short' })).toThrow('TONGBAN_JWT_SECRET="********" is not allowed: must be at least 32 bytes');
    expect(() => loadSettings('relay', { DATABASE_URL: 'mysql://u:hunter2@db/x' })).toThrow('DATABASE_URL="mysql://u:***@db/x" is not allowed');
  });

  it('each process checks only what it reads; unset and empty mean the default', () => {
    expect(loadSettings('relay', { TONGBAN_SMS_PROVIDER: 'twilio', TONGBAN_POLL_MS: '', PORT: '8080' })).toEqual({ PORT: '8080' });
    expect(settingsOf('deadline').map((s) => s.name)).toContain('TONGBAN_TIMER_BATCH');
    expect(settingsOf('gateway').map((s) => s.name)).not.toContain('TONGBAN_TIMER_BATCH');
    for (const name of PROCESS_NAMES) expect(Object.keys(settingsSchema(name).shape)).toEqual(settingsOf(name).map((s) => s.name));
    expect(loadSettings('notification', {
      NATS_URL: 'nats://127.0.0.1:4222,nats://127.0.0.1:4223', TONGBAN_WEBHOOKS: '[]', TONGBAN_SMTP_URL: 'smtp://u:p@mail:25', HOST: '::', INTAKE_ADDR: '[::1]:50051',
    })).toMatchObject({ TONGBAN_WEBHOOKS: '[]' });
  });

  it('npm run config shows the effective values, secrets and URL passwords masked', () => {
    const lines = describeSettings('identity', { DATABASE_URL: 'postgres://tongban:s3cret@db:5432/tongban', TONGBAN_JWT_SECRET: 'x'.repeat(40) });
    expect(lines.find((l) => l.name === 'DATABASE_URL')).toEqual({ name: 'DATABASE_URL', value: 'postgres://tongban:***@db:5432/tongban', source: 'env' });
    expect(lines.find((l) => l.name === 'TONGBAN_JWT_SECRET')).toEqual({ name: 'TONGBAN_JWT_SECRET', value: '********', source: 'env' });
    expect(lines.find((l) => l.name === 'TONGBAN_POLL_MS')).toEqual({ name: 'TONGBAN_POLL_MS', value: '1000', source: 'default' });
    expect(JSON.stringify(lines)).not.toMatch(/s3cret|xxxxxxxx/);
  });

  it('every variable the processes read is declared (no setting outside the schema)', () => {
    const declared = new Set(SETTINGS.map((s) => s.name));
    // Read by tools, not by the platform's processes: npm start/stop (pid file), the audit CLI.
    const tools = new Set(['TONGBAN_PID_FILE', 'TONGBAN_API_URL', 'TONGBAN_TOKEN']);
    const read = new Set<string>();
    for (const file of [...sources(join(ROOT, 'services')), ...sources(join(ROOT, 'packages'))]) {
      if (file.includes(`${join('packages', 'testing')}`)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/\b(TONGBAN_[A-Z0-9_]*[A-Z0-9]|[A-Z]+_ADDR)\b/g)) read.add(m[1]!);
    }
    const undeclared = [...read].filter((name) => !declared.has(name) && !tools.has(name));
    expect(undeclared).toEqual([]);
  });

  it('README.md: the settings table is the one generated from the schema (npm run settings:doc)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
  });
});
