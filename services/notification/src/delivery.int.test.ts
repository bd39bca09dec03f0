/**
 * Issue 13: the notices of a batch of events, delivered together — states folded from the events seen
 * (the stream read only for revisions missing), the reporter's contact opened only for notices to the
 * reporter, the inbox written in one statement — are the notices one-by-one delivery gives.
 */
import type { ActorContext, TicketCommand } from '@tongban/domain';
import { type EventStore, PostgresEventStore, type RecordedEvent, runMigrations } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { LatestStates, ReporterKeyStore, TicketExecutor, sealPersonalData, systemClock } from '@tongban/runtime';
import { type TestDatabase, createTestDatabase } from '@tongban/testing';
import fc from 'fast-check';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { ChannelDeliveryError, type NotificationChannel, type NoticeContext } from './channels';
import { type KnownTicket, deliverEventNotices, deliverNotices } from './delivery';
import { inboxChannel } from './inbox';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import type { Notice } from './recipients';

const ref = loadReferenceData();
const TOWNSHIP = 'adm-513437100';
const ROUTING: ActorContext = { kind: 'system', id: 'routing' };
const ADMIN: ActorContext = { kind: 'staff', id: `admin@${TOWNSHIP}`, role: 'admin', unitId: TOWNSHIP, unitKind: 'administration', unitDivision: '513437100', unitLevel: 'township' };

let db: TestDatabase;
let pool: pg.Pool;
let store: PostgresEventStore;
let executor: TicketExecutor;
let reporters: ReporterKeyStore;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  store = await PostgresEventStore.create(pool, systemClock);
  await runMigrations(pool, 'notification', NOTIFICATION_MIGRATIONS);
  executor = new TicketExecutor({ store, ref, clock: systemClock, service: 'test' });
  reporters = await ReporterKeyStore.open(pool, { TONGBAN_REPORTER_KEY: 'delivery-test-reporter-key-0123456789abcdef' });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** A ticket submitted (its reporter sealed when `sealed`, with a phone and language `en`), then `steps`; returns its events. */
async function ticket(steps: [ActorContext, TicketCommand][], sealed = false): Promise<{ id: string; events: RecordedEvent[] }> {
  const id = uuidv7();
  const phone = '13800002222';
  type Submit = Extract<TicketCommand, { type: 'SubmitTicket' }>;
  let reporter: Submit['reporter'] = { deviceId: `dev-${id}`, staffId: '', unitId: '', accountId: '', name: '', phone, email: '', language: 'en', reporterId: '', sealed: '' };
  if (sealed) {
    const { reporterId, key } = await reporters.keyForSubmission({ ticketId: id }, new Date());
    reporter = { ...reporter, phone: '', reporterId, sealed: sealPersonalData(key, { name: '', phone, email: '', accountId: '' }, id) };
  }
  await executor.execute(id, {
    type: 'SubmitTicket', ticketId: id, reference: `LS-2026-${id.slice(-6)}`, serviceCode: 'sanitation', division: '513437100001', title: '垃圾', description: '路边堆满垃圾',
    address: '', channel: 'app', reporter, attributes: {}, mediaUrl: '', policy: ref.catalogue.slaPolicy,
  } satisfies Submit, { kind: 'citizen', id: `dev-${id}` }, { correlationId: id });
  for (const [actor, command] of steps) await executor.execute(id, command, actor, { correlationId: id });
  return { id, events: await store.readStream(`ticket-${id}`) };
}

const ROUTE: [ActorContext, TicketCommand] = [ROUTING, { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: '' }];
const ACCEPT: [ActorContext, TicketCommand] = [ADMIN, { type: 'AcceptTicket' }];
const REPLY: [ActorContext, TicketCommand] = [ADMIN, { type: 'ReplyToTicket', message: '已安排清运', public: true }];
const NOTE: [ActorContext, TicketCommand] = [ADMIN, { type: 'AddInternalNote', text: '内部备注' }];
const RESOLVE: [ActorContext, TicketCommand] = [ADMIN, { type: 'ResolveTicket', resolution: '垃圾已清运' }];

/** A channel that records what it is handed (one by one or together). */
function spy(): NotificationChannel & { got: { notice: Notice; context: NoticeContext }[]; batches: number[] } {
  const got: { notice: Notice; context: NoticeContext }[] = [];
  const batches: number[] = [];
  return {
    name: 'spy', got, batches,
    deliver: async (notice, context) => { got.push({ notice, context }); batches.push(1); },
    deliverMany: async (items) => { got.push(...items); batches.push(items.length); },
  };
}

/** What a notice is, comparable across runs. */
const summary = (items: { notice: Notice; context: NoticeContext }[]) => items.map(({ notice, context }) => ({
  messageId: context.messageId, recipient: notice.recipient, kind: notice.kind, language: notice.language, title: notice.title, body: notice.body,
  createdAt: context.createdAt.toISOString(), revision: context.state.revision, status: context.state.status, phone: context.reporterContact.phone,
})).sort((a, b) => a.messageId.localeCompare(b.messageId));

