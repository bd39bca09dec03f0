/**
 * Intake's Open311 parts against a real PostgreSQL: API keys (hashed, created, listed, revoked, also
 * through `npm run apikey`) and the retry window of Open311 submissions.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runMigrations } from '@tongban/eventstore';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import pg from 'pg';
import { ApiKeyError, createApiKey, listApiKeys, revokeApiKey, verifyApiKey } from './api-keys';
import { runApiKeyCommand } from './apikey-cli';
import { INTAKE_MIGRATIONS } from './migrations';
import { claimRetryWindow, retryWindowSeconds } from './open311-retries';

const ROOT = join(__dirname, '..', '..', '..');
let db: TestDatabase;
let pool: pg.Pool;
let now = new Date('2026-03-01T00:00:00Z');
const clock = { now: () => now };

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await runMigrations(pool, 'intake', INTAKE_MIGRATIONS);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('API keys', () => {
  it('creates a key per application, stores only a salted hash, and verifies it', async () => {
    const a = await createApiKey(pool, 'fixmystreet', clock);
    const b = await createApiKey(pool, 'fixmystreet', clock);
    expect(a.key).toMatch(/^tb311_[0-9a-f]{16}_[0-9a-f]{64}$/);
    expect(a.key).not.toBe(b.key);
    const { rows } = await pool.query<Record<string, string>>('SELECT * FROM intake_api_keys WHERE key_id = ANY($1)', [[a.keyId, b.keyId]]);
    const secretOf = (key: string) => key.split('_')[2]!;
    for (const row of rows) {
      expect(Object.values(row).map(String).some((v) => v.includes(secretOf(a.key)) || v.includes(secretOf(b.key)))).toBe(false);
    }
    expect(new Set(rows.map((r) => r['salt'])).size).toBe(2);
    await expect(verifyApiKey(pool, a.key)).resolves.toBe('fixmystreet');
    await expect(verifyApiKey(pool, b.key)).resolves.toBe('fixmystreet');
  });

  it('refuses wrong, malformed and revoked keys', async () => {
    const { key, keyId } = await createApiKey(pool, 'app-1', clock);
    const tampered = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    await expect(verifyApiKey(pool, tampered)).resolves.toBeUndefined();
    await expect(verifyApiKey(pool, 'nonsense')).resolves.toBeUndefined();
    await expect(verifyApiKey(pool, `tb311_${'f'.repeat(16)}_${'0'.repeat(64)}`)).resolves.toBeUndefined();
    const revoked = await revokeApiKey(pool, key, clock);
    expect(revoked).toMatchObject({ keyId, clientName: 'app-1', revokedAt: now.toISOString() });
    await expect(verifyApiKey(pool, key)).resolves.toBeUndefined();
    // Revoking again (here by id) keeps the first revocation time.
    now = new Date(now.getTime() + 1000);
    await expect(revokeApiKey(pool, `tb311_${keyId}`, clock)).resolves.toMatchObject({ revokedAt: revoked.revokedAt });
    await expect(revokeApiKey(pool, `tb311_${'e'.repeat(16)}`, clock)).rejects.toMatchObject({ code: 'unknown_key' });
    await expect(revokeApiKey(pool, 'x', clock)).rejects.toBeInstanceOf(ApiKeyError);
  });

  it('refuses bad and reserved application names', async () => {
    await expect(createApiKey(pool, '', clock)).rejects.toMatchObject({ code: 'invalid_name' });
    await expect(createApiKey(pool, 'has space', clock)).rejects.toMatchObject({ code: 'invalid_name' });
    await expect(createApiKey(pool, 'Public', clock)).rejects.toMatchObject({ code: 'reserved_name' });
  });

  it('is administered by the apikey command (create prints only the key; revoke; list)', async () => {
    const key = await runApiKeyCommand(pool, ['create', '--name', 'cli-app'], () => undefined);
    await expect(verifyApiKey(pool, key)).resolves.toBe('cli-app');
    expect(await runApiKeyCommand(pool, ['list'])).toMatch(/\tcli-app\tcreated .*\tactive/);
    expect(await runApiKeyCommand(pool, ['revoke', key])).toMatch(/^revoked tb311_[0-9a-f]{16} \(cli-app\)/);
    await expect(verifyApiKey(pool, key)).resolves.toBeUndefined();
    expect((await listApiKeys(pool)).find((k) => k.clientName === 'cli-app')?.revokedAt).not.toBeNull();
    await expect(runApiKeyCommand(pool, ['create'])).rejects.toThrow(/--name is required/);
  });

  it('runs as `npm run apikey` against DATABASE_URL', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, DATABASE_URL: db.url };
    const created = await run('npm', ['run', '-s', 'apikey', '--', 'create', '--name', 'npm-app'], { cwd: ROOT, env });
    const key = created.stdout.trim();
    expect(key).toMatch(/^tb311_[0-9a-f]{16}_[0-9a-f]{64}$/);
    await expect(verifyApiKey(pool, key)).resolves.toBe('npm-app');
    await run('npm', ['run', '-s', 'apikey', '--', 'revoke', key], { cwd: ROOT, env });
    await expect(verifyApiKey(pool, key)).resolves.toBeUndefined();
    await expect(run('npm', ['run', '-s', 'apikey', '--', 'create', '--name', 'public'], { cwd: ROOT, env })).rejects.toMatchObject({ code: 2 });
  }, 30_000);
});

describe('the retry window of Open311 submissions', () => {
  it('gives a retry of the same body from the same client and device the first ticket, within the window only', async () => {
    const deps = { pool, clock };
    const first = await claimRetryWindow(deps, 'open311:fms', 'dev-1', 'hash-a', 600);
    expect(first.replayed).toBe(false);
    expect(first.reference).toMatch(/^LS-2026-\d{6}$/);
    now = new Date(now.getTime() + 599_000);
    await expect(claimRetryWindow(deps, 'open311:fms', 'dev-1', 'hash-a', 600)).resolves.toEqual({ ...first, replayed: true });
    // Another body, device or client is another report.
    for (const [owner, device, hash] of [['open311:fms', 'dev-1', 'hash-b'], ['open311:fms', 'dev-2', 'hash-a'], ['open311:other', 'dev-1', 'hash-a']] as const) {
      const other = await claimRetryWindow(deps, owner, device, hash, 600);
      expect(other.replayed).toBe(false);
      expect(other.ticketId).not.toBe(first.ticketId);
    }
    // After the window the same body is a new report, and its retries get the new one.
    now = new Date(now.getTime() + 2_000);
    const later = await claimRetryWindow(deps, 'open311:fms', 'dev-1', 'hash-a', 600);
    expect(later.replayed).toBe(false);
    expect(later.ticketId).not.toBe(first.ticketId);
    await expect(claimRetryWindow(deps, 'open311:fms', 'dev-1', 'hash-a', 600)).resolves.toEqual({ ...later, replayed: true });
  });

  it('lets one of concurrent identical submissions win', async () => {
    const claims = await Promise.all(Array.from({ length: 5 }, () => claimRetryWindow({ pool, clock }, 'open311:race', 'dev', 'h', 600)));
    expect(new Set(claims.map((c) => c.ticketId)).size).toBe(1);
    expect(claims.filter((c) => !c.replayed)).toHaveLength(1);
  });

  it('reads its length from TONGBAN_OPEN311_RETRY_WINDOW_SECONDS (default one hour)', () => {
    expect(retryWindowSeconds({})).toBe(3600);
    expect(retryWindowSeconds({ TONGBAN_OPEN311_RETRY_WINDOW_SECONDS: '0' })).toBe(0);
    expect(retryWindowSeconds({ TONGBAN_OPEN311_RETRY_WINDOW_SECONDS: '90' })).toBe(90);
    expect(() => retryWindowSeconds({ TONGBAN_OPEN311_RETRY_WINDOW_SECONDS: '-1' })).toThrow(/must be a number of seconds/);
  });
});
