/**
 * Durable timers against a real PostgreSQL (createTestDatabase): firing through the real executor and
 * event store, exactly-once effects with two replicas, crash safety (a killed claimer, an effect written
 * before the row was deleted), and rebuilding a dropped timer table from the event store.
 */
import type { ActorContext, Clock, TicketCommand } from '@tongban/domain';
import { PostgresEventStore, runMigrations } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { status } from '@grpc/grpc-js';
import { TicketRejection } from '@tongban/domain';
import { TicketExecutor, loadTicket, toServiceError } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase } from '@tongban/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { type FireDeps, fireTimer, timerEventId } from './fire';
import { DEADLINE_MIGRATIONS } from './migrations';
import { rebuildTimers } from './rebuild';
import { type Timer, DEFAULT_TIMER_SETTINGS, desiredTimers } from './schedule';
import { rescheduleTicket, rescheduleTickets } from './scheduler';
import { fireDueTimers, replaceTimers, replaceTimersOf, timersOf } from './timer-store';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-23T01:00:00.000Z');
const at = (hours: number): Date => new Date(T0 + hours * HOUR);
const TOWNSHIP = 'adm-513437100';
const REPORTER: ActorContext = { kind: 'citizen', id: 'device-int-1' };
const ROUTING: ActorContext = { kind: 'system', id: 'routing' };
const ADMIN: ActorContext = { kind: 'staff', id: `admin@${TOWNSHIP}`, role: 'admin', unitId: TOWNSHIP, unitKind: 'administration', unitDivision: '513437100', unitLevel: 'township' };
const ref = loadReferenceData();

let db: TestDatabase;
let pool: pg.Pool;
let store: PostgresEventStore;
const clock = { current: new Date(T0), now(): Date { return this.current; } } satisfies Clock & { current: Date };
let executor: TicketExecutor;
let deps: FireDeps;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 12 });
  store = await PostgresEventStore.create(pool, clock);
  await runMigrations(pool, 'deadline', DEADLINE_MIGRATIONS);
  executor = new TicketExecutor({ store, ref, clock, service: 'test' });
  deps = { executor, store, ref, settings: DEFAULT_TIMER_SETTINGS, now: () => clock.now() };
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});
beforeEach(async () => {
  clock.current = new Date(T0);
  await pool.query('DELETE FROM sla_timers');
});

async function run(ticketId: string, actor: ActorContext, command: TicketCommand, hours: number): Promise<void> {
  clock.current = at(hours);
  await executor.execute(ticketId, command, actor, { correlationId: ticketId });
}

/** A routed ticket at the township (submitted at T0 + `hours`), with its timers scheduled. */
async function newTicket(hours = 0, accept = false): Promise<string> {
  const ticketId = uuidv7();
  await run(ticketId, REPORTER, {
    type: 'SubmitTicket', ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, serviceCode: 'dangerous-structure', division: '513437100001',
    title: '危墙', description: '围墙出现裂缝', address: '', channel: 'app',
    reporter: { deviceId: REPORTER.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
    attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
  }, hours);
  await run(ticketId, ROUTING, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: 'housing-construction' }, hours);
  if (accept) await run(ticketId, ADMIN, { type: 'AcceptTicket' }, hours);
  await rescheduleTicket(pool, store, ticketId, DEFAULT_TIMER_SETTINGS);
  return ticketId;
}

const typesOf = async (ticketId: string): Promise<string[]> => (await store.readStream(`ticket-${ticketId}`)).map((e) => e.type);
const count = (types: string[], type: string): number => types.filter((t) => t === type).length;

/** Fires what is due at T0 + `hours` (one replica), then reschedules like the consumer would. */
async function fireAt(hours: number, ticketIds: string[]): Promise<void> {
  clock.current = at(hours);
  while ((await fireDueTimers(pool, clock.now(), 100, (t) => fireTimer(deps, t))) > 0) { /* drain */ }
  for (const id of ticketIds) await rescheduleTicket(pool, store, id, DEFAULT_TIMER_SETTINGS);
}

