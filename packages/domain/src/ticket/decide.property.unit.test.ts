import fc from 'fast-check';
import { administrationUnitId, departmentUnitId, seededStaffId } from '../reference/units';
import type { ActorContext, TicketCommand, TicketCommandType } from './commands';
import { decide } from './decide';
import { TicketRejection } from './errors';
import type { TicketEvent, TicketEventEnvelope } from './events';
import { evolve, evolveAll } from './evolve';
import { isAllowed } from './permissions';
import { FINAL_STATUSES, type FirstResponder, initialTicketState, type TicketState, type TicketStatus } from './state';
import { SAMPLE_ACTORS, SAMPLE_DIVISION_INDEX, SAMPLE_SUBMITTED_AT, SAMPLE_TICKET_ID, sampleCommand, sampleContext } from './sample-world';
import { allowedTransitions, deriveTransitions } from './transitions';

// Random sequences of commands from random actors, applied through decide + evolve as a service would
// (rejections skipped), with the invariants of first-inquiry responsibility (首问责任制) and of the stream.

const UNITS = [
  administrationUnitId('513437100'), administrationUnitId('513437'), administrationUnitId('5134'), administrationUnitId('513434114'),
  administrationUnitId('513431'), departmentUnitId('513437', 'housing-construction'), departmentUnitId('513437', 'transport'),
] as const;

/** The division a unit of the sample world serves. */
function unitDivision(unitId: string): string {
  return /^dep-(\d+)-/.exec(unitId)?.[1] ?? unitId.replace(/^adm-/, '');
}

/** A staff member of a unit with a role (the seeded one). */
function staffOf(unitId: string, role: 'admin' | 'department' | 'supervisor' | 'auditor'): ActorContext {
  const division = unitDivision(unitId);
  const level = SAMPLE_DIVISION_INDEX.get(division)?.level;
  return {
    kind: 'staff', id: seededStaffId(unitId, role), role, unitId, unitKind: unitId.startsWith('dep-') ? 'department' : 'administration',
    unitDivision: division, ...(level ? { unitLevel: level } : {}),
  };
}

/** Who acts: fixed actors of the sample world, or roles relative to the ticket's current state. */
type ActorPick =
  | { rel: 'allowed'; index: number } | { rel: 'reporter' } | { rel: 'holderAdmin' } | { rel: 'holderDepartment' } | { rel: 'firstResponderAdmin' } | { rel: 'firstResponderStaff' }
  | { rel: 'fixed'; name: keyof typeof SAMPLE_ACTORS } | { rel: 'staff'; unit: string; role: 'admin' | 'department' | 'supervisor' | 'auditor' };

/** Everyone who could plausibly act on the ticket in its current state. */
function candidates(s: TicketState): ActorContext[] {
  const picks: ActorPick[] = [
    { rel: 'reporter' }, { rel: 'holderAdmin' }, { rel: 'holderDepartment' }, { rel: 'firstResponderAdmin' },
    ...(Object.keys(SAMPLE_ACTORS) as (keyof typeof SAMPLE_ACTORS)[]).map((name): ActorPick => ({ rel: 'fixed', name })),
  ];
  return picks.map((p) => resolveActor(p, s, 'AcceptTicket'));
}

function resolveActor(pick: ActorPick, s: TicketState, command: TicketCommandType): ActorContext {
  switch (pick.rel) {
    case 'allowed': {
      // One of the actors the permission table allows (so that sequences get somewhere), if any.
      const ctx = sampleContext(SAMPLE_ACTORS.auditor, SAMPLE_SUBMITTED_AT);
      const allowed = candidates(s).filter((a) => isAllowed(command, a, s, ctx));
      return allowed[pick.index % Math.max(1, allowed.length)] ?? SAMPLE_ACTORS.auditor;
    }
    case 'reporter': return s.reporter.staffId ? SAMPLE_ACTORS.informationOfficer : SAMPLE_ACTORS.reporter;
    case 'holderAdmin': return staffOf(s.holderUnitId || UNITS[0], 'admin');
    case 'holderDepartment': return staffOf(s.holderUnitId || UNITS[5], 'department');
    case 'firstResponderAdmin': return staffOf(s.firstResponder?.unitId || s.routedUnitId || UNITS[0], 'admin');
    case 'firstResponderStaff': {
      const fr = s.firstResponder;
      return fr ? { ...staffOf(fr.unitId, 'admin'), id: fr.staffId } : staffOf(UNITS[0], 'admin');
    }
    case 'fixed': return SAMPLE_ACTORS[pick.name];
    case 'staff': return staffOf(pick.unit, pick.role);
  }
}

