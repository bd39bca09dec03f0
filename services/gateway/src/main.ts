// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { ConfigError, createLogger, gracefulShutdown, identityVerificationKeys, loadConfig, loadSettings, startFailure, untilAvailable } from '@tongban/runtime';
import { buildGateway } from './server';
import { webRootOf } from './web-apps';

/** True for an address that only this machine can reach (127.0.0.0/8, ::1, localhost). */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Refuses a non-loopback HOST while identity signs with the installation's generated key (TONGBAN_JWT_SECRET
 * unset): a platform reachable from the network must have a configured key. Waits for identity to answer.
 * @throws ConfigError naming HOST and TONGBAN_JWT_SECRET.
 */
async function checkExposure(host: string, address: string, log: ReturnType<typeof createLogger>): Promise<void> {
  if (isLoopback(host)) return;
  const remote = identityVerificationKeys(address);
  try {
    const info = await untilAvailable('identity', () => remote.info(), log);
    if (info.generated) {
      throw new ConfigError(`refusing to listen on HOST=${host}: tokens are signed with the generated installation key, which is for one machine only. `
        + 'Set TONGBAN_JWT_SECRET (at least 32 bytes) for the identity service, or leave HOST unset to listen on 127.0.0.1 only.');
    }
  } finally {
    remote.close();
  }
}

/**
 * Starts the gateway on HOST:PORT (default 127.0.0.1:8080) and stops it cleanly (gracefulShutdown: SIGINT/SIGTERM, the
 * supervisor gone, at most 10 s). A port already in use: one line naming PORT, exit 1.
 */
async function main(): Promise<void> {
  loadSettings('gateway');
  const config = loadConfig();
  const log = createLogger('gateway', config.logLevel);
  await checkExposure(config.host, config.addresses.identity, log);
  const app = buildGateway({ config, logger: log, webApps: { root: webRootOf() } });
  gracefulShutdown(log, async () => {
    await app.close();
    log.info('gateway stopped');
  });

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      console.error(`gateway failed to start: PORT=${config.port} (HOST=${config.host}): ${code === 'EADDRINUSE' ? 'port already in use' : code}`);
      process.exit(1);
    }
    throw err;
  }
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const port = (app.server.address() as { port: number } | null)?.port ?? config.port;
  log.info({ port }, `gateway listening on http://${shown}:${port} (API /api/v1, docs /docs, console /console/)`);
}

main().catch((err: unknown) => {
  console.error(`gateway failed to start: ${startFailure(err)}`);
  process.exit(1);
});
