/**
 * Issue 16 item 12, on real processes: when a notice's first delivery fails and later events go ahead,
 * the reporter's inbox still presents notices in event order — the late one stamped with its event's
 * time, never as newer than the notice of a later step.
 */
import { waitFor } from '@tongban/testing';
import type pg from 'pg';
import { submission } from '../support/load';
import { type TestStack, startTestStack } from '../support/test-stack';

let stack: TestStack;
let db: pg.Pool;
beforeAll(async () => {
  stack = await startTestStack();
  db = stack.pool(2);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

it('orders the inbox by event, not by when a redelivered notice was inserted', async () => {
  const reporter = await stack.device();
  const admin = await stack.staffToken('admin', '513437100');
  const res = await stack.api('POST', '/api/v1/tickets', { token: reporter.token, headers: { 'idempotency-key': `order-${Date.now()}` }, body: submission(1) });
  expect(res.status).toBe(201);
  const id: string = res.body.id;
  await stack.waitForTicket(id, reporter.token, (v) => v.status === 'routed', 30_000);
  expect((await stack.api('POST', `/api/v1/tickets/${id}/accept`, { token: admin })).status).toBe(200);

  // The first three deliveries of the public reply's notice fail (a sequence is not rolled back with
  // the failed insert), so it is redelivered with backoff while the resolution goes ahead.
  await db.query('CREATE SEQUENCE refuse_reply');
  await db.query(`CREATE FUNCTION refuse_reply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.kind = 'public-reply' AND nextval('refuse_reply') <= 3 THEN RAISE EXCEPTION 'reply notice refused'; END IF; RETURN NEW; END $$`);
  await db.query('CREATE TRIGGER refuse_reply BEFORE INSERT ON inbox_messages FOR EACH ROW EXECUTE FUNCTION refuse_reply()');
  try {
    expect((await stack.api('POST', `/api/v1/tickets/${id}/reply`, { token: admin, body: { message: '已收到，正在处理。', public: true } })).status).toBe(200);
    expect((await stack.api('POST', `/api/v1/tickets/${id}/resolve`, { token: admin, body: { resolution: '已处理完毕。' } })).status).toBe(200);
    const inserted = await waitFor(async () => {
      const { rows } = await db.query<{ kind: string }>(
        `SELECT kind FROM inbox_messages WHERE ticket_id = $1 AND kind IN ('public-reply', 'resolved') ORDER BY xmin::text::bigint`, [id]);
      return rows.length === 2 ? rows.map((r) => r.kind) : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, description: 'both notices delivered' });
    // The scenario happened: the reply's notice was inserted after the resolution's.
    expect(inserted).toEqual(['resolved', 'public-reply']);
  } finally {
    await db.query('DROP TRIGGER refuse_reply ON inbox_messages');
  }

  const inbox = await stack.api('GET', '/api/v1/inbox', { token: reporter.token });
  expect(inbox.status).toBe(200);
  const mine = (inbox.body.messages as { ticketId: string; kind: string; createdAt: string }[]).filter((m) => m.ticketId === id);
  expect(mine.map((m) => m.kind)).toEqual(['resolved', 'public-reply', 'accepted']);
  const at = (kind: string) => Date.parse(mine.find((m) => m.kind === kind)!.createdAt);
  expect(at('public-reply')).toBeLessThanOrEqual(at('resolved'));
  // Stamped with the event's time: the reply's notice carries the time the reply was recorded.
  const history = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: admin });
  const replied = (history.body.events as { type: string; recordedAt: string }[]).find((e) => e.type === 'TicketReplied');
  expect(at('public-reply')).toBe(Date.parse(replied!.recordedAt));
  expect(stack.logs().some((l) => l.includes('event handler failed') && l.includes('TicketReplied'))).toBe(true);
}, 120_000);
