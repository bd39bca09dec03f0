import { ConfigError } from '@tongban/runtime';
import { createPool } from '@tongban/eventstore';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import type pg from 'pg';
import { loadKeyRing } from './signing-keys';

/** The key ring against a real PostgreSQL: the generated installation key, the configured secret, rotation. */

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

const SECRET = 'identity-int-test-secret-0123456789-abcdef';

it('generates the installation key once and keeps it (same kid on every later start, also when started side by side)', async () => {
  const rings = await Promise.all([loadKeyRing({}, pool), loadKeyRing({}, pool), loadKeyRing({}, pool)]);
  expect(new Set(rings.map((r) => r.signing.kid)).size).toBe(1);
  expect(rings[0]).toMatchObject({ generated: true });
  const later = await loadKeyRing({ NODE_ENV: 'development' }, pool);
  expect(later.signing.kid).toBe(rings[0]?.signing.kid);
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM identity_installation_key');
  expect(rows[0]).toEqual({ n: 1 });
});

it('derives the key from TONGBAN_JWT_SECRET when set, and accepts the previous one during a rollover', async () => {
  const configured = await loadKeyRing({ TONGBAN_JWT_SECRET: SECRET, NODE_ENV: 'production' }, pool);
  expect(configured.generated).toBe(false);
  expect(configured.verification.map((k) => k.kid)).toEqual([configured.signing.kid]);
  const rotated = await loadKeyRing({ TONGBAN_JWT_SECRET: `${SECRET}-new`, TONGBAN_JWT_PREVIOUS_SECRET: SECRET }, pool);
  expect(rotated.signing.kid).not.toBe(configured.signing.kid);
  expect(rotated.verification.map((k) => k.kid)).toEqual([rotated.signing.kid, configured.signing.kid]);
});

it('refuses to start in production without a configured key, and a short key anywhere, naming the variable', async () => {
  await expect(loadKeyRing({ NODE_ENV: 'production' }, pool)).rejects.toThrow(ConfigError);
  await expect(loadKeyRing({ NODE_ENV: 'production' }, pool)).rejects.toThrow(/TONGBAN_JWT_SECRET must be set \(at least 32 bytes/);
  await expect(loadKeyRing({ TONGBAN_JWT_SECRET: 'short' }, pool)).rejects.toThrow(/TONGBAN_JWT_SECRET must be at least 32 bytes/);
  await expect(loadKeyRing({ TONGBAN_JWT_SECRET: SECRET, TONGBAN_JWT_PREVIOUS_SECRET: 'short' }, pool)).rejects.toThrow(/TONGBAN_JWT_PREVIOUS_SECRET must be at least 32 bytes/);
});
