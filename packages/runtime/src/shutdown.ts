import closeWithGrace from 'close-with-grace';
import type { Logger } from './logger';
import { shutdownTracing } from './tracing-shutdown';

/**
 * How long a graceful shutdown may take before the process exits anyway (exit code 1), ms. Below
 * Kubernetes' default 30 s termination grace, so a pod always ends on its own terms.
 */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * The one graceful shutdown of every Tongban process (close-with-grace): on SIGTERM/SIGINT, an uncaught
 * exception or unhandled rejection, or when the supervising parent (`npm start`) goes away (its IPC
 * channel closes, even when it was SIGKILLed), runs `stop` once and exits — 0 after a signal or the
 * parent leaving, 1 after an error or when `stop` takes longer than {@link SHUTDOWN_TIMEOUT_MS}.
 * A second signal exits at once (1).
 * @returns `close()` to shut down from code (same path, exit 0).
 */
export function gracefulShutdown(log: Logger, stop: (reason: string) => Promise<void>): { close(): void } {
  const grace = closeWithGrace({
    delay: SHUTDOWN_TIMEOUT_MS,
    logger: { error: (message: unknown) => log.error(String(message)) },
    onTimeout: (delay) => log.error({ delayMs: delay }, 'graceful shutdown timed out; exiting'),
  }, async ({ signal, err, manual }) => {
    if (err) log.error({ err }, 'stopping after an unexpected error');
    const reason = signal ?? (err ? 'error' : manual ? 'parent gone' : 'exit');
    log.info({ reason }, 'stopping');
    await stop(reason);
    // The spans of the last requests, exported before the process ends (nothing to do with tracing off).
    await shutdownTracing();
  });
  // A supervised child (spawned with an IPC channel): stop when the supervisor is gone.
  if (process.send) process.once('disconnect', () => grace.close());
  return { close: () => grace.close() };
}
