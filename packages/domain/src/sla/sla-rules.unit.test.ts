/**
 * The rules of issue 4 ("Time limits that hold") as a table of cases, each run through the real decider
 * (decide → evolve) and the pure timer plan (desiredTimers / escalationCommand) that the deadline service
 * executes. One row per rule bullet; calendars, DST and holidays are in calendar.unit.test.ts.
 */
import type { ActorContext, TicketCommand, WorkflowSettings } from '../ticket/commands';
import { DEFAULT_WORKFLOW_SETTINGS } from '../ticket/commands';
import { decide } from '../ticket/decide';
import { TicketRejection } from '../ticket/errors';
import type { TicketEvent } from '../ticket/events';
import { evolve } from '../ticket/evolve';
import { type TicketState, initialTicketState } from '../ticket/state';
import { SAMPLE_ACTORS as A, sampleCommand, sampleContext, supervisingUnitOf } from '../ticket/sample-world';
import { formatInZone } from './zone';
import { rebudgetLeg, usedTime } from './legs';
import { DEFAULT_SLA_CONFIG, type SlaPolicySnapshot, slaPolicyFor } from './policy';
import { DEFAULT_TIMER_SETTINGS, type Timer, type TimerSettings, desiredTimers, escalationCommand } from './timers';

const HOUR = 3_600_000;
/** Monday 23 November 2026, 09:00 in Asia/Shanghai. */
const T0 = '2026-11-23T01:00:00.000Z';
const h = (hours: number): string => new Date(Date.parse(T0) + hours * HOUR).toISOString();
const sh = (iso: string | undefined): string => formatInZone('Asia/Shanghai', Date.parse(iso ?? ''));

const TOWNSHIP = 'adm-513437100';
const COUNTY = 'adm-513437';
const PREFECTURE = 'adm-5134';
const DEPARTMENT = 'dep-513437-housing-construction';
const UNITS = { supervisingUnit: (u: string) => supervisingUnitOf(u) || undefined, topUnitId: PREFECTURE };
const POLICY: SlaPolicySnapshot = { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 };

/** A ticket's life driven through the decider, one command at a time. */
class Ticket {
  state: TicketState = initialTicketState();

  /** Runs a command; returns its events (throws the rejection). */
  do(actor: ActorContext, command: TicketCommand, at: string, settings: WorkflowSettings = DEFAULT_WORKFLOW_SETTINGS): TicketEvent[] {
    const events = decide(command, this.state, { ...sampleContext(actor, at), settings });
    for (const e of events) {
      this.state = evolve(this.state, { ...e, occurredAt: at, actor: { kind: actor.kind, id: actor.id } });
    }
    return events;
  }

  /** Runs a command that must be refused; returns `kind/reason`. */
  refused(actor: ActorContext, command: TicketCommand, at: string, settings?: WorkflowSettings): string {
    try {
      this.do(actor, command, at, settings);
    } catch (err) {
      if (err instanceof TicketRejection) return `${err.kind}/${err.reason}`;
      throw err;
    }
    throw new Error(`${command.type} was not refused`);
  }

  timers(settings: TimerSettings = DEFAULT_TIMER_SETTINGS): Pick<Timer, 'leg' | 'kind' | 'dueAt' | 'dueKey'>[] {
    return desiredTimers(this.state, settings).map(({ leg, kind, dueAt, dueKey }) => ({ leg, kind, dueAt, dueKey }));
  }

  /** Fires a timer the way the deadline service does (the command it would run). */
  fire(kind: 'warning' | 'breach', leg: 'first_response' | 'resolution', at: string): TicketEvent[] {
    const l = leg === 'first_response' ? this.state.sla.firstResponse : this.state.sla.resolution;
    return this.do(A.deadline, { type: kind === 'warning' ? 'IssueDeadlineWarning' : 'RecordDeadlineBreach', leg, dueAt: l?.dueAt ?? '' }, at);
  }

  escalate(level: 1 | 2, at: string): TicketEvent[] {
    const command = escalationCommand(this.state, level, UNITS, 'overdue');
    return command ? this.do(A.deadline, command, at) : [];
  }
}

