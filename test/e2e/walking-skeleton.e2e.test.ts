/**
 * Issue 2's end-to-end test: real processes (six services, relay, gateway), real NATS and PostgreSQL.
 * The three seed cases are submitted as their first timeline step says; each is routed to the expected
 * unit with 24 h / 72 h due times; the unit's inbox has the arrival; after accept, public reply and
 * resolve by that unit's admin the reporter's inbox has the reply and the history lists every event
 * in order with the right actors. Moving the clock 25 h past an unanswered submission records the
 * first-response breach.
 */
import { STACK_START_TIMEOUT_MS, type TestStack, startTestStack } from '../support/test-stack';
import { plusHours, seedCases, utc } from '../support/seed-cases';

const EXPECTED_UNIT: Record<string, { unit: string; name: string; adminDivision: string }> = {
  'dangerous-wall': { unit: 'adm-513437100', name: '锦城镇', adminDivision: '513437100' },
  'bus-overcharging': { unit: 'adm-513431', name: '昭觉县', adminDivision: '513431' },
  'village-garbage': { unit: 'adm-513434114', name: '马拖镇', adminDivision: '513434114' },
};

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(); }, STACK_START_TIMEOUT_MS + 10_000);
afterAll(async () => { await stack?.stop(); });

describe.each(seedCases().map((c) => [c.id, c] as const))('seed case %s', (_id, seedCase) => {
  it('is submitted, routed, answered and resolved end to end', async () => {
    const first = seedCase.timeline[0]!;
    const expected = EXPECTED_UNIT[seedCase.id]!;
    await stack.setClock(first.at);
    const reporter = first.channel === 'proxy'
      ? { token: await stack.staffToken('information-officer', first.submittedBy!.division), kind: 'staff' as const }
      : { ...(await stack.device()), kind: 'citizen' as const };
    const submitted = await stack.api('POST', '/api/v1/tickets', {
      token: reporter.token,
      headers: { 'idempotency-key': `seed-${seedCase.id}` },
      body: {
        service_code: first['service_code'], division: first['division'], title: first['title'], description: first['description'], address: first['address'],
        ...(first.onBehalfOf ? { onBehalfOf: { name: first.onBehalfOf.placeholder } } : {}),
      },
    });
    expect(submitted.status).toBe(201);
    const id: string = submitted.body.id;
    expect(submitted.body.reference).toMatch(/^LS-2015-\d{6}$/);

    const routed = await stack.waitForTicket(id, reporter.token, (v) => v.routedUnit?.id === expected.unit);
    expect(routed.routedUnit.name).toBe(expected.name);
    // The test clock keeps running from the instant set, so submission is at `at` plus a few ms.
    expect(Date.parse(routed.submittedAt) - Date.parse(first.at)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(routed.submittedAt) - Date.parse(first.at)).toBeLessThan(5_000);
    expect(routed.firstResponseDueAt).toBe(plusHours(routed.submittedAt, 24));
    expect(routed.resolutionDueAt).toBe(plusHours(routed.submittedAt, 72));

    const admin = await stack.staffToken('admin', expected.adminDivision);
    const arrived = await waitForInbox(admin, (m) => m.ticketId === id && m.kind === 'ticket-arrived');
    expect(arrived.title).toContain(routed.reference);

    expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);
    const reply = await stack.api('POST', `/api/v1/tickets/${id}/reply`, { token: admin, body: { message: '已收到，正在处理。', public: true } });
    expect(reply.status).toBe(200);
    expect((await stack.api('POST', `/api/v1/tickets/${id}/resolve`, { token: admin, body: { resolution: '已处理完毕。' } })).status).toBe(200);

    const message = await waitForInbox(reporter.token, (m) => m.ticketId === id && m.kind === 'public-reply');
    expect(message.body).toBe('已收到，正在处理。');

    const done = await stack.waitForTicket(id, reporter.token, (v) => v.status === 'resolved');
    // A citizen reporter reads the first responder's unit, never a staff id (an officer reporter reads it).
    expect(done.firstResponder).toMatchObject({ unitId: expected.unit });
    expect(done.firstResponder.staffId).toBe(reporter.kind === 'citizen' ? undefined : `admin@${expected.unit}`);
    expect(done.breaches).toEqual([]);

    const historyRes = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: admin });
    expect(historyRes.status).toBe(200);
    const history = { body: historyRes.body.events };
    const types = history.body.map((e: any) => e.type);
    expect(types.filter((t: string) => !t.startsWith('Deadline'))).toEqual(['TicketSubmitted', 'TicketRouted', 'TicketAccepted', 'TicketReplied', 'TicketResolved']);
    expect(history.body.map((e: any) => e.revision)).toEqual(history.body.map((_: unknown, i: number) => i));
    const byType = (t: string) => history.body.find((e: any) => e.type === t);
    if (first.channel === 'proxy') {
      expect(byType('TicketSubmitted').actor).toMatchObject({ kind: 'staff', role: 'information-officer' });
      expect(byType('TicketSubmitted').onBehalfOf).toBe(first.onBehalfOf!.placeholder);
      expect(byType('TicketSubmitted').channel).toBe('proxy');
    } else {
      expect(byType('TicketSubmitted').actor).toMatchObject({ kind: 'citizen' });
      expect(byType('TicketSubmitted').channel).toBe('app');
    }
    expect(byType('TicketRouted').actor).toMatchObject({ kind: 'system', id: 'routing' });
    for (const t of ['TicketAccepted', 'TicketReplied', 'TicketResolved']) {
      expect(byType(t).actor).toMatchObject({ kind: 'staff', role: 'admin', id: `admin@${expected.unit}`, unitId: expected.unit });
    }
  }, 60_000);
});