describe('sign-for (签收) deadline (issue 14 item 2)', () => {
  /** An emergency ticket of the default set: the township must sign for it within 15 min. */
  async function emergencyTicket(): Promise<string> {
    const ticketId = uuidv7();
    await run(ticketId, REPORTER, {
      type: 'SubmitTicket', ticketId, reference: `LS-2026-${ticketId.slice(-6)}`, serviceCode: 'dangerous-structure', division: '513437100001',
      title: '危墙', description: '围墙出现裂缝', address: '', channel: 'app',
      reporter: { deviceId: REPORTER.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
      attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75, urgencyClass: 'emergency', signForHours: 0.25 },
    }, 0);
    await run(ticketId, ROUTING, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: 'housing-construction' }, 0);
    await rescheduleTicket(pool, store, ticketId, DEFAULT_TIMER_SETTINGS);
    return ticketId;
  }

  it('a missed sign-for is recorded once with the first escalation; the citizen\'s legs still breach at their own times', async () => {
    const id = await emergencyTicket();
    expect((await timersOf(pool, id)).map((t) => `${t.leg}/${t.kind}@${t.dueAt}`)).toContain(`sign_for/breach@${at(0.25).toISOString()}`);
    await fireAt(0.24, [id]);
    expect(await typesOf(id)).toEqual(['TicketSubmitted', 'TicketRouted']);
    await fireAt(0.26, [id]);
    await fireAt(0.3, [id]);
    expect((await typesOf(id)).slice(2)).toEqual(['SignForBreached', 'TicketEscalated']);
    const state = await loadTicket(store, id);
    expect(state.escalations).toMatchObject([{ toUnitId: 'adm-513437', level: 1, automatic: true }]);
    expect(state.breaches).toEqual([]);
    // Signing late meets the leg; the first reply is still owed at 24 h.
    await run(id, ADMIN, { type: 'AcceptTicket' }, 1);
    await rescheduleTicket(pool, store, id, DEFAULT_TIMER_SETTINGS);
    expect((await timersOf(pool, id)).map((t) => t.leg)).not.toContain('sign_for');
    await fireAt(24.01, [id]);
    expect(count(await typesOf(id), 'DeadlineBreached')).toBe(1);
    expect(count(await typesOf(id), 'SignForBreached')).toBe(1);
  });

  it('signed for in time: no sign-for timer is left and nothing is recorded', async () => {
    const id = await emergencyTicket();
    await run(id, ADMIN, { type: 'AcceptTicket' }, 0.1);
    await rescheduleTicket(pool, store, id, DEFAULT_TIMER_SETTINGS);
    await fireAt(0.5, [id]);
    expect(await typesOf(id)).toEqual(['TicketSubmitted', 'TicketRouted', 'TicketAccepted']);
  });
});

describe('firing timers through the executor', () => {
  it('warning, breach with the first escalation, then the second escalation; each once', async () => {
    const id = await newTicket();
    expect((await timersOf(pool, id)).map((t) => `${t.leg}/${t.kind}@${t.dueAt}`)).toEqual([
      `first_response/warning@${at(18).toISOString()}`, `first_response/breach@${at(24).toISOString()}`,
      `resolution/warning@${at(54).toISOString()}`, `resolution/breach@${at(72).toISOString()}`,
    ]);
    await fireAt(17.9, [id]);
    expect(await typesOf(id)).toEqual(['TicketSubmitted', 'TicketRouted']);
    await fireAt(18, [id]);
    expect((await typesOf(id)).slice(2)).toEqual(['DeadlineWarningIssued']);
    await fireAt(24.01, [id]);
    expect((await typesOf(id)).slice(3)).toEqual(['DeadlineBreached', 'TicketEscalated']);
    const afterFirst = await loadTicket(store, id);
    expect(afterFirst.escalations).toMatchObject([{ toUnitId: 'adm-513437', level: 1, automatic: true }]);
    expect((await timersOf(pool, id)).find((t) => t.kind === 'escalation')).toMatchObject({ dueKey: 'level-2', dueAt: at(48.01).toISOString() });
    await fireAt(48.02, [id]);
    const state = await loadTicket(store, id);
    expect(state.escalations.map((e) => [e.toUnitId, e.level])).toEqual([['adm-513437', 1], ['adm-5134', 2]]);
    expect(state.supervisingUnitId).toBe('adm-5134');
    // Firing every timer again (a retry, another replica) writes nothing.
    const before = (await typesOf(id)).length;
    for (const t of [
      { leg: 'first_response', kind: 'warning', dueKey: at(24).toISOString() },
      { leg: 'first_response', kind: 'breach', dueKey: at(24).toISOString() },
      { leg: 'ticket', kind: 'escalation', dueKey: 'level-1' },
      { leg: 'ticket', kind: 'escalation', dueKey: 'level-2' },
    ] as const) await fireTimer(deps, { ticketId: id, dueAt: at(50).toISOString(), ...t });
    expect((await typesOf(id)).length).toBe(before);
  });

  it('a timer whose effect was written but whose row was not deleted (crash in between) fires again without a second event', async () => {
    const id = await newTicket();
    clock.current = at(24.5);
    let calls = 0;
    const crashAfterEffect = async (t: Timer) => { calls++; await fireTimer(deps, t); throw new Error('killed before the row was deleted'); };
    await fireDueTimers(pool, clock.now(), 100, crashAfterEffect);
    expect(count(await typesOf(id), 'DeadlineBreached')).toBe(1);
    const left = await timersOf(pool, id);
    expect(left.map((t) => `${t.leg}/${t.kind}`).sort()).toEqual(['first_response/breach', 'first_response/warning', 'resolution/breach', 'resolution/warning']); // pushed back, not lost
    clock.current = at(25);
    await fireDueTimers(pool, clock.now(), 100, (t) => fireTimer(deps, t));
    expect(calls).toBe(2);
    const types = await typesOf(id);
    expect([count(types, 'DeadlineWarningIssued'), count(types, 'DeadlineBreached'), count(types, 'TicketEscalated')]).toEqual([1, 1, 1]);
  });
});

