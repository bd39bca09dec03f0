/**
 * The unary wrappers (unary, subjectUnary, publicUnary, optionalAuthUnary: each answerUnary) through a real
 * gRPC server and client on a socket: what a caller gets (the answer, or the status code with its reason,
 * which the gateway turns into the HTTP status), the caller's correlation id as what the handler sees, the
 * call counted by method and code, an unexpected failure logged without the caller's token or the failure's
 * text in the answer, and a handler that throws before its promise exists answered (no unhandled rejection).
 */
import { Writable } from 'node:stream';
import { Metadata, type ServiceError, credentials, status } from '@grpc/grpc-js';
import { type Principal, signToken, signingKeyFromSecret, staticKeys } from '@tongban/auth';
import { commands, routing } from '@tongban/contracts';
import pino from 'pino';
import { register } from 'prom-client';
import { REASON_KEY, fail } from './grpc-errors';
import { correlationId, optionalAuthUnary, publicUnary, startGrpcServer, subjectUnary, unary } from './grpc-server';

const KEY = signingKeyFromSecret('grpc-server-int-test-signing-secret-0123456789');
const keys = staticKeys([KEY.publicJwk]);
const CITIZEN: Principal = { kind: 'citizen', id: 'device-grpc-wrappers' };
const METHOD = '/tongban.routing.v1.RoutingService/ExecuteRoutingCommand';
const WRAPPERS = ['unary', 'subject', 'public', 'optional'] as const;
type Wrapper = typeof WRAPPERS[number];

const lines: Record<string, unknown>[] = [];
const log = pino({ level: 'debug' }, new Writable({
  write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>); done(); },
}));
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => { rejections.push(reason); };

/**
 * What every handler does, by the request's ticket id: `ok` answers the caller's id and the correlation id
 * the handler sees; `refused` fails INVALID_ARGUMENT (reason `bad_thing`); `boom` fails unexpectedly;
 * `sync` throws before any promise exists.
 */
function behave(request: routing.ExecuteRoutingCommandRequest, caller: { id: string } | undefined): Promise<routing.ExecuteRoutingCommandResponse> {
  if (request.ticketId === 'sync') throw new Error('thrown before a promise exists');
  return (async () => {
    if (request.ticketId === 'refused') throw fail.invalid('bad_thing', 'this request is bad');
    if (request.ticketId === 'boom') throw new Error('password=hunter2 leaked from a driver');
    return { outcome: commands.CommandOutcome.fromPartial({ ticketId: caller?.id ?? 'anonymous', eventTypes: [correlationId(new Metadata())] }) };
  })();
}

const handlers: Record<Wrapper, (call: never, done: never) => void> = {
  unary: unary(keys, log, (req: routing.ExecuteRoutingCommandRequest, principal) => behave(req, principal)),
  subject: subjectUnary(keys, log, (req: routing.ExecuteRoutingCommandRequest, subject) => behave(req, subject)),
  public: publicUnary(log, (req: routing.ExecuteRoutingCommandRequest) => behave(req, undefined)),
  optional: optionalAuthUnary(keys, log, (req: routing.ExecuteRoutingCommandRequest, principal) => behave(req, principal)),
};

let server: Awaited<ReturnType<typeof startGrpcServer>>;
let client: routing.RoutingServiceClient;
let token: string;

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  server = await startGrpcServer('127.0.0.1:0', routing.RoutingServiceService, {
    executeRoutingCommand: (call: { metadata: Metadata }, done: unknown) =>
      (handlers[call.metadata.get('x-wrapper')[0] as Wrapper] as (c: unknown, d: unknown) => void)(call, done),
  });
  client = new routing.RoutingServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  token = await signToken(CITIZEN, KEY, new Date());
});

afterAll(async () => {
  client?.close();
  await server?.stop();
  process.off('unhandledRejection', onRejection);
});