it('records a first-response breach when the clock moves 25 h past an unanswered submission', async () => {
  const start = '2015-07-01T09:00:00+08:00';
  await stack.setClock(start);
  const device = await stack.device();
  const submitted = await stack.api('POST', '/api/v1/tickets', {
    token: device.token, body: { service_code: 'water-supply', division: '513431', title: '停水三天', description: '村里停水三天了。' },
  });
  expect(submitted.status).toBe(201);
  // Routed in the submission's own append: the answer says so (was: a hard-coded submitted).
  expect(submitted.body).toMatchObject({ status: 'routed', revision: 1 });
  const id = submitted.body.id;
  await stack.waitForTicket(id, device.token, (v) => v.status === 'routed');
  await stack.setClock(plusHours(utc(start), 25));
  const view = await stack.waitForTicket(id, device.token, (v) => v.breaches.length > 0);
  expect(view.breaches).toEqual([{ leg: 'first_response', dueAt: plusHours(view.submittedAt, 24), breachedAt: expect.any(String) }]);
  expect(Date.parse(view.breaches[0].breachedAt)).toBeGreaterThanOrEqual(Date.parse(plusHours(view.submittedAt, 24)));
  expect(view.breaches.some((b: { leg: string }) => b.leg === 'resolution')).toBe(false);
}, 60_000);

it('rejects bad input with problem+json and leaves no event behind', async () => {
  const device = await stack.device();
  const bad = async (body: unknown, expectedStatus: number, headers: Record<string, string> = {}) => {
    const res = await stack.api('POST', '/api/v1/tickets', { token: device.token, body, headers });
    expect(res.status).toBe(expectedStatus);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    return res.body;
  };
  const valid = { service_code: 'sanitation', division: '513434114203', title: '垃圾', description: '没有垃圾池' };
  expect((await bad({ ...valid, division: '999999' }, 400)).reason).toBe('unknown_division');
  expect((await bad({ ...valid, service_code: 'no-such-service' }, 400)).reason).toBe('unknown_service_code');
  await bad({ ...valid, title: undefined }, 400);
  await bad('{"service_code": "sanitation",', 400);
  await bad(JSON.stringify({ ...valid, description: 'x'.repeat(10 * 1024 * 1024) }), 413);
  const noToken = await stack.api('POST', '/api/v1/tickets', { body: valid });
  expect(noToken.status).toBe(401);
  // Nothing was written for this device.
  const mine = await stack.api('GET', '/api/v1/tickets', { token: device.token });
  expect(mine.status).toBe(200);
  expect(mine.body.tickets).toEqual([]);

  const ok = await stack.api('POST', '/api/v1/tickets', { token: device.token, body: valid });
  const other = await stack.staffToken('admin', '513437100');
  await stack.waitForTicket(ok.body.id, device.token, (v) => v.status === 'routed');
  const forbidden = await stack.api('POST', `/api/v1/tickets/${ok.body.id}/accept`, { token: other });
  expect(forbidden.status).toBe(403);
  expect(forbidden.body.reason).toBe('not_holder');
  const history = await stack.api('GET', `/api/v1/tickets/${ok.body.id}/history`, { token: device.token });
  expect(history.body.events.map((e: any) => e.type)).toEqual(['TicketSubmitted', 'TicketRouted']);
}, 60_000);

it('returns the same ticket for a retried submission with the same Idempotency-Key, and refuses another body', async () => {
  const device = await stack.device();
  const body = { service_code: 'power-supply', division: '513431', title: '停电', description: '全村停电' };
  const headers = { 'idempotency-key': 'retry-1' };
  const a = await stack.api('POST', '/api/v1/tickets', { token: device.token, body, headers });
  const b = await stack.api('POST', '/api/v1/tickets', { token: device.token, body, headers });
  expect(a.status).toBe(201);
  expect([200, 201]).toContain(b.status);
  expect(b.body.id).toBe(a.body.id);
  const c = await stack.api('POST', '/api/v1/tickets', { token: device.token, body: { ...body, title: '又停电' }, headers });
  expect(c.status).toBeGreaterThanOrEqual(400);
  expect(c.status).toBeLessThan(500);
  expect(c.body.reason).toBe('idempotency_key_reused');
}, 60_000);