describe('one append per breach; tickets in parallel', () => {
  it('the first breach and its level-1 escalation are one append, the escalation with the escalation timer\'s id', async () => {
    const id = await newTicket(0, true);
    await fireAt(24.5, [id]);
    const events = (await store.readStream(`ticket-${id}`)).filter((e) => e.type === 'DeadlineBreached' || e.type === 'TicketEscalated');
    expect(events.map((e) => e.type)).toEqual(['DeadlineBreached', 'TicketEscalated']);
    const [breached, escalated] = events;
    expect(escalated?.position.transactionId).toBe(breached?.position.transactionId);
    expect(escalated?.id).toBe(timerEventId({ ticketId: id, leg: 'ticket', kind: 'escalation', dueKey: 'level-1' }, 'escalation'));
    expect(escalated?.data).toMatchObject({ level: 1, automatic: true, toUnitId: 'adm-513437' });
    // Fired again (a retry, another replica): nothing new.
    await fireTimer(deps, { ticketId: id, leg: 'first_response', kind: 'breach', dueAt: at(24).toISOString(), dueKey: at(24).toISOString() });
    const types = await typesOf(id);
    expect([count(types, 'DeadlineBreached'), count(types, 'TicketEscalated')]).toEqual([1, 1]);
  });

  it('fires up to `concurrency` tickets at once, never two timers of one ticket at once, each ticket\'s in due order', async () => {
    const tickets = Array.from({ length: 12 }, () => uuidv7());
    const due = (i: number) => new Date(T0 + i * 1000).toISOString();
    const rows = tickets.flatMap((t) => [
      { t, leg: 'first_response', kind: 'warning', due: due(1) },
      { t, leg: 'first_response', kind: 'breach', due: due(2) },
      { t, leg: 'resolution', kind: 'warning', due: due(3) },
    ]);
    await pool.query(
      `INSERT INTO sla_timers (ticket_id, leg, kind, due_at, due_key) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])`,
      [rows.map((r) => r.t), rows.map((r) => r.leg), rows.map((r) => r.kind), rows.map((r) => r.due), rows.map((r) => r.due)],
    );
    let inFlight = 0;
    let maxInFlight = 0;
    const busy = new Set<string>();
    const order = new Map<string, string[]>();
    const claimed = await fireDueTimers(pool, at(1), 100, async (t) => {
      if (busy.has(t.ticketId)) throw new Error(`two timers of ${t.ticketId} at once`);
      busy.add(t.ticketId);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      order.set(t.ticketId, [...(order.get(t.ticketId) ?? []), t.dueAt]);
      inFlight--;
      busy.delete(t.ticketId);
    }, { concurrency: 4, onError: (_t, err) => { throw err; } });
    expect(claimed).toBe(rows.length);
    expect(maxInFlight).toBe(4);
    for (const t of tickets) expect(order.get(t)).toEqual([due(1), due(2), due(3)]);
    expect(Number((await pool.query('SELECT count(*) AS n FROM sla_timers')).rows[0].n)).toBe(0);
  });
});

