/**
 * The migrations Job's entry point (services/relay/src/migrate-all.ts, issue 12 item 7) as a real process:
 * on a new database it applies every component's migrations, a second run finds them applied, and an
 * unreachable database is one line naming DATABASE_URL (password masked), exit 1.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase } from '@tongban/testing';
import pg from 'pg';
import { COMPONENTS } from '../../services/relay/src/migrate-all';

const ROOT = join(__dirname, '..', '..');
let db: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db?.drop(); });

function migrate(env: NodeJS.ProcessEnv): Promise<{ code: number | null; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/relay/src/migrate-all.ts')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, lines: out.split('\n').filter(Boolean) })));
}

it('applies every component once; a second run is up to date', async () => {
  const first = await migrate({ DATABASE_URL: db.url });
  expect(first.code).toBe(0);
  expect(first.lines.map((l) => l.split(':')[0])).toEqual(COMPONENTS.map(([name]) => name));
  for (const line of first.lines) expect(line).not.toMatch(/up to date/);
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  try {
    const { rows } = await pool.query<{ t: string | null }>(
      "SELECT to_regclass(t)::text AS t FROM unnest(ARRAY['events', 'sla_timers', 'ticket_views', 'ticket_stats', 'schema_migrations']) AS t",
    );
    expect(rows.map((r) => r.t)).toEqual(['events', 'sla_timers', 'ticket_views', 'ticket_stats', 'schema_migrations']);
    const { rows: components } = await pool.query<{ component: string }>('SELECT DISTINCT component FROM schema_migrations ORDER BY 1');
    expect(components.map((r) => r.component)).toEqual(expect.arrayContaining(['deadline', 'identity', 'intake', 'notification', 'query']));
  } finally {
    await pool.end();
  }
  const second = await migrate({ DATABASE_URL: db.url });
  expect(second).toEqual({ code: 0, lines: COMPONENTS.map(([name]) => `${name}: up to date`) });
}, 90_000);

it('an unreachable database: one line naming DATABASE_URL, password masked, exit 1', async () => {
  const r = await migrate({ DATABASE_URL: 'postgres://tongban:hunter2@127.0.0.1:1/tongban' });
  expect(r.code).toBe(1);
  expect(r.lines).toHaveLength(1);
  expect(r.lines[0]).toMatch(/^migrations failed: DATABASE_URL=postgres:\/\/tongban:\*\*\*@127\.0\.0\.1:1\/tongban: .*ECONNREFUSED/);
}, 60_000);