async function waitForInbox(token: string, match: (m: any) => boolean): Promise<any> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await stack.api('GET', '/api/v1/inbox', { token });
    const found = Array.isArray(res.body?.messages) ? res.body.messages.find(match) : Array.isArray(res.body) ? res.body.find(match) : undefined;
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`inbox never had the message; last: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('keeps inbox read state per person: one officer reading lowers only their own unread count; bad markers are 4xx', async () => {
  const device = await stack.device();
  const submit = async (title: string) => {
    const res = await stack.api('POST', '/api/v1/tickets', {
      token: device.token, body: { service_code: 'dangerous-structure', division: '513437102001', title, description: '围墙出现裂缝。' },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const first = await submit('汶水镇围墙开裂');
  // Two officers of the same township (汶水镇): the seeded admin and a colleague.
  const [a, b] = await Promise.all([stack.staffToken('admin', '513437102'), stack.staffToken('admin', '513437102', undefined, 'colleague@adm-513437102')]);
  const arrival = await waitForInbox(a, (m) => m.ticketId === first && m.kind === 'ticket-arrived');
  const inbox = async (token: string) => {
    const res = await stack.api('GET', '/api/v1/inbox', { token });
    expect(res.status).toBe(200);
    return res.body as { messages: { id: string; ticketId: string; read: boolean; createdAt: string }[]; unread: number };
  };
  const read = (token: string, body: unknown) => stack.api('POST', '/api/v1/inbox/read', { token, body });
  expect(arrival.read).toBe(false);
  const before = await inbox(b);
  expect(before.unread).toBe(before.messages.length);
  expect(before.unread).toBeGreaterThanOrEqual(1);

  // A reads the arrival: A's count drops by one; B's does not.
  const marked = await read(a, { ids: [arrival.id] });
  expect(marked.status).toBe(200);
  expect(marked.body).toEqual({ unread: before.unread - 1 });
  expect((await read(a, { ids: [arrival.id] })).body).toEqual({ unread: before.unread - 1 }); // idempotent
  expect((await inbox(a)).messages.find((m) => m.id === arrival.id)?.read).toBe(true);
  const other = await inbox(b);
  expect(other.unread).toBe(before.unread);
  expect(other.messages.find((m) => m.id === arrival.id)?.read).toBe(false);

  // B marks everything up to the newest message's instant; a later arrival is unread again.
  expect((await read(b, { upTo: other.messages[0]!.createdAt })).body).toEqual({ unread: 0 });
  expect((await inbox(b)).messages.every((m) => m.read)).toBe(true);
  const second = await submit('汶水镇又一处危墙');
  await waitForInbox(b, (m) => m.ticketId === second && m.kind === 'ticket-arrived' && m.read === false);
  expect((await inbox(b)).unread).toBe(1);
  // The marker never moves back: an older message id changes nothing.
  expect((await read(b, { upTo: arrival.id })).body).toEqual({ unread: 1 });
  const newest = (await inbox(b)).messages[0]!;
  expect((await read(b, { upTo: newest.id })).body).toEqual({ unread: 0 });

  // Bad markers: 4xx problem+json, nothing marked.
  const unknown = await read(a, { ids: [newest.id, '00000000-0000-4000-8000-000000000000'] });
  expect(unknown.status).toBe(404);
  expect(unknown.body.reason).toBe('inbox_message_not_found');
  expect((await inbox(a)).messages.find((m) => m.id === newest.id)?.read).toBe(false);
  // A reporter's device cannot mark a unit's message.
  expect((await read(device.token, { upTo: newest.id })).body.reason).toBe('inbox_message_not_found');
  for (const body of [{}, { upTo: 'yesterday' }, { ids: ['not-a-uuid'] }, { ids: [] }, { upTo: newest.id, ids: [newest.id] }, { upTo: 5 }, { other: 1 }]) {
    const res = await read(a, body);
    expect([res.status, body]).toEqual([400, body]);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  }
  expect((await read(a, { upTo: 'yesterday' })).body.reason).toBe('invalid_read_marker');
  // A date that does not exist is no instant (Date.parse would take 2026-02-30 for 2 March).
  const impossible = await read(a, { upTo: '2026-02-30T00:00:00Z' });
  expect([impossible.status, impossible.body.reason]).toEqual([400, 'invalid_read_marker']);
  expect((await stack.api('POST', '/api/v1/inbox/read', { body: { upTo: newest.id } })).status).toBe(401);
}, 90_000);