describe('several replicas', () => {
  it('two replicas firing the same due timers concurrently: every timer fires once, every effect is written once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await newTicket(0, i % 2 === 0));
    await pool.query("DELETE FROM sla_timers WHERE kind = 'warning'");
    const fired = new Map<string, number>();
    const replica = (p: pg.Pool) => async () => {
      while ((await fireDueTimers(p, at(24.5), 7, async (t) => {
        const key = `${t.ticketId}/${t.leg}/${t.kind}`;
        fired.set(key, (fired.get(key) ?? 0) + 1);
        await fireTimer(deps, t);
      }, { concurrency: 4 })) > 0) { /* drain */ }
    };
    const other = new pg.Pool({ connectionString: db.url, max: 8 });
    try {
      clock.current = at(24.5);
      await Promise.all([replica(pool)(), replica(other)()]);
    } finally {
      await other.end();
    }
    expect(fired.size).toBe(30);
    expect([...fired.values()].every((n) => n === 1)).toBe(true);
    for (const id of ids) {
      const types = await typesOf(id);
      expect([count(types, 'DeadlineBreached'), count(types, 'TicketEscalated')]).toEqual([1, 1]);
    }
  });

  it('a replica killed while holding a batch loses its claim with its connection; another replica fires those timers once', async () => {
    const id = await newTicket();
    const doomed = new pg.Pool({ connectionString: db.url, max: 2 });
    doomed.on('error', () => undefined);
    let claimed!: () => void;
    let resume!: () => void;
    const claimedP = new Promise<void>((r) => { claimed = r; });
    const resumeP = new Promise<void>((r) => { resume = r; });
    const hung = fireDueTimers(doomed, at(30), 100, async () => { claimed(); await resumeP; }).catch(() => 'killed');
    await claimedP;
    // While the doomed replica holds the rows, nobody else can take them.
    expect(await fireDueTimers(pool, at(30), 100, (t) => fireTimer(deps, t))).toBe(0);
    // kill -9 of its process = its sessions end: terminate them.
    await pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle in transaction'");
    resume();
    expect(await hung).toBe('killed');
    clock.current = at(30);
    while ((await fireDueTimers(pool, at(30), 100, (t) => fireTimer(deps, t))) > 0) { /* drain */ }
    const types = await typesOf(id);
    expect([count(types, 'DeadlineBreached'), count(types, 'TicketEscalated')]).toEqual([1, 1]);
    await doomed.end().catch(() => undefined);
  });
});

describe('callback due time (回访, issue 14 item 4)', () => {
  it('records CallbackOverdue once at the due time when no callback was recorded; none after a callback', async () => {
    // Resolved Monday 23 Nov 2026 10:00 Shanghai: the callback is due three working days later, Thursday 10:00 (T0 + 73 h).
    const late = await newTicket(0, true);
    const done = await newTicket(0, true);
    for (const id of [late, done]) await run(id, ADMIN, { type: 'ResolveTicket', resolution: '已处理' }, 1);
    await run(done, ADMIN, { type: 'RecordCallback', reached: true, channel: 'phone', rating: 'satisfied', comment: '' }, 2);
    for (const id of [late, done]) await rescheduleTicket(pool, store, id, DEFAULT_TIMER_SETTINGS);
    const due = at(73).toISOString();
    expect((await timersOf(pool, late)).map((t) => `${t.leg}/${t.kind}@${t.dueAt}`)).toContain(`ticket/callback_overdue@${due}`);
    expect((await timersOf(pool, done)).map((t) => t.kind)).toEqual(['auto_close']);
    await fireAt(72.9, [late, done]);
    expect(count(await typesOf(late), 'CallbackOverdue')).toBe(0);
    await fireAt(73.01, [late, done]);
    const events = await store.readStream(`ticket-${late}`);
    const overdue = events.filter((e) => e.type === 'CallbackOverdue');
    expect(overdue.map((e) => e.data)).toEqual([{ dueAt: due, overdueAt: at(73.01).toISOString(), callbackBy: 'first-responder', unitId: TOWNSHIP, attempts: 0 }]);
    expect(overdue[0]?.id).toBe(timerEventId({ ticketId: late, leg: 'ticket', kind: 'callback_overdue', dueKey: due }, 'callback_overdue'));
    expect((await timersOf(pool, late)).map((t) => t.kind)).toEqual(['auto_close']);
    // A second fire of the same timer (a replica, a retry) writes nothing; the ticket with its callback done has none.
    await fireTimer(deps, { ticketId: late, leg: 'ticket', kind: 'callback_overdue', dueAt: due, dueKey: due });
    expect(count(await typesOf(late), 'CallbackOverdue')).toBe(1);
    expect(count(await typesOf(done), 'CallbackOverdue')).toBe(0);
    expect((await loadTicket(store, late)).callback).toMatchObject({ dueAt: due, overdueAt: at(73.01).toISOString() });
  });
});

