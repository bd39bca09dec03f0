/**
 * Issue 12 item 5 end to end on real processes: the caller's correlation id (X-Correlation-Id at the
 * gateway) survives every hop — gateway → intake → the event's metadata → relay → consumers (routing,
 * deadline, notification, query) → the events they append (correlationId, causationId = the event handled)
 * — and the log lines written while handling carry it.
 */
import { randomUUID } from 'node:crypto';
import { waitFor } from '@tongban/testing';
import { plusHours, utc } from '../support/seed-cases';
import { type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack({ LOG_LEVEL: 'debug' }, { keepLogLines: 50_000 }); }, 180_000);
afterAll(async () => { await stack?.stop(); });

interface StoredEvent { id: string; type: string; revision: number; metadata: { correlationId?: string; causationId?: string; service?: string } }

async function eventsOf(ticketId: string): Promise<StoredEvent[]> {
  const pool = stack.pool(1);
  const { rows } = await pool.query<StoredEvent>('SELECT id, type, revision::int AS revision, metadata FROM events WHERE stream = $1 ORDER BY revision', [`ticket-${ticketId}`]);
  return rows;
}

/** The JSON log lines of `process` (its name as the stack prefixes it) that carry `correlationId`. */
function linesWith(process: string, correlationId: string): Record<string, unknown>[] {
  return stack.logs().filter((l) => l.startsWith(`[${process}] {`)).map((l) => {
    try { return JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>; } catch { return {}; }
  }).filter((entry) => entry['correlationId'] === correlationId);
}

it("the caller's correlation id reaches every hop, causations chain the events, and log lines carry it", async () => {
  const start = '2026-04-06T09:00:00+08:00';
  await stack.setClock(start);
  const submitCorrelation = `submit-${randomUUID()}`;
  const acceptCorrelation = `accept-${randomUUID()}`;
  const device = await stack.device();
  const submitted = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, headers: { 'x-correlation-id': submitCorrelation },
    body: { service_code: 'water-supply', division: '513431', title: '停水三天', description: '村里停水三天了。' },
  });
  expect(submitted.status).toBe(201);
  expect(submitted.headers.get('x-correlation-id')).toBe(submitCorrelation);
  const id: string = submitted.body.id;
  await stack.waitForTicket(id, device.token, (v) => v.status === 'routed');
  const admin = await stack.staffToken('admin', '513431');
  expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin, headers: { 'x-correlation-id': acceptCorrelation } })).status).toBe(200);
  // 25 h later the unanswered first response breaches: events of the deadline service, caused by the accept.
  await stack.setClock(plusHours(utc(start), 25));
  await stack.waitForTicket(id, device.token, (v) => v.breaches.length > 0);

  const events = await eventsOf(id);
  const byType = (type: string) => events.find((e) => e.type === type)!;
  const submittedEvent = byType('TicketSubmitted');
  expect(submittedEvent.metadata.correlationId).toBe(submitCorrelation); // no longer replaced by the ticket id
  // Routed in the submission's append (issue 13): by the routing system actor, written by intake.
  expect(byType('TicketRouted').metadata).toMatchObject({ correlationId: submitCorrelation, causationId: submittedEvent.id, service: 'intake', actor: { kind: 'system', id: 'routing' } });
  const accepted = byType('TicketAccepted');
  expect(accepted.metadata.correlationId).toBe(acceptCorrelation);
  const deadlineEvents = events.filter((e) => e.metadata.service === 'deadline');
  expect(deadlineEvents.map((e) => e.type)).toContain('DeadlineBreached');
  for (const e of deadlineEvents) {
    // Every deadline event is caused by an earlier event of the same ticket and keeps its correlation.
    const cause = events.find((c) => c.id === e.metadata.causationId);
    expect(cause).toBeDefined();
    expect(cause!.revision).toBeLessThan(e.revision);
    expect(e.metadata.correlationId).toBe(cause!.metadata.correlationId);
  }
  expect(deadlineEvents.find((e) => e.type === 'DeadlineBreached')!.metadata.correlationId).toBe(acceptCorrelation);

  // Log lines written while handling the submission — the call in intake, the relay publishing it, each
  // consumer handling TicketSubmitted/TicketRouted — carry the caller's correlation id.
  const processes = ['gateway', 'intake', 'relay', 'routing', 'deadline', 'notification', 'query'];
  const missing: string[] = [];
  await waitFor(() => {
    missing.length = 0;
    for (const p of processes) if (linesWith(p, submitCorrelation).length === 0) missing.push(p);
    return missing.length === 0 || undefined;
  }, { timeoutMs: 15_000, intervalMs: 250 }).catch(() => undefined);
  expect(missing).toEqual([]);
  // A consumer's line names the event it handled as the cause.
  expect(linesWith('routing', submitCorrelation)).toContainEqual(expect.objectContaining({ causationId: submittedEvent.id, msg: 'event handled' }));
  expect(linesWith('intake', submitCorrelation)).toContainEqual(expect.objectContaining({ msg: 'call handled', method: '/tongban.intake.v1.IntakeService/SubmitTicket' }));
  expect(linesWith('deadline', acceptCorrelation).length).toBeGreaterThan(0);
}, 120_000);
