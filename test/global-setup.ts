/**
 * Jest global setup: where the test servers come from.
 * - DATABASE_URL / NATS_URL set (CI on this machine): those servers are used as they are.
 * - Unset and a Docker engine reachable: PostgreSQL 15 and NATS (JetStream) containers are started with
 *   testcontainers and their URLs exported to every test worker; global-teardown stops them.
 * - Unset and no Docker engine: the local servers at the defaults of @tongban/testing are used, and
 *   this is said once.
 */
import { existsSync } from 'node:fs';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@tongban/testing';

/** Containers started here, stopped by global-teardown. */
const started: { stop(): Promise<unknown> }[] = [];

function dockerReachable(): boolean {
  return !!process.env['DOCKER_HOST'] || existsSync('/var/run/docker.sock');
}

export default async function globalSetup(): Promise<void> {
  const needDb = !process.env['DATABASE_URL'];
  const needNats = !process.env['NATS_URL'];
  if (!needDb && !needNats) return;
  if (!dockerReachable()) {
    console.log(`testcontainers: no Docker engine here; using local servers (${needDb ? DEFAULT_DATABASE_URL : ''} ${needNats ? DEFAULT_NATS_URL : ''})`);
    return;
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  if (needDb) {
    const pg = await new PostgreSqlContainer('postgres:15').withUsername('postgres').withPassword('postgres').withDatabase('test').start();
    started.push(pg);
    process.env['DATABASE_URL'] = pg.getConnectionUri();
  }
  if (needNats) {
    const nats = await new GenericContainer('nats:2.10').withCommand(['-js']).withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/)).start();
    started.push(nats);
    process.env['NATS_URL'] = `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`;
  }
  (globalThis as { __TONGBAN_CONTAINERS__?: typeof started }).__TONGBAN_CONTAINERS__ = started;
}
