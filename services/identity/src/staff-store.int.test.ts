import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PostgresEventStore, createPool, runMigrations } from '@tongban/eventstore';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import type pg from 'pg';
import { IDENTITY_MIGRATIONS } from './migrations';
import { StaffRepository, type StaffCommandContext } from './staff-store';

/** The staff directory's read model against a real PostgreSQL: a row lost or left behind is rebuilt from the streams. */

let db: TestDatabase;
let pool: pg.Pool;
let staff: StaffRepository;
const [A1, A2, A3] = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a3'];
const ctx: StaffCommandContext = { actor: { kind: 'system', id: 'test' }, correlationId: 'c1', now: new Date('2026-12-01T00:00:00Z') };

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
  const store = await PostgresEventStore.create(pool);
  await runMigrations(pool, 'identity', IDENTITY_MIGRATIONS);
  staff = new StaffRepository(store, pool);
});

afterAll(async () => {
  await pool.end();
  await db.drop();
});

it('rebuilds a missing row and one left behind from the staff streams; rows already current are untouched', async () => {
  await staff.execute(A1, { type: 'CreateAccount', staffId: A1, username: 'wang.li', displayName: '王丽', division: '513437100' }, ctx);
  await staff.execute(A2, { type: 'CreateAccount', staffId: A2, username: 'li.ping', displayName: '李平', division: '513401' }, ctx);
  await staff.execute(A3, { type: 'CreateAccount', staffId: A3, username: 'zhao.min', displayName: '赵敏', division: '5134' }, ctx);
  const before = (await pool.query('SELECT revision, state FROM identity_staff WHERE staff_id = $1', [A2])).rows[0];
  await staff.execute(A2, { type: 'UpdateAccount', displayName: '李萍' }, ctx);
  // As after a crash between append and projection: a1's row is gone, a2's still shows the old name.
  await pool.query('DELETE FROM identity_staff WHERE staff_id = $1', [A1]);
  await pool.query(`UPDATE identity_staff SET revision = $2, state = $3 WHERE staff_id = $1`, [A2, before.revision, before.state]);
  expect(await staff.byUsername('wang.li')).toBeUndefined();

  const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'rebuild-main.ts')], { env: { ...process.env, DATABASE_URL: db.url } });
  expect(cli.stdout).toMatch(/3 staff accounts in the event store, 2 directory rows written/);

  expect(await staff.byUsername('wang.li')).toMatchObject({ id: A1, displayName: '王丽', revision: 0 });
  expect((await staff.byUsername('li.ping'))?.displayName).toBe('李萍');
  expect(await staff.rebuildAll()).toEqual({ accounts: 3, repaired: 0 });
}, 60_000);