const actorArb: fc.Arbitrary<ActorPick> = fc.oneof(
  { weight: 30, arbitrary: fc.nat(20).map((index): ActorPick => ({ rel: 'allowed', index })) },
  { weight: 3, arbitrary: fc.constant<ActorPick>({ rel: 'reporter' }) },
  { weight: 8, arbitrary: fc.constant<ActorPick>({ rel: 'holderAdmin' }) },
  { weight: 5, arbitrary: fc.constant<ActorPick>({ rel: 'holderDepartment' }) },
  { weight: 3, arbitrary: fc.constant<ActorPick>({ rel: 'firstResponderAdmin' }) },
  { weight: 1, arbitrary: fc.constant<ActorPick>({ rel: 'firstResponderStaff' }) },
  { weight: 5, arbitrary: fc.constantFrom(...(Object.keys(SAMPLE_ACTORS) as (keyof typeof SAMPLE_ACTORS)[])).map((name): ActorPick => ({ rel: 'fixed', name })) },
  { weight: 2, arbitrary: fc.constantFrom<ActorPick>({ rel: 'fixed', name: 'routing' }, { rel: 'fixed', name: 'deadline' }) },
  { weight: 2, arbitrary: fc.record({ unit: fc.constantFrom(...UNITS), role: fc.constantFrom('admin', 'department', 'supervisor', 'auditor' as const) }).map((p): ActorPick => ({ rel: 'staff', ...p })) },
);

/** A command to be made concrete against the state it meets (so that due times can be current or stale). */
type Intent = (s: TicketState, now: Date) => TicketCommand;

const text = fc.oneof({ weight: 1, arbitrary: fc.constantFrom('', '  ') }, { weight: 6, arbitrary: fc.constantFrom('理由', '已处理') });
const unit = fc.oneof({ weight: 1, arbitrary: fc.constant('') }, { weight: 4, arbitrary: fc.constantFrom(...UNITS) }, { weight: 3, arbitrary: fc.constantFrom(UNITS[5], UNITS[6]) });
const leg = fc.constantFrom('first_response' as const, 'resolution' as const);