/** Submitted at `at` with `policy`, routed to the township (or `unit`), optionally accepted. */
function ticket(options: { policy?: SlaPolicySnapshot; at?: string; accept?: boolean; unit?: string } = {}): Ticket {
  const t = new Ticket();
  const at = options.at ?? T0;
  const submit = sampleCommand('SubmitTicket', t.state, new Date(at));
  t.do(A.reporter, { ...submit, policy: options.policy ?? POLICY } as TicketCommand, at);
  const unit = options.unit ?? TOWNSHIP;
  t.do(A.routing, { type: 'RouteTicket', unitId: unit, division: unit.slice(4), suggestedDepartment: 'housing-construction' }, at);
  if (options.accept) t.do(unit === TOWNSHIP ? A.townshipAdmin : A.countyAdmin, { type: 'AcceptTicket' }, at);
  return t;
}

const deadline = (dueAt: string, reason = '需要施工，三天内无法完成'): TicketCommand => ({ type: 'SetResolutionDeadline', dueAt, reason });
const answer = (channel: string): TicketCommand => ({ type: 'AddInformation', text: '在后院', channel });
const ask: TicketCommand = { type: 'RequestInformation', question: '具体位置？' };
const reply = (isPublic: boolean): TicketCommand => ({ type: 'ReplyToTicket', message: '已收到', public: isPublic });

