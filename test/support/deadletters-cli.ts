/** Runs `npm run deadletters` as a real process against a test stack's NATS and namespace. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type DeadLetter, type RedriveResult, connectNats, listDeadLetters } from '@tongban/messaging';
import { eventStreamNames, loadConfig } from '@tongban/runtime';
import { waitFor } from '@tongban/testing';

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

/**
 * Waits until the stack's dead letters (those of `consumer`, a short name like `notification-inbox`, when given)
 * satisfy `found` (it returns a value, not undefined), then lists them
 * through the command and returns `found` of the command's list (listed again until it holds, as letters only
 * arrive). The waiting reads the dead-letter stream directly, as the command does: one command process
 * (npm, tsx: seconds of CPU) per answer rather than per attempt.
 * @throws WaitForTimeoutError after `timeoutMs` (default 60 s), naming `description`.
 */
export async function waitForDeadLettersCli<T>(
  env: NodeJS.ProcessEnv, found: (letters: DeadLetter[]) => T | undefined,
  options: { timeoutMs?: number; description: string; consumer?: string },
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const config = loadConfig(env);
  const names = eventStreamNames({ config });
  const nc = await connectNats(config.natsUrl, { name: 'test-deadletters' });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const location = { stream: names.deadLetterStream, prefix: names.deadLetterPrefix };
    const consumer = options.consumer && `${config.namespace}-${options.consumer}`;
    await waitFor(async () => found(await listDeadLetters(js, jsm, location, consumer)) !== undefined, { timeoutMs, intervalMs: 200, description: options.description });
  } finally {
    await nc.close();
  }
  return waitFor(async () => found(await listDeadLettersCli(env, options.consumer)), { timeoutMs, intervalMs: 500, description: `${options.description}, through the command` });
}

/** Redrives (all, or one consumer's) through the command. */
export async function redriveCli(env: NodeJS.ProcessEnv, consumer?: string): Promise<RedriveResult> {
  return (await deadlettersCli(env, 'redrive', ...(consumer ? ['--consumer', consumer] : []))) as RedriveResult;
}
