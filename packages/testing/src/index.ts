/** @tongban/testing: helpers for integration tests against real PostgreSQL and NATS servers. */
export { databaseUrl, natsUrl, DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from './env';
export { uniqueName } from './names';
export { waitFor, WaitForTimeoutError } from './wait-for';
export type { WaitForOptions } from './wait-for';
export { createTestDatabase } from './database';
export type { TestDatabase } from './database';
export { freePort } from './ports';
export { rawPost } from './raw-http';
export type { RawAnswer } from './raw-http';
export { startPrivatePostgres, privatePostgresUnavailable, postgresBinDir } from './private-postgres';
export type { PrivatePostgres, ShutdownMode } from './private-postgres';
export { startNatsCluster, natsClusterUnavailable, natsServerBinary } from './nats-cluster';
export type { NatsCluster, NatsNode } from './nats-cluster';
