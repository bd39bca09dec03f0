/**
 * `npm stop`: stops a stack started with `npm start` (also in the background): SIGTERM to the pid in
 * TONGBAN_PID_FILE (default .tongban.pid), then waits up to 15 s for it to be gone.
 * Exit 0 when stopped or nothing was running; 1 when it did not stop in time.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { pidFile, processAlive } from './pid-file';

async function main(): Promise<number> {
  const file = pidFile();
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
  if (!processAlive(pid)) {
    rmSync(file, { force: true });
    console.log('Tongban is not running.');
    return 0;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(pid)) {
    console.error(`Tongban (pid ${pid}) did not stop within 15 s`);
    return 1;
  }
  rmSync(file, { force: true });
  console.log(`Tongban (pid ${pid}) stopped.`);
  return 0;
}

void main().then((code) => process.exit(code));
