import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SERVICE_NAMES, TestClock, followTestClock } from '@tongban/runtime';
import { natsUrl, uniqueName } from '@tongban/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildGateway } from './server';

/** The NATS-backed test clock against a real NATS server: every service follows the time the gateway sets. */

let nc: NatsConnection;
let app: FastifyInstance;
let base: string;
const clocks = new Map<string, TestClock>();
const stops: (() => void)[] = [];

beforeAll(async () => {
  const namespace = uniqueName('gw_clock');
  nc = await connect({ servers: natsUrl() });
  for (const service of SERVICE_NAMES) {
    const clock = new TestClock();
    clocks.set(service, clock);
    stops.push(await followTestClock(nc, clock, service, namespace));
  }
  app = buildGateway({
    logger: pino({ level: 'silent' }),
    swaggerUi: false,
    config: { testClock: true, natsUrl: natsUrl(), namespace },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await app.close();
  for (const stop of stops) stop();
  await nc.drain();
});

it('sets the time of every service and reads it back', async () => {
  const res = await fetch(`${base}/api/v1/test/clock`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ now: '2015-06-01T09:00:00+08:00' }),
  });
  expect(res.status).toBe(200);
  const body = await res.json() as { now: string; acknowledged: string[]; missing: string[] };
  expect(body.now).toBe('2015-06-01T01:00:00.000Z');
  expect([...body.acknowledged].sort()).toEqual([...SERVICE_NAMES].sort());
  expect(body.missing).toEqual([]);
  const target = Date.parse('2015-06-01T01:00:00Z');
  for (const clock of clocks.values()) expect(Math.abs(clock.now().getTime() - target)).toBeLessThan(5_000);
  const read = await (await fetch(`${base}/api/v1/test/clock`)).json() as { now: string };
  expect(Math.abs(Date.parse(read.now) - target)).toBeLessThan(5_000);
});
