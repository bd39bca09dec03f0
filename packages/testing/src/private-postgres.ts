/**
 * A private PostgreSQL cluster for fault-injection tests: `initdb` into a temporary directory (owned by
 * the `postgres` user when running as root), started with `pg_ctl` on a free loopback port, and then
 * restarted (`-m fast` / `-m immediate`), stopped and started again by the test. Never the shared server.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

/** Shutdown modes of `pg_ctl stop|restart -m`. */
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

/** A running private cluster. */
export interface PrivatePostgres {
  /** Superuser URL of the `postgres` database, e.g. `postgres://postgres@127.0.0.1:54321/postgres`. */
  url: string;
  port: number;
  /** `pg_ctl restart -m <mode>`; resolves when it accepts connections again. */
  restart(mode: ShutdownMode): Promise<void>;
  /** `pg_ctl stop -m <mode>` (default fast); resolves when it is down. */
  stop(mode?: ShutdownMode): Promise<void>;
  /** `pg_ctl start`; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops the cluster (immediate) and deletes its directory. Safe to call twice. */
  dispose(): Promise<void>;
}

/** The directory of `initdb` and `pg_ctl` (PG_BINDIR, else the newest /usr/lib/postgresql/<v>/bin), or undefined. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env['PG_BINDIR'];
  if (fromEnv && existsSync(join(fromEnv, 'pg_ctl'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

/** Why a private cluster cannot be started here (no PostgreSQL binaries), or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  return postgresBinDir() ? undefined : 'no PostgreSQL server binaries (initdb, pg_ctl): set PG_BINDIR or install postgresql';
}

/**
 * Creates and starts a private cluster (trust authentication, fsync off: a test fixture) and returns
 * controls to restart, stop and start it.
 * @throws Error when the binaries are missing or initdb/pg_ctl fail (their output in the message).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(privatePostgresUnavailable());
  const dir = mkdtempSync(join(tmpdir(), 'tongban-pg-'));
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, ...postgresIds());
  const data = join(dir, 'data');
  const port = await freePort();
  const pgRun = async (tool: string, args: string[]): Promise<void> => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    try {
      await run(file, argv, { timeout: 120_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${tool} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: err });
    }
  };
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200`;
  const ctl = (...args: string[]) => pgRun('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', join(dir, 'log'), ...args]);
  await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  await ctl('-o', options, 'start');
  let disposed = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: (mode) => ctl('-m', mode, '-o', options, 'restart'),
    stop: (mode = 'fast') => ctl('-m', mode, 'stop'),
    start: () => ctl('-o', options, 'start'),
    async dispose() {
      if (disposed) return;
      disposed = true;
      await ctl('-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresIds(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return [uid, gid];
}
