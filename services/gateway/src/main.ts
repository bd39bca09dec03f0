import { createLogger, loadConfig } from '@tongban/runtime';
import { buildGateway } from './server';

/** How long a graceful shutdown may take before the process exits anyway, ms. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** Starts the gateway on PORT (default 8080) and stops it cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('gateway', config.logLevel);
  const app = buildGateway({ config, logger: log });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'gateway stopping');
    const timer = setTimeout(() => {
      log.error('graceful shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.close().then(
      () => { log.info('gateway stopped'); process.exit(0); },
      (err: unknown) => { log.error({ err }, 'error while stopping'); process.exit(1); },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  await app.listen({ port: config.port, host: config.host });
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const port = (app.server.address() as { port: number } | null)?.port ?? config.port;
  log.info({ port }, `gateway listening on http://${shown}:${port} (API /api/v1, docs /docs)`);
}

main().catch((err: unknown) => {
  console.error('gateway failed to start:', err);
  process.exit(1);
});
