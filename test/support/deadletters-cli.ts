/** Runs `npm run deadletters` as a real process against a test stack's NATS and namespace. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DeadLetter, RedriveResult } from '@tongban/messaging';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/** `npm run -s deadletters -- <args> --json` with the stack's environment; the parsed JSON output. */
async function deadlettersCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<unknown> {
  const { stdout } = await run('npm', ['run', '-s', 'deadletters', '--', ...args, '--json'], {
    cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000,
  });
  return JSON.parse(stdout) as unknown;
}

/** The stack's dead letters, through the command. */
export async function listDeadLettersCli(env: NodeJS.ProcessEnv, consumer?: string): Promise<DeadLetter[]> {
  return (await deadlettersCli(env, 'list', ...(consumer ? ['--consumer', consumer] : []))) as DeadLetter[];
}

/** Redrives (all, or one consumer's) through the command. */
export async function redriveCli(env: NodeJS.ProcessEnv, consumer?: string): Promise<RedriveResult> {
  return (await deadlettersCli(env, 'redrive', ...(consumer ? ['--consumer', consumer] : []))) as RedriveResult;
}