const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Intent>((s, now) => sampleCommand('RouteTicket', s, now)) },
  { weight: 16, arbitrary: fc.constant<Intent>(() => ({ type: 'AcceptTicket' })) },
  { weight: 12, arbitrary: fc.record({ p: fc.boolean(), m: text }).map(({ p, m }): Intent => () => ({ type: 'ReplyToTicket', message: m, public: p })) },
  { weight: 4, arbitrary: text.map((t): Intent => () => ({ type: 'AddInternalNote', text: t })) },
  { weight: 16, arbitrary: fc.record({ u: unit, r: text }).map(({ u, r }): Intent => () => ({ type: 'TransferTicket', toUnitId: u, department: u.startsWith('dep-') ? u.split('-').slice(2).join('-') : '', reason: r })) },
  { weight: 12, arbitrary: text.map((t): Intent => () => ({ type: 'HandBackTicket', findings: t })) },
  { weight: 8, arbitrary: text.map((t): Intent => () => ({ type: 'RequestInformation', question: t })) },
  { weight: 8, arbitrary: fc.constantFrom('app', 'phone', 'proxy').map((c): Intent => () => ({ type: 'AddInformation', text: '补充', channel: c })) },
  { weight: 8, arbitrary: fc.record({ h: fc.integer({ min: -10, max: 3000 }), r: text }).map(({ h, r }): Intent => (_s, now) => ({ type: 'SetResolutionDeadline', dueAt: new Date(now.getTime() + h * 3_600_000).toISOString(), reason: r })) },
  { weight: 12, arbitrary: text.map((t): Intent => () => ({ type: 'ResolveTicket', resolution: t })) },
  { weight: 4, arbitrary: fc.constantFrom('visit', 'call', 'unannounced-visit', 'phone').map((m): Intent => () => ({ type: 'VerifyResolution', method: m, note: '' })) },
  { weight: 8, arbitrary: fc.constant<Intent>(() => ({ type: 'CloseTicket', reason: '' })) },
  { weight: 8, arbitrary: text.map((t): Intent => () => ({ type: 'ReopenTicket', reason: t })) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }).map((score): Intent => () => ({ type: 'RateTicket', score, comment: '' })) },
  { weight: 1, arbitrary: fc.record({ c: fc.constantFrom('', 'out-of-scope', 'abusive', 'spam'), r: text }).map(({ c, r }): Intent => () => ({ type: 'RejectTicket', category: c, reason: r })) },
  { weight: 1, arbitrary: fc.constantFrom(SAMPLE_TICKET_ID, 'other-ticket', '').map((of): Intent => () => ({ type: 'MarkDuplicate', ofTicketId: of })) },
  { weight: 1, arbitrary: fc.constant<Intent>(() => ({ type: 'WithdrawTicket', reason: '' })) },
  {
    weight: 16,
    arbitrary: fc.record({ u: unit, staff: fc.constantFrom('', 'admin', 'someone'), r: text }).map(({ u, staff, r }): Intent => () => ({
      type: 'ReassignTicket', toUnitId: u, toUnitDivision: unitDivision(u), toStaffId: staff === '' ? '' : staff === 'admin' ? seededStaffId(u, 'admin') : 'staff-x', reason: r,
    })),
  },
  { weight: 12, arbitrary: fc.record({ u: unit, a: fc.boolean(), r: text }).map(({ u, a, r }): Intent => () => ({ type: 'EscalateTicket', toUnitId: u, reason: r, automatic: a })) },
  {
    weight: 12,
    arbitrary: fc.record({ warn: fc.boolean(), l: leg, current: fc.boolean() }).map(({ warn, l, current }): Intent => (s) => {
      const dueAt = current ? (l === 'first_response' ? s.sla.firstResponse : s.sla.resolution)?.dueAt ?? '' : SAMPLE_SUBMITTED_AT;
      return { type: warn ? 'IssueDeadlineWarning' : 'RecordDeadlineBreach', leg: l, dueAt };
    }),
  },
);

interface Step { actor: ActorPick; intent: Intent; minutes: number }

const stepArb: fc.Arbitrary<Step> = fc.record({
  actor: actorArb,
  intent: intentArb,
  minutes: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 180 }) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 80 * 60 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 10 * 24 * 60 }) }),
});

/**
 * The start: a citizen from the app or a village information officer on someone's behalf submits; usually
 * the routing service then routes it at once (sometimes it is left to the random steps).
 */
const startArb = fc.record({ byOfficer: fc.boolean(), routed: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) });

function start({ byOfficer, routed }: { byOfficer: boolean; routed: boolean }): TicketState {
  const s = submitted(byOfficer);
  if (!routed) return s;
  const events = decide(sampleCommand('RouteTicket', s, new Date(SAMPLE_SUBMITTED_AT)), s, sampleContext(SAMPLE_ACTORS.routing, SAMPLE_SUBMITTED_AT));
  return events.reduce((st, e) => evolve(st, { ...e, occurredAt: SAMPLE_SUBMITTED_AT, actor: { kind: 'system', id: 'routing' } }), s);
}