/** One call through `wrapper`: the answer, or the failure's code, reason and details. */
function call(wrapper: Wrapper, ticketId: string, headers: Record<string, string> = {}): Promise<{ ok: routing.ExecuteRoutingCommandResponse } | { code: status; reason: string; details: string }> {
  const metadata = new Metadata();
  metadata.set('x-wrapper', wrapper);
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  return new Promise((resolve) => {
    client.executeRoutingCommand(routing.ExecuteRoutingCommandRequest.fromPartial({ ticketId }), metadata, (err: ServiceError | null, res) => resolve(err
      ? { code: err.code, reason: String(err.metadata.get(REASON_KEY)[0] ?? ''), details: err.details }
      : { ok: res }));
  });
}

/** tongban_grpc_server_handled_total of the method by code name. */
async function handled(): Promise<Record<string, number>> {
  const metric = await register.getSingleMetric('tongban_grpc_server_handled_total')?.get();
  return Object.fromEntries((metric?.values ?? []).filter((v) => v.labels['method'] === METHOD).map((v) => [String(v.labels['code']), v.value]));
}

it('answers each wrapper\'s call with the caller and the correlation id it was sent, and counts it OK', async () => {
  const before = await handled();
  const auth = { authorization: `Bearer ${token}` };
  for (const wrapper of WRAPPERS) {
    const answer = await call(wrapper, 'ok', { ...auth, 'x-correlation-id': `corr-${wrapper}` });
    expect([wrapper, answer]).toEqual([wrapper, { ok: { outcome: expect.objectContaining({
      ticketId: wrapper === 'public' ? 'anonymous' : CITIZEN.id, eventTypes: [`corr-${wrapper}`],
    }) } }]);
  }
  expect((await handled())['OK']).toBe((before['OK'] ?? 0) + WRAPPERS.length);
  expect(lines.filter((l) => l['msg'] === 'call handled')).toHaveLength(WRAPPERS.length);
});

it('answers a missing or bad token UNAUTHENTICATED where one is needed (optionalAuthUnary: bad only)', async () => {
  const unauthenticated = { code: status.UNAUTHENTICATED, reason: 'unauthenticated', details: expect.any(String) };
  expect(await call('unary', 'ok')).toEqual(unauthenticated);
  expect(await call('subject', 'ok')).toEqual(unauthenticated);
  expect(await call('optional', 'ok')).toEqual({ ok: { outcome: expect.objectContaining({ ticketId: 'anonymous' }) } });
  expect(await call('optional', 'ok', { authorization: 'Bearer not-a-token' })).toEqual(unauthenticated);
  expect(await call('unary', 'ok', { authorization: `Bearer ${token}x` })).toEqual(unauthenticated);
});

it('answers a refusal with its code and reason, an unexpected failure INTERNAL without its text (logged, without the caller\'s token), and a synchronous throw too', async () => {
  const before = await handled();
  const auth = { authorization: `Bearer ${token}` };
  lines.length = 0;
  for (const wrapper of WRAPPERS) {
    expect([wrapper, await call(wrapper, 'refused', auth)]).toEqual([wrapper, { code: status.INVALID_ARGUMENT, reason: 'bad_thing', details: 'this request is bad' }]);
    expect([wrapper, await call(wrapper, 'boom', { ...auth, 'x-correlation-id': `boom-${wrapper}` })]).toEqual([wrapper, { code: status.INTERNAL, reason: 'internal', details: 'internal error' }]);
    expect([wrapper, await call(wrapper, 'sync', auth)]).toEqual([wrapper, { code: status.INTERNAL, reason: 'internal', details: 'internal error' }]);
  }
  const after = await handled();
  expect(after['INVALID_ARGUMENT']).toBe((before['INVALID_ARGUMENT'] ?? 0) + WRAPPERS.length);
  expect(after['INTERNAL']).toBe((before['INTERNAL'] ?? 0) + 2 * WRAPPERS.length);
  const errors = lines.filter((l) => l['level'] === 50);
  expect(errors).toHaveLength(2 * WRAPPERS.length);
  for (const line of errors) expect(line['msg']).toBe(`unexpected error in ${METHOD}`);
  expect(JSON.stringify(lines)).not.toContain(token);
  await new Promise((resolve) => setImmediate(resolve));
  expect(rejections).toEqual([]);
});