/** The store, counting reads (and their ranges). */
function counting(inner: EventStore): EventStore & { reads: { stream: string; from: number | undefined }[] } {
  const reads: { stream: string; from: number | undefined }[] = [];
  return Object.assign(Object.create(inner) as EventStore, {
    reads,
    readStream: (stream: string, options?: { fromRevision?: number; toRevision?: number }) => {
      reads.push({ stream, from: options?.fromRevision });
      return inner.readStream(stream, options);
    },
  });
}

/** The reporters' key store, counting look-ups. */
function countingKeys(): ReporterKeyStore & { opens: number } {
  const keys = Object.create(reporters) as ReporterKeyStore & { opens: number };
  keys.opens = 0;
  keys.open = async (refs) => { keys.opens += 1; return reporters.open(refs); };
  return keys;
}

describe('deliverEventNotices', () => {
  it('gives a batch of several tickets the notices one-by-one delivery gives, without reading a stream', async () => {
    const a = await ticket([ROUTE, ACCEPT, NOTE, REPLY, RESOLVE], true);
    const b = await ticket([ROUTE]);
    const c = await ticket([ROUTE, ACCEPT]);
    // Interleaved as the bus delivers them: each ticket's in revision order.
    const all = [a.events[0]!, b.events[0]!, a.events[1]!, c.events[0]!, b.events[1]!, ...a.events.slice(2), ...c.events.slice(1)];
    const one = spy();
    for (const event of all) await deliverNotices([one], store, event, new Date(event.recordedAt), { reporters });
    const together = spy();
    const read = counting(store);
    expect(await deliverEventNotices([together], read, all, { reporters, states: new LatestStates<KnownTicket>() })).toBe(one.got.length);
    expect(summary(together.got)).toEqual(summary(one.got));
    expect(together.batches).toEqual([one.got.length]);
    expect(read.reads).toEqual([]);
    // Routed (unit), accepted, public reply, resolved (the reporter, in English, with the opened phone) of a; routed of b; routed, accepted of c.
    expect(one.got.map((g) => g.notice.kind).sort()).toEqual(['accepted', 'accepted', 'public-reply', 'resolved', 'ticket-arrived', 'ticket-arrived', 'ticket-arrived']);
    const accepted = together.got.find((g) => g.notice.kind === 'accepted' && g.context.state.ticketId === a.id)!;
    expect(accepted.notice.language).toBe('en');
    expect(accepted.context.reporterContact.phone).toBe('13800002222');
  });

  it('writes the inbox of a batch in one statement, once however often the batch comes', async () => {
    const a = await ticket([ROUTE, ACCEPT, REPLY]);
    const b = await ticket([ROUTE]);
    const all = [...a.events, ...b.events];
    let statements = 0;
    const countingPool = Object.assign(Object.create(pool) as pg.Pool, {
      query: (...args: Parameters<pg.Pool['query']>) => { statements += 1; return (pool.query as (...a: unknown[]) => unknown)(...args); },
    });
    const inbox = [inboxChannel(countingPool)];
    expect(await deliverEventNotices(inbox, store, all, { reporters, states: new LatestStates<KnownTicket>() })).toBe(4);
    expect(statements).toBe(1);
    await deliverEventNotices(inbox, store, all, { reporters, states: new LatestStates<KnownTicket>() });
    await deliverNotices(inbox, store, a.events[3]!, new Date(a.events[3]!.recordedAt), { reporters });
    const { rows } = await pool.query<{ kind: string; recipient_kind: string; event_revision: number }>(
      'SELECT kind, recipient_kind, event_revision FROM inbox_messages WHERE ticket_id = ANY($1::uuid[]) ORDER BY ticket_id = $2 DESC, event_revision',
      [[a.id, b.id], a.id],
    );
    expect(rows).toEqual([
      { kind: 'ticket-arrived', recipient_kind: 'unit', event_revision: 1 },
      { kind: 'accepted', recipient_kind: 'device', event_revision: 2 },
      { kind: 'public-reply', recipient_kind: 'device', event_revision: 3 },
      { kind: 'ticket-arrived', recipient_kind: 'unit', event_revision: 1 },
    ]);
  });

  it("tells the holding unit and the first responder's unit of the reporter's withdrawal, in their inboxes (they heard nothing)", async () => {
    const WATER = 'dep-513437-water';
    const TRANSFER: [ActorContext, TicketCommand] = [ADMIN, { type: 'TransferTicket', toUnitId: WATER, department: 'water', reason: '供水问题' }];
    /** The inbox notices of the withdrawal of a ticket after `steps`: [recipient unit, title, body]. */
    const withdrawalNotices = async (steps: [ActorContext, TicketCommand][]) => {
      const t = await ticket(steps);
      await executor.execute(t.id, { type: 'WithdrawTicket', reason: '已自行解决' }, { kind: 'citizen', id: `dev-${t.id}` }, { correlationId: t.id });
      await deliverEventNotices([inboxChannel(pool)], store, await store.readStream(`ticket-${t.id}`), { reporters, states: new LatestStates<KnownTicket>() });
      const { rows } = await pool.query<{ recipient_kind: string; recipient_id: string; title: string; body: string }>(
        "SELECT recipient_kind, recipient_id, title, body FROM inbox_messages WHERE ticket_id = $1 AND kind = 'withdrawn' ORDER BY recipient_id", [t.id]);
      return rows.map((r) => [`${r.recipient_kind}:${r.recipient_id}`, r.title, r.body]);
    };
    const text = (reference: string) => [`反映人已撤回：${reference} 垃圾`, '反映人撤回了该问题，工单已关闭，无需继续办理。撤回原因：已自行解决'];
    // Transferred after the township's accept: the department holding it and the township, first responder.
    const moved = await withdrawalNotices([ROUTE, ACCEPT, TRANSFER]);
    expect(moved.map((n) => n[0])).toEqual([`unit:${TOWNSHIP}`, `unit:${WATER}`]);
    expect(moved[0]!.slice(1)).toEqual(text(moved[0]![1]!.match(/LS-2026-\S+/)![0]));
    // Held by the first responder's own unit: one notice; never routed: nobody to tell.
    expect((await withdrawalNotices([ROUTE, ACCEPT])).map((n) => n[0])).toEqual([`unit:${TOWNSHIP}`]);
    expect((await withdrawalNotices([ROUTE])).map((n) => n[0])).toEqual([`unit:${TOWNSHIP}`]);
    expect(await withdrawalNotices([])).toEqual([]);
  });

  it('folds on from the states seen before, reading only the revisions it has not seen', async () => {
    const t = await ticket([ROUTE, ACCEPT, NOTE, REPLY]);
    const [submitted, routed, , , replied] = t.events as [RecordedEvent, RecordedEvent, RecordedEvent, RecordedEvent, RecordedEvent];
    const states = new LatestStates<KnownTicket>();
    const read = counting(store);
    const channel = spy();
    const options = { reporters, states };
    // The submission gives no notice: only folded. Its routing, in the next batch, folds on from it.
    expect(await deliverEventNotices([channel], read, [submitted], options)).toBe(0);
    expect(states.get(t.id)?.revision).toBe(0);
    expect(await deliverEventNotices([channel], read, [routed], options)).toBe(1);
    expect(read.reads).toEqual([]);
    // The acceptance and the note went to another replica: the reply reads revisions 2–3 only.
    expect(await deliverEventNotices([channel], read, [replied], options)).toBe(1);
    expect(read.reads).toEqual([{ stream: `ticket-${t.id}`, from: 2 }]);
    expect(states.get(t.id)?.revision).toBe(4);
    // A redelivery behind the state remembered reads from the start and gives the same notice.
    expect(await deliverEventNotices([channel], read, [routed], options)).toBe(1);
    expect(read.reads[1]).toEqual({ stream: `ticket-${t.id}`, from: 0 });
    expect(states.get(t.id)?.revision).toBe(4);
    expect(summary([channel.got[2]!])).toEqual(summary([channel.got[0]!]));
    // Events that give no notice, after a gap: nothing read, nothing remembered.
    const other = await ticket([ROUTE, NOTE]);
    expect(await deliverEventNotices([channel], read, [other.events[2]!], options)).toBe(0);
    expect(read.reads).toHaveLength(2);
    expect(states.get(other.id)).toBeUndefined();
  });

  it('opens the reporter\'s sealed contact only for notices to the reporter (one look-up per batch), and finds none once erased', async () => {
    const t = await ticket([ROUTE, ACCEPT, REPLY], true);
    const u = await ticket([ROUTE, ACCEPT], true);
    const keys = countingKeys();
    const channel = spy();
    await deliverEventNotices([channel], store, [...t.events.slice(0, 2), ...u.events.slice(0, 2)], { reporters: keys, states: new LatestStates<KnownTicket>() });
    expect(keys.opens).toBe(0);
    expect(channel.got.map((g) => [g.notice.recipient.kind, g.context.reporterContact.phone])).toEqual([['unit', ''], ['unit', '']]);
    await deliverEventNotices([channel], store, [...t.events.slice(2), u.events[2]!], { reporters: keys });
    expect(keys.opens).toBe(1);
    expect(channel.got.slice(2).map((g) => [g.notice.kind, g.notice.language, g.context.reporterContact.phone])).toEqual([
      ['accepted', 'en', '13800002222'], ['public-reply', 'en', '13800002222'], ['accepted', 'en', '13800002222'],
    ]);
    // Erased: the redelivered acceptance finds no phone any more.
    const reporterId = (t.events[0]!.data['reporter'] as { reporterId: string }).reporterId;
    await reporters.erase(reporterId, { at: new Date(), actor: { kind: 'staff', id: 'dpo', role: 'admin' }, reason: 'test', correlationId: t.id });
    await deliverEventNotices([channel], store, [t.events[2]!], { reporters: keys });
    expect(channel.got.at(-1)!.context.reporterContact.phone).toBe('');
  });

  it('hands every channel every notice when one fails, then throws naming each failed message', async () => {
    const t = await ticket([ROUTE, ACCEPT]);
    const failing: NotificationChannel = { name: 'broken', deliver: async () => { throw new Error('down'); }, deliverMany: async () => { throw new Error('down'); } };
    const after = spy();
    const error = await deliverEventNotices([failing, after], store, t.events, { reporters }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelDeliveryError);
    expect((error as ChannelDeliveryError).failures.map((f) => f.channel)).toEqual(['broken', 'broken']);
    expect(after.got).toHaveLength(2);
  });
});