function submitted(byOfficer: boolean): TicketState {
  const actor: ActorContext = byOfficer ? SAMPLE_ACTORS.informationOfficer : SAMPLE_ACTORS.reporter;
  const base = sampleCommand('SubmitTicket', initialTicketState(), new Date(SAMPLE_SUBMITTED_AT));
  const command = byOfficer && base.type === 'SubmitTicket'
    ? { ...base, channel: 'proxy', reporter: { ...base.reporter, deviceId: '', staffId: actor.id, unitId: actor.unitId ?? '' }, onBehalfOf: { name: '居民', contact: '' } }
    : base;
  const events = decide(command, initialTicketState(), sampleContext(actor, SAMPLE_SUBMITTED_AT));
  return events.reduce((s, e) => evolve(s, { ...e, occurredAt: SAMPLE_SUBMITTED_AT, actor: { kind: actor.kind, id: actor.id } }), initialTicketState());
}

/** What the first responder must be after an event, from the event alone (the 首问责任制 rule). */
function expectedFirstResponder(before: FirstResponder | undefined, e: TicketEvent, at: string): FirstResponder | undefined {
  if (e.type === 'TicketReassigned' && e.data.firstResponderChanged) return { staffId: e.data.toStaffId, unitId: e.data.toUnitId, since: at };
  if (e.type === 'TicketAccepted' && !before) return { staffId: e.data.staffId, unitId: e.data.unitId, since: at };
  return before;
}

/** Fails the property with a message (cheaper than expect() in a hot loop). */
function invariant(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(`invariant violated: ${message()}`);
}

function sameResponder(a: FirstResponder | undefined, b: FirstResponder | undefined): boolean {
  return a === b || (!!a && !!b && a.staffId === b.staffId && a.unitId === b.unitId && a.since === b.since);
}

/** An observed transition: status before, command, status after. */
type Observed = `${TicketStatus}|${TicketCommandType}|${TicketStatus}`;

/**
 * Runs a sequence and checks every invariant after every command; returns the transitions it saw and
 * appends the events to `history`, when given. Throws (failing the property) on the first violation.
 */
function run(begin: { byOfficer: boolean; routed: boolean }, steps: readonly Step[], history?: TicketEventEnvelope[]): Set<Observed> {
  const observed = new Set<Observed>();
  let s = start(begin);
  let now = Date.parse(SAMPLE_SUBMITTED_AT);
  for (const step of steps) {
    now += step.minutes * 60_000;
    const at = new Date(now);
    const command = step.intent(s, at);
    const actor = resolveActor(step.actor, s, command.type);
    const ctx = sampleContext(actor, at);
    let events: TicketEvent[];
    try {
      events = decide(command, s, ctx);
    } catch (error) {
      // Expected failures are typed rejections, never a crash.
      if (!(error instanceof TicketRejection)) throw error;
      continue;
    }
    if (events.length === 0) continue;

    // Auditors never produce events; a forbidden command produces no event.
    invariant(actor.role !== 'auditor', () => `an auditor produced ${command.type}`);
    invariant(isAllowed(command.type, actor, s, ctx), () => `${command.type} by a forbidden actor ${actor.id} produced events`);

    let next = s;
    for (const e of events) {
      const envelope = { ...e, occurredAt: at.toISOString(), actor: { kind: actor.kind, id: actor.id } } as TicketEventEnvelope;
      const after = evolve(next, envelope);
      history?.push(envelope);
      // The revision increases by exactly one per event.
      invariant(after.revision === next.revision + 1, () => `revision ${next.revision} → ${after.revision} after ${e.type}`);
      // The first responder is fixed by the first accept and changes only through a reassignment that says so.
      const expected = expectedFirstResponder(next.firstResponder, e, envelope.occurredAt);
      invariant(sameResponder(after.firstResponder, expected), () => `first responder ${JSON.stringify(next.firstResponder)} → ${JSON.stringify(after.firstResponder)} after ${e.type}`);
      if (e.type === 'TicketAccepted') invariant(e.data.firstResponder === (next.firstResponder === undefined), () => 'TicketAccepted.firstResponder is wrong');
      if (e.type === 'TicketReassigned') invariant(e.data.firstResponderChanged === (e.data.toStaffId !== ''), () => 'firstResponderChanged without a staff id');
      // Breaches and warnings only for a running leg of an open ticket, at or after the due time for breaches.
      if (e.type === 'DeadlineBreached' || e.type === 'DeadlineWarningIssued') {
        const l = e.data.leg === 'first_response' ? next.sla.firstResponse : next.sla.resolution;
        invariant(!!l && !l.stoppedAt && !l.pausedAt, () => `${e.type} for a leg that is not running`);
        invariant(!FINAL_STATUSES.includes(next.status) && next.status !== 'resolved', () => `${e.type} on a ${next.status} ticket`);
        if (e.type === 'DeadlineBreached') invariant(Date.parse(e.data.dueAt ?? '') <= now, () => 'breach before the due time');
      }
      next = after;
    }

    // A final status never leaves it.
    invariant(!FINAL_STATUSES.includes(s.status) || next.status === s.status, () => `left final status ${s.status} for ${next.status}`);
    // Waiting on the reporter ⇔ the resolution leg is paused (a final ticket may keep a paused leg).
    const paused = !!next.sla.resolution?.pausedAt;
    invariant(next.status !== 'awaiting_information' || paused, () => 'awaiting information with a running resolution leg');
    invariant(!paused || next.status === 'awaiting_information' || FINAL_STATUSES.includes(next.status), () => `resolution leg paused while ${next.status}`);
    // Warnings and breaches are idempotent: at most one per leg and due time.
    invariant(new Set(next.breaches.map((b) => `${b.leg}@${b.dueAt}`)).size === next.breaches.length, () => 'duplicate breach');
    invariant(new Set(next.warnings.map((w) => `${w.leg}@${w.dueAt}`)).size === next.warnings.length, () => 'duplicate warning');
    // Once routed, someone holds the ticket while it is open.
    invariant(['submitted', ...FINAL_STATUSES].includes(next.status) || next.holderUnitId !== '', () => `open ${next.status} ticket without a holder`);

    observed.add(`${s.status}|${command.type}|${next.status}`);
    s = next;
  }
  return observed;
}

