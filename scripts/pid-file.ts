import { join } from 'node:path';

/** Where `npm start` writes its pid for `npm stop`: TONGBAN_PID_FILE, default `.tongban.pid` in the repository. */
export function pidFile(env: NodeJS.ProcessEnv = process.env): string {
  return env['TONGBAN_PID_FILE'] || join(__dirname, '..', '.tongban.pid');
}

/** True while a process with this pid exists (signal 0). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
