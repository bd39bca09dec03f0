/**
 * A client that stalls in the middle of a request body (slow loris) does not hold its connection: the
 * gateway answers 408 and closes it once the request timeout passes, while a long-lived response
 * (a request already received) is not cut.
 */
import net from 'node:net';
import { SERVICE_NAMES, type ServiceName } from '@tongban/runtime';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildGateway } from './server';
import { startFakeUpstreams, type FakeUpstreams } from './testing/fake-upstreams';

let fakes: FakeUpstreams;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  fakes = await startFakeUpstreams();
  const addresses = Object.fromEntries(SERVICE_NAMES.map((s) => [s, fakes.address])) as Record<ServiceName, string>;
  app = buildGateway({ logger: pino({ level: 'silent' }), swaggerUi: false, config: { addresses, testClock: false }, timeouts: { requestMs: 1_000, keepAliveMs: 3_000 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
  await fakes.stop();
});

/** Sends `text` on a new connection and resolves with what came back once the server closed it (or after `waitMs`). */
function sendAndWait(text: string, waitMs: number): Promise<{ closed: boolean; answer: string; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    const timer = setTimeout(() => { socket.destroy(); resolve({ closed: false, answer, ms: Date.now() - started }); }, waitMs);
    socket.on('close', () => { clearTimeout(timer); resolve({ closed: true, answer, ms: Date.now() - started }); });
    socket.on('error', () => { /* reset by the server: 'close' follows */ });
  });
}

it('answers 408 and closes a connection whose body stalls', async () => {
  // An Open311 form post reads its body before anything else.
  const head = 'POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nservice_code=';
  const result = await sendAndWait(head, 8_000);
  expect(result.closed).toBe(true);
  expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
});

it('closes a connection that stalls in a body after an early answer (401 before the body is read)', async () => {
  const head = 'POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"serviceCode":';
  const result = await sendAndWait(head, 8_000);
  expect(result.answer).toMatch(/^HTTP\/1\.1 401/);
  expect(result.closed).toBe(true);
});

it('closes a connection whose headers never end', async () => {
  const result = await sendAndWait('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 8_000);
  expect(result.closed).toBe(true);
  expect(result.answer).toMatch(/^HTTP\/1\.1 408/);
});

it('a complete request on the same settings is answered normally', async () => {
  const result = await sendAndWait('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 8_000);
  expect(result.answer).toMatch(/^HTTP\/1\.1 200/);
});