describe('deliverEventNotices under the bus\'s disorder', () => {
  it('gives exactly the one-by-one notices however the events are repeated, reordered, batched and shared by two replicas', async () => {
    const tickets = [
      await ticket([ROUTE, ACCEPT, NOTE, REPLY, RESOLVE], true), await ticket([ROUTE, NOTE, ACCEPT, REPLY]),
      await ticket([ROUTE, ACCEPT, REPLY, NOTE, REPLY], true), await ticket([ROUTE]),
    ];
    const all = tickets.flatMap((t) => t.events);
    const one = spy();
    for (const event of all) await deliverNotices([one], store, event, new Date(event.recordedAt), { reporters });
    const expected = new Map(summary(one.got).map((s) => [s.messageId, s]));
    const inbox = inboxChannel(pool);
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(all.length - 1), fc.nat(3), fc.nat(200)), { minLength: 1, maxLength: 60 }), fc.nat(2),
      fc.option(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length })),
      async (plan, capacity, shuffled) => {
        // Each event at least once, in order or not, then redeliveries anywhere; batches cut and handed to either replica.
        const order = shuffled ?? [...all];
        for (const [i, , pos] of plan) order.splice(pos % (order.length + 1), 0, all[i]!);
        const replicas = [new LatestStates<KnownTicket>(capacity + 1), new LatestStates<KnownTicket>(capacity + 1)];
        const channel = spy();
        let at = 0;
        for (const [i, cut] of plan) {
          if (at >= order.length) break;
          const batch = order.slice(at, at + cut + 1);
          at += batch.length;
          await deliverEventNotices([channel, inbox], store, batch, { reporters, states: replicas[i % 2] });
        }
        if (at < order.length) await deliverEventNotices([channel, inbox], store, order.slice(at), { reporters, states: replicas[0] });
        const got = summary(channel.got);
        for (const s of got) expect(s).toEqual(expected.get(s.messageId));
        expect(new Set(got.map((s) => s.messageId))).toEqual(new Set(expected.keys()));
      },
    ), { numRuns: 40 });
    const { rows } = await pool.query<{ id: string }>('SELECT id::text FROM inbox_messages WHERE ticket_id = ANY($1::uuid[])', [tickets.map((t) => t.id)]);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(expected.keys()));
    expect(rows).toHaveLength(expected.size);
  });

  it('opens no stale contact from a state remembered before the reporter was erased', async () => {
    const t = await ticket([ROUTE, ACCEPT, REPLY, RESOLVE], true);
    const states = new LatestStates<KnownTicket>();
    const channel = spy();
    await deliverEventNotices([channel], store, t.events.slice(0, 3), { reporters, states });
    expect(channel.got.at(-1)!.context.reporterContact.phone).toBe('13800002222');
    const reporterId = (t.events[0]!.data['reporter'] as { reporterId: string }).reporterId;
    await reporters.erase(reporterId, { at: new Date(), actor: { kind: 'staff', id: 'dpo', role: 'admin' }, reason: 'test', correlationId: t.id });
    // The next event folds on from the remembered state; a redelivery reads the stream: neither finds a phone.
    await deliverEventNotices([channel], store, [t.events[3]!], { reporters, states });
    await deliverEventNotices([channel], store, [t.events[4]!, t.events[2]!], { reporters, states });
    expect(channel.got.slice(2).map((g) => [g.notice.kind, g.context.reporterContact.phone, g.context.reporterContact.email])).toEqual([
      ['public-reply', '', ''], ['accepted', '', ''], ['resolved', '', ''],
    ]);
  });
});