const RULES: [string, () => void][] = [
  ['legs: both legs run from the submission with the policy\'s hours (24 h first response, 72 h resolution)', () => {
    const t = ticket();
    expect(t.state.sla.firstResponse).toMatchObject({ startedAt: T0, dueAt: h(24), pausedMs: 0 });
    expect(t.state.sla.resolution).toMatchObject({ startedAt: T0, dueAt: h(72), pausedMs: 0 });
    expect(t.state.policy).toEqual(POLICY);
    const other = ticket({ policy: { firstResponseHours: 8, resolutionHours: 40, warnAtFraction: 0.5 } });
    expect([other.state.sla.firstResponse?.dueAt, other.state.sla.resolution?.dueAt]).toEqual([h(8), h(40)]);
  }],

  ['legs: an announced deadline replaces the resolution due time (and its timers)', () => {
    const t = ticket({ accept: true });
    t.do(A.townshipAdmin, deadline(h(120)), h(10));
    expect(t.state.sla.resolution).toMatchObject({ dueAt: h(120), announced: true });
    expect(t.timers().filter((x) => x.leg === 'resolution')).toEqual([
      { leg: 'resolution', kind: 'warning', dueAt: h(90), dueKey: h(120) },
      { leg: 'resolution', kind: 'breach', dueAt: h(120), dueKey: h(120) },
    ]);
  }],

  ['legs: extending must happen before the current due time, with a reason, and not into the past', () => {
    const t = ticket({ accept: true });
    expect(t.refused(A.townshipAdmin, deadline(h(200)), h(72))).toBe('precondition/deadline_passed');
    expect(t.refused(A.townshipAdmin, deadline(h(200), ''), h(10))).toBe('invalid/missing_reason');
    expect(t.refused(A.townshipAdmin, deadline(h(200), '   '), h(10))).toBe('invalid/missing_reason');
    expect(t.refused(A.townshipAdmin, deadline(h(5)), h(10))).toBe('invalid/deadline_in_past');
    expect(t.state.revision).toBe(2);
  }],

  ['legs: the total extension is capped by a setting (maxExtensionHours)', () => {
    const settings = { ...DEFAULT_WORKFLOW_SETTINGS, maxExtensionHours: 10 };
    const t = ticket({ accept: true });
    expect(t.refused(A.townshipAdmin, deadline(h(72 + 11)), h(1), settings)).toBe('precondition/extension_cap_exceeded');
    t.do(A.townshipAdmin, deadline(h(72 + 6)), h(1), settings);
    expect(t.refused(A.townshipAdmin, deadline(h(72 + 11)), h(2), settings)).toBe('precondition/extension_cap_exceeded');
    t.do(A.townshipAdmin, deadline(h(72 + 10)), h(2), settings);
    expect(t.state.extendedMs).toBe(10 * HOUR);
  }],

  ['warning: at warnAtFraction of each leg, once, to the holding unit', () => {
    const t = ticket();
    expect(t.timers()).toEqual([
      { leg: 'first_response', kind: 'warning', dueAt: h(18), dueKey: h(24) },
      { leg: 'first_response', kind: 'breach', dueAt: h(24), dueKey: h(24) },
      { leg: 'resolution', kind: 'warning', dueAt: h(54), dueKey: h(72) },
      { leg: 'resolution', kind: 'breach', dueAt: h(72), dueKey: h(72) },
    ]);
    expect(t.fire('warning', 'first_response', h(18))).toEqual([{ type: 'DeadlineWarningIssued', data: { leg: 'first_response', dueAt: h(24) } }]);
    expect(t.fire('warning', 'first_response', h(18.1))).toEqual([]);
    expect(t.timers().map((x) => `${x.leg}/${x.kind}`)).toEqual(['first_response/breach', 'resolution/warning', 'resolution/breach']);
    // The holder is whoever holds the work when the warning fires (the notification service writes to it).
    t.do(A.townshipAdmin, { type: 'AcceptTicket' }, h(19));
    t.do(A.townshipAdmin, { type: 'TransferTicket', toUnitId: DEPARTMENT, department: 'housing-construction', reason: '需部门处置' }, h(20));
    t.fire('warning', 'resolution', h(54));
    expect(t.state.holderUnitId).toBe(DEPARTMENT);
    expect(t.state.warnings.map((w) => w.leg)).toEqual(['first_response', 'resolution']);
  }],

  ['breach: DeadlineBreached, then TicketEscalated one level up (township → county), the work stays', () => {
    const t = ticket();
    expect(t.fire('breach', 'first_response', h(23.9))).toEqual([]); // not due yet
    expect(t.fire('breach', 'first_response', h(24))).toEqual([{ type: 'DeadlineBreached', data: { leg: 'first_response', dueAt: h(24), breachedAt: h(24) } }]);
    expect(t.fire('breach', 'first_response', h(24.5))).toEqual([]); // once
    expect(t.timers()).toContainEqual({ leg: 'ticket', kind: 'escalation', dueAt: h(24), dueKey: 'level-1' });
    expect(t.escalate(1, h(24))).toEqual([{ type: 'TicketEscalated', data: { fromUnitId: TOWNSHIP, toUnitId: COUNTY, reason: 'overdue', level: 1, automatic: true } }]);
    expect(t.state).toMatchObject({ supervisingUnitId: COUNTY, holderUnitId: TOWNSHIP });
    expect(t.timers().find((x) => x.dueKey === 'level-1')).toBeUndefined();
  }],

  ['breach: a county-level ticket escalates to the prefecture; a transferred one to the county of its first responder', () => {
    const county = ticket({ unit: COUNTY });
    county.fire('breach', 'first_response', h(24));
    expect(escalationCommand(county.state, 1, UNITS, 'x')?.toUnitId).toBe(PREFECTURE);
    const transferred = ticket({ accept: true });
    transferred.do(A.townshipAdmin, { type: 'TransferTicket', toUnitId: DEPARTMENT, department: 'housing-construction', reason: '需部门处置' }, h(1));
    transferred.fire('breach', 'resolution', h(72));
    expect(escalationCommand(transferred.state, 1, UNITS, 'x')?.toUnitId).toBe(COUNTY);
  }],

  ['re-escalation: still unmet a configurable period after the breach → escalated again, to the prefecture', () => {
    const t = ticket();
    t.fire('breach', 'first_response', h(24));
    t.escalate(1, h(24));
    expect(t.timers()).toContainEqual({ leg: 'ticket', kind: 'escalation', dueAt: h(48), dueKey: 'level-2' });
    expect(t.timers({ ...DEFAULT_TIMER_SETTINGS, reescalateAfterHours: 6 })).toContainEqual({ leg: 'ticket', kind: 'escalation', dueAt: h(30), dueKey: 'level-2' });
    expect(t.escalate(2, h(48))).toEqual([{ type: 'TicketEscalated', data: { fromUnitId: TOWNSHIP, toUnitId: PREFECTURE, reason: 'overdue', level: 2, automatic: true } }]);
    expect(t.state.supervisingUnitId).toBe(PREFECTURE);
    expect(t.timers().some((x) => x.kind === 'escalation')).toBe(false);
  }],

  ['re-escalation: a public reply meets the breached first-response leg, so there is no second escalation for it', () => {
    const t = ticket({ accept: true });
    t.fire('breach', 'first_response', h(24));
    t.escalate(1, h(24));
    t.do(A.townshipAdmin, reply(true), h(25));
    expect(t.timers().some((x) => x.kind === 'escalation')).toBe(false);
  }],

  ['pause: information requested stops the resolution leg; the reporter\'s answer through any channel resumes it', () => {
    for (const channel of ['app', 'phone', 'proxy', 'open311', 'web']) {
      const t = ticket({ accept: true });
      t.do(A.townshipAdmin, reply(true), h(2));
      t.do(A.townshipAdmin, ask, h(10));
      expect(t.state.sla.resolution?.pausedAt).toBe(h(10));
      expect(t.timers()).toEqual([]); // first response met, resolution paused
      expect(t.fire('breach', 'resolution', h(80))).toEqual([]); // a paused leg is never breached
      t.do(A.reporter, answer(channel), h(30));
      expect(t.state.sla.resolution).toMatchObject({ dueAt: h(92), pausedMs: 20 * HOUR });
      expect(t.timers()).toEqual([
        { leg: 'resolution', kind: 'warning', dueAt: h(74), dueKey: h(92) },
        { leg: 'resolution', kind: 'breach', dueAt: h(92), dueKey: h(92) },
      ]);
    }
  }],

  ['first response (issue 16 item 9): a question to the reporter meets it — no warning at 18 h, no breach or escalation at 24 h', () => {
    // Given a ticket submitted 09:00 and accepted 09:10, when the unit asks the reporter at 09:20,
    const t = ticket();
    t.do(A.townshipAdmin, { type: 'AcceptTicket' }, h(1 / 6));
    t.do(A.townshipAdmin, ask, h(1 / 3));
    // then the first response is met at 09:20 and only the (paused) resolution leg remains.
    expect(t.state.status).toBe('awaiting_information');
    expect(t.state.sla.firstResponse?.stoppedAt).toBe(h(1 / 3));
    expect(t.timers()).toEqual([]);
    expect(t.fire('warning', 'first_response', h(18))).toEqual([]);
    expect(t.fire('breach', 'first_response', h(24))).toEqual([]);
    expect(escalationCommand(t.state, 1, UNITS, 'overdue')).toBeDefined(); // there is a unit above…
    expect(t.timers().some((x) => x.kind === 'escalation')).toBe(false); // …but nothing to escalate for
    // A later public reply keeps the first answer's instant (statistics count the question as the first reply).
    t.do(A.townshipAdmin, reply(true), h(30));
    expect(t.state.sla.firstResponse?.stoppedAt).toBe(h(1 / 3));
  }],

  ['first response (issue 16 item 9): an announced deadline as the unit\'s first contact meets it too', () => {
    // Given a routed ticket (accepted or not), when the unit's first contact announces a resolution deadline,
    for (const accept of [true, false]) {
      const t = ticket({ accept });
      t.do(A.townshipAdmin, deadline(h(120)), h(1 / 3));
      // then the first response is met and the announced deadline is the only leg running.
      expect(t.state.sla.firstResponse?.stoppedAt).toBe(h(1 / 3));
      expect(t.timers()).toEqual([
        { leg: 'resolution', kind: 'warning', dueAt: h(90), dueKey: h(120) },
        { leg: 'resolution', kind: 'breach', dueAt: h(120), dueKey: h(120) },
      ]);
      expect(t.fire('breach', 'first_response', h(24))).toEqual([]);
    }
  }],

  ['first response: an internal note, an accept or a transfer does not meet it (the reporter hears nothing)', () => {
    const t = ticket({ accept: true });
    t.do(A.townshipAdmin, { type: 'AddInternalNote', text: '已电话联系县规建局。' }, h(1));
    t.do(A.townshipAdmin, { type: 'TransferTicket', toUnitId: DEPARTMENT, department: 'housing-construction', reason: '需部门处置' }, h(2));
    expect(t.state.sla.firstResponse?.stoppedAt).toBeUndefined();
    expect(t.fire('breach', 'first_response', h(24))).toEqual([{ type: 'DeadlineBreached', data: { leg: 'first_response', dueAt: h(24), breachedAt: h(24) } }]);
  }],

  ['first response: stops at the first public reply (or question), whoever speaks last afterwards', () => {
    const t = ticket({ accept: true });
    t.do(A.townshipAdmin, reply(false), h(1));
    expect(t.state.sla.firstResponse?.stoppedAt).toBeUndefined();
    t.do(A.townshipAdmin, reply(true), h(2));
    t.do(A.townshipAdmin, { type: 'TransferTicket', toUnitId: DEPARTMENT, department: 'housing-construction', reason: '需部门处置' }, h(3));
    t.do(A.department, reply(true), h(5));
    t.do(A.townshipAdmin, ask, h(6));
    t.do(A.reporter, answer('app'), h(7));
    expect(t.state.sla.firstResponse?.stoppedAt).toBe(h(2));
    expect(t.timers().some((x) => x.leg === 'first_response')).toBe(false);
  }],

  ['reopen: a new resolution leg from the reopen time; an old due date long past is not instantly overdue', () => {
    const t = ticket({ accept: true });
    t.do(A.townshipAdmin, reply(true), h(2));
    t.do(A.townshipAdmin, { type: 'ResolveTicket', resolution: '已处理' }, h(20));
    // The objection window's automatic close, and the callback owed 3 working days after the resolution (issue 14 item 4).
    const callbackDue = t.state.callback?.dueAt ?? '';
    expect(t.timers()).toEqual([
      { leg: 'ticket', kind: 'auto_close', dueAt: h(20 + 7 * 24), dueKey: h(20) },
      { leg: 'ticket', kind: 'callback_overdue', dueAt: callbackDue, dueKey: callbackDue },
    ]);
    const reopenAt = h(20 + 6 * 24); // 144 h: the old 72 h due time is three days past
    t.do(A.reporter, { type: 'ReopenTicket', reason: '又裂了' }, reopenAt);
    expect(t.state.sla.resolution).toEqual({ startedAt: reopenAt, dueAt: h(164 + 72), announced: false, pausedMs: 0 });
    expect(t.fire('breach', 'resolution', h(165))).toEqual([]);
    expect(t.do(A.deadline, { type: 'RecordDeadlineBreach', leg: 'resolution', dueAt: h(72) }, h(165))).toEqual([]);
    expect(t.timers()).toEqual([
      { leg: 'resolution', kind: 'warning', dueAt: h(164 + 54), dueKey: h(236) },
      { leg: 'resolution', kind: 'breach', dueAt: h(236), dueKey: h(236) },
    ]);
  }],

  ['transfer, hand-back, reassignment and escalation keep the running legs (the citizen\'s wait does not restart)', () => {
    const t = ticket({ accept: true });
    t.do(A.townshipAdmin, ask, h(1));
    t.do(A.reporter, answer('app'), h(2));
    const before = t.state.sla;
    t.do(A.townshipAdmin, { type: 'TransferTicket', toUnitId: DEPARTMENT, department: 'housing-construction', reason: '需部门处置' }, h(3));
    t.do(A.department, { type: 'HandBackTicket', findings: '需镇里处置' }, h(4));
    t.do(A.countySupervisor, { type: 'ReassignTicket', toUnitId: COUNTY, toUnitDivision: '513437', toStaffId: '', reason: '调整' }, h(5));
    t.do(A.countySupervisor, { type: 'EscalateTicket', toUnitId: PREFECTURE, reason: '督办', automatic: false }, h(6));
    expect(t.state.sla).toEqual(before);
  }],

  ['policy change: a ticket keeps its policy snapshot; a changed budget keeps the time used and the pauses', () => {
    const t = ticket({ accept: true });
    t.do(A.townshipAdmin, ask, h(10));
    t.do(A.reporter, answer('app'), h(20));
    // The catalogue (or the configuration) changes: new tickets get the new policy, this one keeps its own.
    const changed = slaPolicyFor({ firstResponseHours: 12, resolutionHours: 96, warnAtFraction: 0.5 }, DEFAULT_SLA_CONFIG, { serviceCode: 'dangerous-structure' });
    expect(changed).toMatchObject({ firstResponseHours: 12, resolutionHours: 96, warnAtFraction: 0.5 });
    t.do(A.townshipAdmin, reply(false), h(21));
    expect(t.state.policy).toEqual(POLICY);
    expect(t.state.sla.resolution?.dueAt).toBe(h(82));
    // Applying a new budget to the running leg: 20 h used stay used, the 10 h pause stays excluded.
    const leg = t.state.sla.resolution!;
    const rebudgeted = rebudgetLeg(leg, 96);
    expect(rebudgeted.dueAt).toBe(h(10 + 96));
    expect([usedTime(leg, h(30)), usedTime(rebudgeted, h(30))]).toEqual([20 * HOUR, 20 * HOUR]);
  }],

  ['a breach is recorded once per due time: a pause and resume after the breach do not re-arm it', () => {
    const t = ticket({ accept: true });
    t.do(A.townshipAdmin, reply(true), h(1));
    t.fire('breach', 'resolution', h(72));
    t.do(A.townshipAdmin, ask, h(80));
    t.do(A.reporter, answer('app'), h(90));
    expect(t.state.sla.resolution).toMatchObject({ dueAt: h(82), breachedAt: h(72) });
    expect(t.timers().filter((x) => x.kind === 'breach' || x.kind === 'warning')).toEqual([]);
    expect(t.fire('breach', 'resolution', h(91))).toEqual([]);
    // …but a newly announced deadline is a new promise: warned and breached again.
    t.do(A.townshipAdmin, ask, h(91));
    t.do(A.townshipAdmin, deadline(h(150)), h(92));
    t.do(A.reporter, answer('app'), h(92));
    expect(t.timers().filter((x) => x.kind === 'breach')).toEqual([{ leg: 'resolution', kind: 'breach', dueAt: h(150), dueKey: h(150) }]);
  }],

  ['calendar: calendar hours by default — the snapshot names no calendar and 24 h is 24 elapsed hours', () => {
    const t = ticket();
    expect(t.state.policy.calendar).toBeUndefined();
    expect(t.state.sla.firstResponse?.calendar).toBeUndefined();
    expect(slaPolicyFor(POLICY, DEFAULT_SLA_CONFIG, { serviceCode: 'sanitation', unitId: TOWNSHIP }).calendar).toBeUndefined();
  }],

  ['calendar: on cn-working-hours a warning that falls at lunch or closing time lands at the next working minute', () => {
    // Friday 27 Nov 2026 16:30 (+08:00): 1 h on Friday, 7 h a day after.
    const t = ticket({ policy: { ...POLICY, calendar: 'cn-working-hours' }, at: '2026-11-27T08:30:00.000Z' });
    expect(sh(t.state.sla.firstResponse?.dueAt)).toBe('2026-12-03T11:00:00.000+08:00');
    const [warning] = t.timers();
    // 18 working hours are used up at 12:00 on Wednesday: the warning waits for 13:30, not for midnight or lunch.
    expect(sh(warning?.dueAt)).toBe('2026-12-02T13:30:00.000+08:00');
  }],

  ['calendar: the National Day week does not count; the adjusted working Saturday does', () => {
    const t = ticket({ policy: { ...POLICY, calendar: 'cn-working-hours' }, at: '2026-09-29T01:00:00.000Z' });
    expect(sh(t.state.sla.firstResponse?.dueAt)).toBe('2026-10-09T12:00:00.000+08:00');
    expect(sh(t.timers()[0]?.dueAt)).toBe('2026-10-08T14:30:00.000+08:00');
    expect(sh(t.state.sla.resolution?.dueAt)).toBe('2026-10-19T11:00:00.000+08:00');
  }],

  ['calendar: a pause over a weekend moves nothing on a working-hours calendar', () => {
    const t = ticket({ policy: { ...POLICY, calendar: 'cn-working-hours' }, at: '2026-11-23T01:00:00.000Z', accept: true });
    const due = t.state.sla.resolution?.dueAt;
    t.do(A.townshipAdmin, ask, '2026-11-27T09:30:00.000Z'); // Friday 17:30 (closing)
    t.do(A.reporter, answer('phone'), '2026-11-30T01:00:00.000Z'); // Monday 09:00 (opening)
    expect(t.state.sla.resolution).toMatchObject({ dueAt: due, pausedMs: 0 });
  }],

  ['bad input: an unknown calendar or a policy with negative hours is refused (INVALID_ARGUMENT) and nothing is written', () => {
    const t = new Ticket();
    const submit = sampleCommand('SubmitTicket', t.state, new Date(T0));
    expect(t.refused(A.reporter, { ...submit, policy: { ...POLICY, calendar: 'mars-working-hours' } } as TicketCommand, T0)).toBe('invalid/unknown_calendar');
    expect(t.refused(A.reporter, { ...submit, policy: { ...POLICY, resolutionHours: -72 } } as TicketCommand, T0)).toBe('invalid/invalid_policy');
    expect(t.refused(A.reporter, { ...submit, policy: { ...POLICY, firstResponseHours: 0 } } as TicketCommand, T0)).toBe('invalid/invalid_policy');
    expect(t.refused(A.reporter, { ...submit, policy: { ...POLICY, warnAtFraction: 1.5 } } as TicketCommand, T0)).toBe('invalid/invalid_policy');
    expect(t.state.exists).toBe(false);
  }],
];

describe('SLA rules (issue 4), through the decider and the timer plan', () => {
  it.each(RULES)('%s', (_rule, run) => run());
});