describe('rebuild from the event store', () => {
  it('drops the timer table and rebuilds the same timers (including pending escalations and automatic close)', async () => {
    const fresh = await newTicket(0);
    const paused = await newTicket(0, true);
    await run(paused, ADMIN, { type: 'ReplyToTicket', message: '已收到', public: true }, 1);
    await run(paused, ADMIN, { type: 'RequestInformation', question: '位置？' }, 2);
    const announced = await newTicket(0, true);
    await run(announced, ADMIN, { type: 'SetResolutionDeadline', dueAt: at(200).toISOString(), reason: '需要施工' }, 3);
    const resolved = await newTicket(0, true);
    await run(resolved, ADMIN, { type: 'ResolveTicket', resolution: '已处理' }, 4);
    const breached = await newTicket(0);
    const all = [fresh, paused, announced, resolved, breached];
    for (const id of all) await rescheduleTicket(pool, store, id, DEFAULT_TIMER_SETTINGS);
    await fireAt(24.01, all);
    const snapshot = async () => (await pool.query('SELECT ticket_id, leg, kind, due_at, due_key FROM sla_timers ORDER BY ticket_id, leg, kind')).rows;
    const mine = async () => (await snapshot()).filter((r) => all.includes(r.ticket_id));
    expect((await mine()).length).toBeGreaterThan(8);
    await rebuildTimers(pool, store, DEFAULT_TIMER_SETTINGS); // tickets of the other tests are in the same store
    const before = await snapshot();
    expect((await mine()).length).toBe(before.filter((r) => all.includes(r.ticket_id)).length);
    expect(before.some((r) => r.kind === 'escalation' && r.due_key === 'level-2')).toBe(true);
    expect(before.some((r) => r.kind === 'auto_close')).toBe(true);
    expect(before.some((r) => r.ticket_id === paused && r.leg === 'resolution')).toBe(false);

    await pool.query('DROP TABLE sla_timers');
    await pool.query("INSERT INTO streams (stream, last_revision, last_hash) VALUES ('not-a-ticket', 0, '')");
    const report = await rebuildTimers(pool, store, DEFAULT_TIMER_SETTINGS, { pageSize: 2 });
    expect(report).toMatchObject({ timers: before.length, orphansRemoved: 0 });
    expect(report.tickets).toBeGreaterThanOrEqual(all.length);
    expect(await snapshot()).toEqual(before);

    // A row for a ticket that has no stream is removed by a rebuild.
    await pool.query("INSERT INTO sla_timers (ticket_id, leg, kind, due_at, due_key) VALUES ($1, 'resolution', 'breach', now(), 'x')", [uuidv7()]);
    expect((await rebuildTimers(pool, store, DEFAULT_TIMER_SETTINGS)).orphansRemoved).toBe(1);
    expect(await snapshot()).toEqual(before);
  });

  it('`npm run deadline:rebuild-timers` (the command) recreates a dropped table', async () => {
    const id = await newTicket();
    const before = (await pool.query('SELECT count(*)::int AS n FROM sla_timers')).rows[0].n;
    await rebuildTimers(pool, store, DEFAULT_TIMER_SETTINGS);
    const full = (await pool.query('SELECT ticket_id, leg, kind, due_at, due_key FROM sla_timers ORDER BY ticket_id, leg, kind')).rows;
    expect(full.length).toBeGreaterThanOrEqual(before);
    await pool.query('DROP TABLE sla_timers');
    const root = join(__dirname, '..', '..', '..');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/deadline/src/rebuild-timers.ts'], {
      cwd: root, env: { ...process.env, DATABASE_URL: db.url },
    });
    expect(JSON.parse(stdout)).toMatchObject({ timers: full.length });
    expect((await pool.query('SELECT ticket_id, leg, kind, due_at, due_key FROM sla_timers ORDER BY ticket_id, leg, kind')).rows).toEqual(full);
    expect((await timersOf(pool, id)).length).toBe(4);
  }, 60_000);
});

