/**
 * `npm start`: runs the whole platform against NATS and PostgreSQL at the local defaults
 * (NATS_URL, DATABASE_URL override; the database is created when missing) and supervises it:
 * - reports "Tongban is running" only when every process is ready;
 * - refuses to start, exit 1 with one line naming the setting, when PORT or a service's *_ADDR port is
 *   taken, or PostgreSQL (DATABASE_URL) or NATS (NATS_URL) does not answer within 5 s;
 * - when a process crashes after start, stops every process and exits 1 naming it and its exit code
 *   (no restart: a crash on a developer's machine is a bug to see, not to hide);
 * - Ctrl-C, `kill <pid>` (of this process or of npm running it) or `npm stop` (pid in TONGBAN_PID_FILE, default .tongban.pid) stop every
 *   process (each stops gracefully, killed after 5 s) and exit 0. Children also stop by themselves when
 *   this supervisor dies (their IPC channel closes), so no process is left holding a port.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gracefulShutdown } from '@tongban/runtime';
import { StartError, startStack } from './stack';
import { pidFile, processAlive } from './pid-file';

/** Plain-text lines for the terminal, in the shape gracefulShutdown logs with. */
const say = (obj: unknown, msg?: string) => console.log(`[tongban] ${msg ?? (typeof obj === 'string' ? obj : JSON.stringify(obj))}`);
const log = { info: say, error: say, warn: say } as unknown as Parameters<typeof gracefulShutdown>[0];

async function main(): Promise<void> {
  const pids = pidFile();
  if (existsSync(pids)) {
    const pid = Number(readFileSync(pids, 'utf8').trim());
    if (processAlive(pid)) throw new StartError(`Tongban is already running (pid ${pid}, ${pids}); stop it with npm stop`);
  }
  // Assigned once, but read by the shutdown handler, which a signal may run before the stack has started.
  // eslint-disable-next-line prefer-const
  let stack: Awaited<ReturnType<typeof startStack>> | undefined;
  let crashed = false;
  const shutdown = gracefulShutdown(log, async () => {
    await stack?.stop();
    rmSync(pids, { force: true });
  });
  // `kill <npm's pid>` ends npm and its shell but not this process, which is handed to init: notice
  // the parent change and stop (so a backgrounded `npm start` leaves nothing holding the ports).
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) shutdown.close(); }, 250).unref();
  stack = await startStack({
    output: 'inherit',
    onUnexpectedExit: ({ name, code, signal }) => {
      if (crashed) return;
      crashed = true;
      console.error(`[tongban] ${name} exited unexpectedly (${code !== null ? `exit code ${code}` : `signal ${signal}`}); stopping every process`);
      void stack?.stop().finally(() => { rmSync(pids, { force: true }); process.exit(1); });
    },
  });
  writeFileSync(pids, `${process.pid}\n`);
  // One write, so that a reader that saw "Tongban is running" also has where the web apps are.
  console.log(`\nTongban is running. Gateway: ${stack.gatewayUrl}  (API docs: ${stack.gatewayUrl}/docs)\n` +
    `Citizen app: ${stack.gatewayUrl}/app/   Web console: ${stack.gatewayUrl}/console/   (after npm run build)`);
  console.log('Staff sign-in: POST /api/v1/auth/login — on a fresh database as "admin" with the one-time password printed above by [identity]');
  console.log('Staff token:  npm run -s token -- --role admin --division 513437100   (break-glass / development)');
  console.log('Press Ctrl-C (or npm stop) to stop.\n');
}

main().catch((err: unknown) => {
  console.error(`Tongban failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
