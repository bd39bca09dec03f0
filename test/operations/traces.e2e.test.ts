/**
 * Issue 12 item 4 end to end on real processes: with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a collector
 * stand-in (a real HTTP server taking OTLP/HTTP protobuf, the default encoding), one submission is one
 * trace: the gateway's request, its gRPC call, intake's event-store append (whose `traceparent` the event
 * keeps in its metadata), the relay publishing it, and every consumer handling it (routing, deadline,
 * notification, query) — and routing's own append, published and handled in turn. Every span's parent is
 * in the trace (one root: the gateway's request), and log lines written meanwhile carry its `traceId`. A
 * deadline timer firing starts a trace of its own, followed the same way.
 * TONGBAN_TEST_TRACE=1 prints the trace (without its PostgreSQL queries) as a tree with durations.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@tongban/testing';
import { type CollectedSpan, type OtlpCollector, startOtlpCollector } from '../support/otlp-collector';
import { plusHours, utc } from '../support/seed-cases';
import { type TestStack, startTestStack } from '../support/test-stack';

let collector: OtlpCollector;
let stack: TestStack;
beforeAll(async () => {
  collector = await startOtlpCollector();
  stack = await startTestStack({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', LOG_LEVEL: 'debug' }, { keepLogLines: 50_000 });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await collector?.close();
});

/** The trace as an indented tree, children by start time: `service name (duration ms)`. */
function tree(spans: CollectedSpan[]): string {
  const children = (parent: string) => spans.filter((s) => s.parentSpanId === parent).sort((a, b) => a.startMs - b.startMs);
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const lines: string[] = [];
  const walk = (s: CollectedSpan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${s.service}: ${s.name}  (+${(s.startMs - t0).toFixed(1)} ms, ${(s.endMs - s.startMs).toFixed(1)} ms)`);
    children(s.spanId).forEach((c) => walk(c, depth + 1));
  };
  spans.filter((s) => !spans.some((p) => p.spanId === s.parentSpanId)).forEach((root) => walk(root, 0));
  return lines.join('\n');
}

/** The JSON log lines of `process` that carry `correlationId`. */
function linesWith(process: string, correlationId: string): Record<string, unknown>[] {
  return stack.logs().filter((l) => l.startsWith(`[${process}] {`)).map((l) => {
    try { return JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>; } catch { return {}; }
  }).filter((entry) => entry['correlationId'] === correlationId);
}

it('one submission is one trace: gateway → gRPC → append → relay → every consumer, and back again for TicketRouted', async () => {
  const correlationId = `trace-${randomUUID()}`;
  const device = await stack.device();
  // A first submission warms the processes up (connections, identity's keys), so the trace printed is a usual one.
  const report = { service_code: 'water-supply', division: '513431', title: '路灯坏了', description: '村口的路灯坏了一个星期。' };
  expect((await stack.api('POST', '/api/v1/tickets', { token: device.token, body: report })).status).toBe(201);
  const submitted = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, headers: { 'x-correlation-id': correlationId }, body: report,
  });
  expect(submitted.status).toBe(201);
  const id: string = submitted.body.id;
  await stack.waitForTicket(id, device.token, (v) => v.status === 'routed');

  // The submission's event keeps the trace context it was appended in.
  const { rows } = await stack.pool(1).query<{ type: string; metadata: { traceparent?: string } }>(
    'SELECT type, metadata FROM events WHERE stream = $1 ORDER BY revision', [`ticket-${id}`]);
  const traceparent = rows.find((r) => r.type === 'TicketSubmitted')?.metadata.traceparent ?? '';
  expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const traceId = traceparent.split('-')[1]!;
  expect(rows.find((r) => r.type === 'TicketRouted')?.metadata.traceparent?.split('-')[1]).toBe(traceId);

  const inTrace = () => collector.spans().filter((s) => s.traceId === traceId);
  const has = (service: string, name: string) => inTrace().some((s) => s.service === service && s.name === name);
  const expected: [string, string][] = [
    ['gateway', 'POST /api/v1/tickets'],
    ['gateway', 'handler /api/v1/tickets'],
    ['gateway', 'grpc.tongban.intake.v1.IntakeService/SubmitTicket'],
    ['intake', 'grpc.tongban.intake.v1.IntakeService/SubmitTicket'],
    ['intake', 'eventstore append'],
    ['relay', 'publish TicketSubmitted'],
    ['routing', 'process TicketSubmitted'],
    ['relay', 'publish TicketRouted'],
    ['query', 'process TicketSubmitted'],
    ['query', 'process TicketRouted'],
    ['deadline', 'process TicketRouted'],
    ['notification', 'process TicketRouted'],
  ];
  await waitFor(() => expected.every(([service, name]) => has(service, name)) || undefined, { timeoutMs: 20_000, intervalMs: 200 })
    .catch(() => undefined);
  if (process.env['TONGBAN_TEST_TRACE'] === '1') console.log(tree(inTrace().filter((s) => !/^pg[.-]/.test(s.name))));
  expect(expected.filter(([service, name]) => !has(service, name))).toEqual([]);

  // One tree: every span's parent is in the trace, except the gateway's request.
  await new Promise((resolve) => setTimeout(resolve, 500)); // the last batches of every process
  const spans = inTrace();
  const roots = spans.filter((s) => !s.parentSpanId);
  expect(roots.map((s) => `${s.service}: ${s.name}`)).toEqual(['gateway: POST /api/v1/tickets']);
  expect(roots[0]!.kind).toBe(2); // SERVER
  expect(spans.filter((s) => s.parentSpanId && !spans.some((p) => p.spanId === s.parentSpanId)).map((s) => `${s.service}: ${s.name}`)).toEqual([]);
  // The bus hops: publish is the child of the append that wrote the event, process the child of publish.
  const span = (service: string, name: string) => spans.find((s) => s.service === service && s.name === name)!;
  const byId = (spanId: string) => spans.find((s) => s.spanId === spanId);
  expect(byId(span('relay', 'publish TicketSubmitted').parentSpanId)).toMatchObject({ service: 'intake', name: 'eventstore append' });
  expect(byId(span('routing', 'process TicketSubmitted').parentSpanId)).toMatchObject({ service: 'relay', name: 'publish TicketSubmitted' });
  expect(span('routing', 'process TicketSubmitted').attributes).toMatchObject({ 'messaging.system': 'nats', 'tongban.correlation_id': correlationId });
  // The routing is appended with the submission (issue 13): one append, so its publish is a child of intake's.
  expect(byId(span('relay', 'publish TicketRouted').parentSpanId)).toMatchObject({ service: 'intake', name: 'eventstore append' });
  expect(has('routing', 'eventstore append')).toBe(false);
  // PostgreSQL queries of the action are in it too (pg instrumentation), the relay's polls are not.
  expect(spans.some((s) => s.service === 'intake' && s.attributes['db.system.name'] === 'postgresql' && s.name !== 'eventstore append')).toBe(true);
  expect(collector.contentTypes()).toContain('application/x-protobuf');

  // Log lines written while handling it carry its trace id beside the correlation id.
  await waitFor(() => linesWith('routing', correlationId).some((l) => l['msg'] === 'event handled') || undefined, { timeoutMs: 10_000 });
  expect(linesWith('intake', correlationId)).toContainEqual(expect.objectContaining({ msg: 'call handled', traceId }));
  expect(linesWith('routing', correlationId)).toContainEqual(expect.objectContaining({ msg: 'event handled', traceId }));
  expect(linesWith('gateway', correlationId).filter((l) => l['traceId'] === traceId).length).toBeGreaterThan(0);
}, 120_000);

it('a deadline timer firing is a trace of its own, followed through its events to the consumers', async () => {
  const start = '2026-04-06T09:00:00+08:00';
  await stack.setClock(start);
  const device = await stack.device();
  const id = await stack.submitRouted(device.token);
  // 25 h later the unanswered first response breaches.
  await stack.setClock(plusHours(utc(start), 25));
  await stack.waitForTicket(id, device.token, (v) => v.breaches.length > 0);

  const published = await waitFor(() => collector.spans().find((s) => s.name === 'publish DeadlineBreached' && s.attributes['tongban.event.stream'] === `ticket-${id}`), { timeoutMs: 10_000 });
  const inTrace = () => collector.spans().filter((s) => s.traceId === published.traceId);
  const handledBy = () => inTrace().filter((s) => s.name === 'process DeadlineBreached' && s.parentSpanId === published.spanId).map((s) => s.service);
  await waitFor(() => ['deadline', 'notification', 'query'].every((p) => handledBy().includes(p)) || undefined, { timeoutMs: 10_000 }).catch(() => undefined);
  expect(handledBy().sort()).toEqual(['deadline', 'notification', 'query']);
  const spans = inTrace();
  const roots = spans.filter((s) => !s.parentSpanId);
  expect(roots).toEqual([expect.objectContaining({ service: 'deadline', name: 'deadline fire breach', attributes: expect.objectContaining({ 'tongban.ticket.id': id }) })]);
  const append = spans.find((s) => s.spanId === published.parentSpanId);
  expect(append).toMatchObject({ service: 'deadline', name: 'eventstore append', parentSpanId: roots[0]!.spanId });
  // Not in the trace of the submission that set the timer: a pass of the timer loop is its own context.
  expect(spans.some((s) => s.name.startsWith('process Ticket'))).toBe(false);
}, 60_000);
