/**
 * Issue 12 item 3 on real processes: after a submission (routed, accepted and answered, then the clock
 * moved past its first-response due time) every process's /metrics — the gateway's port, the services'
 * and the relay's health listener — carries its tongban_* series with non-zero values.
 */
import { waitFor } from '@tongban/testing';
import { PROCESSES } from '../../scripts/stack';
import { plusHours, utc } from '../support/seed-cases';
import { type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack({ TONGBAN_HEALTH_PORT: '0' }); }, 180_000);
afterAll(async () => { await stack?.stop(); });

/** One sample of Prometheus text: name, labels, value. */
interface Sample { name: string; labels: Record<string, string>; value: number }

function parse(text: string): { samples: Sample[]; types: Set<string> } {
  const samples: Sample[] = [];
  const types = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) types.add(type[1]!);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

async function scrape(name: string): Promise<{ samples: Sample[]; types: Set<string> }> {
  const url = stack.metricsUrl(name);
  if (!url) throw new Error(`${name}: no metrics URL (health port not reported)`);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parse(await res.text());
}

/** The sum of `name` over the samples whose labels include `labels` (values as regular expressions). */
function total(samples: Sample[], name: string, labels: Record<string, RegExp> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, re]) => re.test(s.labels[k] ?? ''))).reduce((sum, s) => sum + s.value, 0);
}

it('every process serves its tongban_* series with non-zero values after a submission', async () => {
  const start = '2026-03-02T09:00:00+08:00';
  await stack.setClock(start);
  const device = await stack.device();
  const id = await stack.submitRouted(device.token);
  const admin = await stack.staffToken('admin', '513431');
  expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
  // Past the resolution due time (72 h): the first response was accepted, not answered — both legs breach.
  await stack.setClock(plusHours(utc(start), 73));
  await stack.waitForTicket(id, device.token, (v) => v.breaches.length > 0);
  await waitFor(async () => (await stack.api('GET', '/api/v1/inbox', { token: admin })).body?.messages?.length > 0 || undefined, { timeoutMs: 15_000 });

  const consumerSeries = (durable: RegExp) => ({
    'tongban_consumer_messages_handled_total': { consumer: durable },
    'tongban_consumer_processing_seconds_count': { consumer: durable, outcome: /^ack$/ },
  });
  const grpc = (service: RegExp) => ({
    'tongban_grpc_server_handled_total': { method: service, code: /^OK$/ },
    'tongban_grpc_server_handling_seconds_count': { method: service },
  });
  const appends = { 'tongban_eventstore_append_duration_seconds_count': { outcome: /^ok$/ }, 'tongban_eventstore_appended_events_total': {} };
  const expected: Record<string, Record<string, Record<string, RegExp>>> = {
    gateway: {
      'tongban_http_requests_total': { route: /^\/api\/v1\/tickets$/, method: /^POST$/, status: /^201$/ },
      'tongban_http_request_duration_seconds_count': { route: /^\/api\/v1\/tickets\/:id$/, method: /^GET$/, status: /^200$/ },
    },
    identity: grpc(/IdentityService\/IssueToken$/),
    intake: { ...grpc(/IntakeService\/SubmitTicket$/), ...appends },
    routing: { ...grpc(/RoutingService\/ExecuteRoutingCommand$/), ...appends, ...consumerSeries(/-routing$/) },
    casework: grpc(/CaseworkService\//),
    deadline: {
      ...appends, ...consumerSeries(/-deadline-timers$/),
      'tongban_deadline_timers_fired_total': { kind: /./, outcome: /^ok$/ },
      'tongban_deadline_timer_late_seconds_count': { kind: /./ },
      'tongban_deadline_timers_scheduled': {},
    },
    notification: { ...consumerSeries(/-notification-inbox$/), 'tongban_notifications_sent_total': { channel: /^inbox$/ }, ...grpc(/NotificationService\/ListInbox$/) },
    query: {
      ...consumerSeries(/-query-ticket-views$/), ...grpc(/QueryService\/GetTicket$/),
      'tongban_tickets_open': { county: /^513431$/ },
      'tongban_tickets_breached': { county: /^513431$/ },
    },
    relay: { 'tongban_relay_published_events_total': { duplicate: /^false$/ } },
  };
  // Declared, but zero in a healthy run: present with their TYPE line.
  const declared: Record<string, string[]> = {
    intake: ['tongban_eventstore_append_conflicts_total'],
    routing: ['tongban_consumer_redeliveries_total', 'tongban_dead_letters_total', 'tongban_consumer_pending_messages', 'tongban_consumer_lag_seconds'],
    deadline: ['tongban_deadline_timers_due'],
    notification: ['tongban_notifications_failed_total'],
    relay: ['tongban_relay_lag_events', 'tongban_relay_lag_seconds'],
  };
  expect(Object.keys(expected).sort()).toEqual([...PROCESSES].sort());
  // The casework call: a public reply (the gateway's other routes went through routing).
  expect((await stack.api('POST', `/api/v1/tickets/${id}/reply`, { token: admin, body: { message: '已收到。', public: true } })).status).toBe(200);

  const missing: string[] = [];
  await waitFor(async () => {
    missing.length = 0;
    for (const [process, series] of Object.entries(expected)) {
      const { samples, types } = await scrape(process);
      for (const [name, labels] of Object.entries(series)) {
        if (!(total(samples, name, labels) > 0)) missing.push(`${process}: ${name}${JSON.stringify(Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])))}`);
      }
      for (const name of declared[process] ?? []) if (!types.has(name)) missing.push(`${process}: # TYPE ${name}`);
    }
    return missing.length === 0 || undefined;
  }, { timeoutMs: 20_000, intervalMs: 500 }).catch(() => undefined);
  expect(missing).toEqual([]);
}, 120_000);