describe('bad input writes nothing', () => {
  it.each([
    [{ calendar: 'mars-working-hours' }, 'unknown_calendar'],
    [{ resolutionHours: -72 }, 'invalid_policy'],
    [{ firstResponseHours: -1, calendar: 'cn-working-hours' }, 'invalid_policy'],
  ])('a policy %j is refused with INVALID_ARGUMENT (%s)', async (override, reason) => {
    const ticketId = uuidv7();
    const command = {
      type: 'SubmitTicket', ticketId, reference: 'LS-2026-999999', serviceCode: 'dangerous-structure', division: '513437100001',
      title: '危墙', description: '围墙出现裂缝', address: '', channel: 'app',
      reporter: { deviceId: REPORTER.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
      attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75, ...override },
    } as TicketCommand;
    const err = await executor.execute(ticketId, command, REPORTER, { correlationId: ticketId }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TicketRejection);
    expect(toServiceError(err)).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect((err as TicketRejection).reason).toBe(reason);
    expect(await store.readStream(`ticket-${ticketId}`)).toEqual([]);
  });

  it('a deadline in the past, or an extension without a reason, is refused with INVALID_ARGUMENT and writes nothing', async () => {
    const id = await newTicket(0, true);
    const before = (await typesOf(id)).length;
    clock.current = at(5);
    for (const [command, reason] of [
      [{ type: 'SetResolutionDeadline', dueAt: at(4).toISOString(), reason: '需要施工' }, 'deadline_in_past'],
      [{ type: 'SetResolutionDeadline', dueAt: at(100).toISOString(), reason: '' }, 'missing_reason'],
    ] as const) {
      const err = await executor.execute(id, command, ADMIN, { correlationId: id }).then(() => undefined, (e: unknown) => e);
      expect(toServiceError(err)).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect((err as TicketRejection).reason).toBe(reason);
    }
    expect((await typesOf(id)).length).toBe(before);
  });
});


