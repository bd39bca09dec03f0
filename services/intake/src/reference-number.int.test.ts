/**
 * Reference numbers from per-year sequences (migration 003) on a real PostgreSQL: concurrent
 * allocations are unique and consecutive, a year's sequence continues the counter row of the former
 * scheme, and years are counted separately.
 */
import { runMigrations } from '@tongban/eventstore';
import { type TestDatabase, createTestDatabase } from '@tongban/testing';
import pg from 'pg';
import { INTAKE_MIGRATIONS } from './migrations';
import { nextReference } from './reference-number';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
  await runMigrations(pool, 'intake', INTAKE_MIGRATIONS.slice(0, 2));
  // A counter row left by the former scheme (one row per year, updated per submission).
  await pool.query('INSERT INTO intake_reference_counters (year, last_value) VALUES (2026, 41)');
  await runMigrations(pool, 'intake', INTAKE_MIGRATIONS);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const number = (reference: string) => Number(reference.slice(reference.lastIndexOf('-') + 1));

it('allocates unique consecutive numbers under concurrency, continuing the former counter, in LS-<year>-<000000> form', async () => {
  const instant = new Date('2026-06-01T00:00:00Z');
  const refs = await Promise.all(Array.from({ length: 60 }, () => nextReference(pool, instant)));
  for (const r of refs) expect(r).toMatch(/^LS-2026-\d{6}$/);
  expect(new Set(refs).size).toBe(60);
  expect(refs.map(number).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => 42 + i));
});

it('starts a new year at 1 (Asia/Shanghai year), concurrently creating its sequence once', async () => {
  // 2027-12-31T16:30Z is already 2028 in Shanghai.
  const refs = await Promise.all(Array.from({ length: 10 }, () => nextReference(pool, new Date('2027-12-31T16:30:00Z'))));
  expect(refs.every((r) => r.startsWith('LS-2028-'))).toBe(true);
  expect(refs.map(number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});