describe('decider properties (random command sequences from random actors)', () => {
  const seen = new Set<Observed>();

  it('keeps first-inquiry responsibility, gapless revisions, final statuses, and the permission table', () => {
    fc.assert(
      fc.property(startArb, fc.array(stepArb, { minLength: 1, maxLength: 80, size: 'max' }), (begin, steps) => {
        for (const o of run(begin, steps)) seen.add(o);
      }),
      { numRuns: 600 },
    );
  });

  it('evolveAll folds a run to the states evolve gives event by event (keys in the same order), leaving its start as it was', () => {
    fc.assert(
      fc.property(startArb, fc.array(stepArb, { minLength: 1, maxLength: 80, size: 'max' }), (begin, steps) => {
        const history: TicketEventEnvelope[] = [];
        run(begin, steps, history);
        const from = start(begin);
        const before = JSON.stringify(from);
        const stepwise: string[] = [];
        const expected = history.reduce((st, e) => {
          const next = evolve(st, e);
          stepwise.push(JSON.stringify(next));
          return next;
        }, from);
        const seen: string[] = [];
        const folded = evolveAll(history, from, (st) => seen.push(JSON.stringify(st)));
        expect(folded).toStrictEqual(expected);
        expect(JSON.stringify(folded)).toBe(JSON.stringify(expected));
        expect(seen).toEqual(stepwise);
        expect(JSON.stringify(from)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('every transition seen in random runs is in the derived transition table (the docs cover what the decider does)', () => {
    const table = new Set(allowedTransitions(deriveTransitions()).flatMap((t) => t.outcome.to.map((to) => `${t.from}|${t.command}|${to}`)));
    const missing = [...seen].filter((o) => !table.has(o));
    expect(missing).toEqual([]);
    expect(seen.size).toBeGreaterThan(40);
  });

  it('reaches deep states: the random runs exercise transfers, reassignments that change the first responder, and reopen', () => {
    const commands = new Set([...seen].map((o) => o.split('|')[1]));
    for (const c of ['TransferTicket', 'HandBackTicket', 'ReassignTicket', 'ReopenTicket', 'RecordDeadlineBreach', 'AddInformation', 'CloseTicket']) {
      expect(commands).toContain(c);
    }
  });
});