describe('rescheduling writes only what changed (issue 13)', () => {
  const rows = async (ticketId: string) => (await pool.query<{ leg: string; kind: string; xmin: string; attempts: number }>(
    'SELECT leg, kind, xmin::text AS xmin, attempts FROM sla_timers WHERE ticket_id = $1 ORDER BY leg, kind', [ticketId],
  )).rows;

  it('leaves unchanged timers unwritten, resets a pushed-back one, and drops those no longer wanted', async () => {
    const ticketId = await newTicket();
    const before = await rows(ticketId);
    expect(before.length).toBeGreaterThan(0);
    await rescheduleTicket(pool, store, ticketId, DEFAULT_TIMER_SETTINGS);
    expect(await rows(ticketId)).toEqual(before); // same rows, same xmin: nothing rewritten
    // A failed fire pushed one back (attempts 1, later due_at): rescheduling restores it as computed.
    const [first] = before;
    await pool.query("UPDATE sla_timers SET attempts = 1, due_at = due_at + interval '1 minute' WHERE ticket_id = $1 AND leg = $2 AND kind = $3", [ticketId, first!.leg, first!.kind]);
    const wanted = await timersOf(pool, ticketId);
    await rescheduleTicket(pool, store, ticketId, DEFAULT_TIMER_SETTINGS);
    const after = await rows(ticketId);
    expect(after.map((r) => r.attempts)).toEqual(before.map(() => 0));
    expect((await timersOf(pool, ticketId)).map((t) => t.dueAt)).not.toEqual(wanted.map((t) => t.dueAt));
    // A timer no longer wanted is deleted; the others stay untouched.
    const kept = (await timersOf(pool, ticketId)).slice(1);
    const unchanged = await rows(ticketId);
    await replaceTimers(pool, ticketId, async () => kept);
    expect(await timersOf(pool, ticketId)).toEqual(kept);
    expect(await rows(ticketId)).toEqual(unchanged.filter((r) => kept.some((k) => k.leg === r.leg && k.kind === r.kind)));
  });

  it('reschedules a batch of tickets in one transaction like one by one, each ticket once', async () => {
    const [a, b, c] = [await newTicket(0), await newTicket(1, true), await newTicket(2)];
    const expected = new Map([[a, await timersOf(pool, a)], [b, await timersOf(pool, b)], [c, await timersOf(pool, c)]]);
    // b answered meanwhile; c's rows lost: the batch (a twice, as two of its events) puts each right.
    await run(b, ADMIN, { type: 'ReplyToTicket', message: '已派人查看', public: true }, 3);
    await pool.query('DELETE FROM sla_timers WHERE ticket_id = $1', [c]);
    const computed: string[][] = [];
    await replaceTimersOf(pool, [a, b, c, a], async (ids) => {
      computed.push([...ids]);
      return new Map(await Promise.all(ids.map(async (id) => [id, desiredTimers(await loadTicket(store, id), DEFAULT_TIMER_SETTINGS)] as const)));
    });
    expect(computed).toEqual([[a, b, c].sort()]);
    expect(await timersOf(pool, a)).toEqual(expected.get(a));
    expect(await timersOf(pool, c)).toEqual(expected.get(c));
    const afterReply = await timersOf(pool, b);
    expect(afterReply).not.toEqual(expected.get(b));
    await rescheduleTicket(pool, store, b, DEFAULT_TIMER_SETTINGS);
    expect(await timersOf(pool, b)).toEqual(afterReply);
    // Again, unchanged: nothing rewritten.
    const before = [...await rows(a), ...await rows(b), ...await rows(c)];
    await rescheduleTickets(pool, store, [c, b, a], DEFAULT_TIMER_SETTINGS);
    expect([...await rows(a), ...await rows(b), ...await rows(c)]).toEqual(before);
  });

  it('writes nothing when a computed timer belongs to another ticket', async () => {
    const [a, b] = [await newTicket(0), await newTicket(0)];
    const before = [...await timersOf(pool, a), ...await timersOf(pool, b)];
    await expect(replaceTimersOf(pool, [a, b], async () => new Map([[a, (await timersOf(pool, b)).map((t) => ({ ...t, dueAt: at(99).toISOString() }))]])))
      .rejects.toThrow(/belongs to another ticket/);
    expect([...await timersOf(pool, a), ...await timersOf(pool, b)]).toEqual(before);
  });
});

describe('one read of the stream per firing (the command made from the state the executor reads)', () => {
  /** `store` counting its readStream calls. */
  const countingStore = () => {
    const counter = { reads: 0 };
    const counting = new Proxy(store, {
      get: (target, prop) => {
        if (prop === 'readStream') return (...args: Parameters<PostgresEventStore['readStream']>) => { counter.reads++; return target.readStream(...args); };
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return { counting, counter };
  };

  it('a function command is made from the state read (undefined: nothing written), one read each', async () => {
    const id = await newTicket();
    const { counting, counter } = countingStore();
    const ex = new TicketExecutor({ store: counting, ref, clock, service: 'test' });
    const none = await ex.execute(id, () => undefined, ADMIN, { correlationId: id });
    expect([none.eventTypes, counter.reads]).toEqual([[], 1]);
    const seen: number[] = [];
    const accepted = await ex.execute(id, (s) => { seen.push(s.revision); return { type: 'AcceptTicket' }; }, ADMIN, { correlationId: id });
    expect([accepted.eventTypes, counter.reads, seen]).toEqual([['TicketAccepted'], 2, [1]]);
  });

  it('a first breach with its level-1 escalation reads the stream once (was: twice, or three times)', async () => {
    const id = await newTicket(0);
    clock.current = at(25);
    const { counting, counter } = countingStore();
    await fireTimer({ ...deps, executor: new TicketExecutor({ store: counting, ref, clock, service: 'test' }), store: counting },
      { ticketId: id, leg: 'first_response', kind: 'breach', dueAt: at(24).toISOString(), dueKey: at(24).toISOString() });
    expect(counter.reads).toBe(1);
    expect((await typesOf(id)).slice(-2)).toEqual(['DeadlineBreached', 'TicketEscalated']);
  });
});
