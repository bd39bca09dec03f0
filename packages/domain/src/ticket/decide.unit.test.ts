import type { events } from '@tongban/contracts';
import type { ActorContext, TicketCommand, WorkflowSettings } from './commands';
import { DEFAULT_WORKFLOW_SETTINGS } from './commands';
import { decide, levelOfScore } from './decide';
import { DEFAULT_TIMER_SETTINGS, desiredTimers } from '../sla/timers';
import { type RejectionKind, TicketRejection } from './errors';
import type { TicketEvent, TicketEventEnvelope } from './events';
import { evolve, evolveAll } from './evolve';
import { type TicketState, initialTicketState } from './state';
import { deciderSpec } from '@tongban/testing/decider-spec';
import { SAMPLE_ACTORS as A, SAMPLE_SUBMITTED_AT as T0, SAMPLE_TICKET_ID, sampleContext } from './sample-world';

// ---------------------------------------------------------------------------------------------------
// given(events) → when(command, ctx) → then(events) | thenRejects(kind, reason), from @tongban/testing/decider-spec
// ---------------------------------------------------------------------------------------------------

/** When a command is decided: the actor, the instant and (optionally) workflow settings. */
interface When {
  actor: ActorContext;
  at: string;
  settings?: WorkflowSettings;
}

/** Wraps an event as evolve sees it. */
function envelope(event: TicketEvent, occurredAt: string, actor: ActorContext): TicketEventEnvelope {
  return { ...event, occurredAt, actor: { kind: actor.kind, id: actor.id, ...(actor.unitId ? { unitId: actor.unitId } : {}) } };
}

/**
 * given(history) → when(command, ctx) → then(expected) / thenRejects(kind, reason) (the shared
 * decider-spec). `then` returns the state after the new events, for assertions on what they mean.
 */
const { given } = deciderSpec({
  initialState: initialTicketState,
  evolve,
  decide: (command: TicketCommand, state: TicketState, ctx: When) =>
    decide(command, state, { ...sampleContext(ctx.actor, ctx.at), settings: ctx.settings ?? DEFAULT_WORKFLOW_SETTINGS }),
  isRejection: (error) => error instanceof TicketRejection,
  record: (event: TicketEvent, ctx: When) => envelope(event, ctx.at, ctx.actor),
  expectRejection: (rejection, kind: RejectionKind, reason: string) => {
    const r = rejection as TicketRejection;
    expect({ kind: r.kind, reason: r.reason }).toEqual({ kind, reason });
  },
});

// ---------------------------------------------------------------------------------------------------
// The sample world: a report at a village of 锦城镇 (雷波县), Liangshan.
// ---------------------------------------------------------------------------------------------------

const TOWNSHIP = 'adm-513437100';
const COUNTY = 'adm-513437';
const PREFECTURE = 'adm-5134';
const DEPARTMENT = 'dep-513437-housing-construction';
const OTHER_DEPARTMENT = 'dep-513437-transport';
const OTHER_TOWNSHIP = 'adm-513434114';
const HOUR = 3_600_000;

/** T0 + minutes, as a UTC ISO instant. */
function t(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}
/** T0 + hours. */
function th(hours: number): string {
  return t(hours * 60);
}

const POLICY = { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 };
const REPORTER: events.Reporter = { deviceId: A.reporter.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' };
const OFFICER_REPORTER: events.Reporter = { ...REPORTER, deviceId: '', staffId: A.informationOfficer.id, unitId: TOWNSHIP };

const submitCommand: Extract<TicketCommand, { type: 'SubmitTicket' }> = {
  type: 'SubmitTicket', ticketId: SAMPLE_TICKET_ID, reference: 'LS-2015-000001', serviceCode: 'dangerous-structure',
  division: '513437100001', title: '西街30号围墙成危墙', description: '接连几次暴雨后，围墙出现裂缝、向外倾斜。',
  address: '雷波县锦城镇西街30号', channel: 'app', reporter: REPORTER, attributes: {}, mediaUrl: '', policy: POLICY,
};

/** Event factories (envelopes), each with the actor who would have caused it. */
const ev = {
  submitted: (at = T0, reporter = REPORTER, actor: ActorContext = A.reporter): TicketEventEnvelope => {
    const { type: _type, ...data } = submitCommand;
    return envelope({ type: 'TicketSubmitted', data: { ...data, reporter, channel: reporter.staffId ? 'proxy' : 'app', submittedAt: at } }, at, actor);
  },
  routed: (at: string, unitId = TOWNSHIP): TicketEventEnvelope =>
    envelope({ type: 'TicketRouted', data: { unitId, division: unitId.slice(4), suggestedDepartment: 'housing-construction', reason: 'submitted' } }, at, A.routing),
  accepted: (at: string, actor: ActorContext = A.townshipAdmin, firstResponder = true): TicketEventEnvelope =>
    envelope({ type: 'TicketAccepted', data: { staffId: actor.id, unitId: actor.unitId ?? '', firstResponder } }, at, actor),
  replied: (at: string, isPublic: boolean, actor: ActorContext = A.townshipAdmin): TicketEventEnvelope =>
    envelope({ type: 'TicketReplied', data: { message: '已收到', public: isPublic, staffId: actor.id, unitId: actor.unitId ?? '' } }, at, actor),
  transferred: (at: string, fromUnitId = TOWNSHIP, toUnitId = DEPARTMENT, actor: ActorContext = A.townshipAdmin): TicketEventEnvelope =>
    envelope({ type: 'TicketTransferred', data: { fromUnitId, toUnitId, department: toUnitId.split('-').slice(2).join('-'), reason: '需部门处置' } }, at, actor),
  handedBack: (at: string, fromUnitId = DEPARTMENT, toUnitId = TOWNSHIP, actor: ActorContext = A.department): TicketEventEnvelope =>
    envelope({ type: 'TicketHandedBack', data: { fromUnitId, toUnitId, findings: '已处置' } }, at, actor),
  informationRequested: (at: string, actor: ActorContext = A.townshipAdmin): TicketEventEnvelope =>
    envelope({ type: 'InformationRequested', data: { question: '具体位置？', staffId: actor.id, unitId: actor.unitId ?? '' } }, at, actor),
  informationAdded: (at: string): TicketEventEnvelope => envelope({ type: 'InformationAdded', data: { text: '后院', channel: 'app' } }, at, A.reporter),
  deadlineSet: (at: string, dueAt: string, previousDueAt: string): TicketEventEnvelope =>
    envelope({ type: 'ResolutionDeadlineSet', data: { dueAt, reason: '需要施工', previousDueAt } }, at, A.townshipAdmin),
  resolved: (at: string, actor: ActorContext = A.townshipAdmin): TicketEventEnvelope =>
    envelope({ type: 'TicketResolved', data: { resolution: '已拆除', staffId: actor.id, unitId: actor.unitId ?? '' } }, at, actor),
  closed: (at: string, closedBy = 'reporter'): TicketEventEnvelope => envelope({ type: 'TicketClosed', data: { reason: '', closedBy } }, at, A.reporter),
  reopened: (at: string, unitId = TOWNSHIP): TicketEventEnvelope => envelope({ type: 'TicketReopened', data: { reason: '又裂了', unitId } }, at, A.reporter),
  rated: (at: string, score = 4): TicketEventEnvelope => envelope({ type: 'TicketRated', data: { score, comment: '', level: levelOfScore(score) ?? '' } }, at, A.reporter),
  rejected: (at: string): TicketEventEnvelope => envelope({ type: 'TicketRejected', data: { category: 'out-of-scope', reason: '不属于受理范围' } }, at, A.townshipAdmin),
  reassigned: (at: string, toUnitId: string, toStaffId = '', fromUnitId = TOWNSHIP): TicketEventEnvelope =>
    envelope({ type: 'TicketReassigned', data: { fromUnitId, toUnitId, toStaffId, reason: '调整', firstResponderChanged: toStaffId !== '' } }, at, A.countySupervisor),
  escalated: (at: string, fromUnitId = TOWNSHIP, toUnitId = COUNTY, level = 1, automatic = false): TicketEventEnvelope =>
    envelope({ type: 'TicketEscalated', data: { fromUnitId, toUnitId, reason: '督办', level, automatic } }, at, automatic ? A.deadline : A.countySupervisor),
  warned: (at: string, leg: string, dueAt: string): TicketEventEnvelope => envelope({ type: 'DeadlineWarningIssued', data: { leg, dueAt } }, at, A.deadline),
  breached: (at: string, leg: string, dueAt: string): TicketEventEnvelope =>
    envelope({ type: 'DeadlineBreached', data: { leg, dueAt, breachedAt: at } }, at, A.deadline),
};

const SUBMITTED = [ev.submitted()];
const ROUTED = [...SUBMITTED, ev.routed(t(5))];
const ACCEPTED = [...ROUTED, ev.accepted(t(45))];
const TRANSFERRED = [...ACCEPTED, ev.transferred(t(55))];
const RESOLVED = [...ACCEPTED, ev.resolved(th(20))];
const FIRST_RESPONSE_DUE = th(24);
const RESOLUTION_DUE = th(72);

/** The first responder fixed by the township admin's accept at T0 + 45 min. */
const TOWNSHIP_FIRST_RESPONDER = { staffId: A.townshipAdmin.id, unitId: TOWNSHIP, since: t(45) };

// ---------------------------------------------------------------------------------------------------

describe('SubmitTicket', () => {
  it('records a citizen report and starts both SLA legs at the submission time', () => {
    const { type: _type, ...data } = submitCommand;
    const state = given().when(submitCommand, { actor: A.reporter, at: T0 })
      .then([{ type: 'TicketSubmitted', data: { ...data, onBehalfOf: undefined, submittedAt: T0 } }]);
    expect(state).toMatchObject({ exists: true, revision: 0, status: 'submitted', reporter: { deviceId: A.reporter.id } });
    expect(state.sla.firstResponse).toEqual({ startedAt: T0, dueAt: FIRST_RESPONSE_DUE, announced: false, pausedMs: 0 });
    expect(state.sla.resolution).toEqual({ startedAt: T0, dueAt: RESOLUTION_DUE, announced: false, pausedMs: 0 });
  });

  it('records a proxy submission with both the officer and the person it is for', () => {
    const onBehalfOf = { name: '西街30号居民', contact: '' };
    const command = { ...submitCommand, channel: 'proxy', reporter: OFFICER_REPORTER, onBehalfOf };
    const { type: _type, ...data } = command;
    const state = given().when(command, { actor: A.informationOfficer, at: T0 }).then([{ type: 'TicketSubmitted', data: { ...data, submittedAt: T0 } }]);
    expect(state.onBehalfOf).toEqual(onBehalfOf);
    expect(state.reporter).toEqual({ deviceId: '', staffId: A.informationOfficer.id, unitId: TOWNSHIP });
  });

  it('keeps a sealed reporter as sealed: the reporter id and ciphertext in the state, no personal data (issue 14 item 6)', () => {
    const sealed = { ...OFFICER_REPORTER, name: '', phone: '', email: '', accountId: '', reporterId: '0190f3c4-0000-7000-8000-00000000000a', sealed: 'v1.AAAA' };
    const command = { ...submitCommand, channel: 'proxy', reporter: sealed, onBehalfOf: { name: '', contact: '' } };
    const { type: _type, ...data } = command;
    const state = given().when(command, { actor: A.informationOfficer, at: T0 }).then([{ type: 'TicketSubmitted', data: { ...data, submittedAt: T0 } }]);
    expect(state.reporter).toEqual({ deviceId: '', staffId: A.informationOfficer.id, unitId: TOWNSHIP, reporterId: sealed.reporterId, sealed: 'v1.AAAA' });
    expect(state.onBehalfOf).toEqual({ name: '', contact: '' });
  });

  it.each([
    [{ title: '' }, 'missing_title'],
    [{ title: '   ' }, 'missing_title'],
    // Nothing visible: a zero-width space, an ideographic space with one, bidi controls, a Hangul filler.
    [{ title: '\u200b' }, 'missing_title'],
    [{ title: '\u3000\u200b' }, 'missing_title'],
    [{ title: '\u2066\u202e\u2069' }, 'missing_title'],
    [{ description: '\ufeff\u3164\u200d' }, 'missing_description'],
    [{ title: '\u2800' }, 'missing_title'],
    [{ description: '' }, 'missing_description'],
    [{ title: '墙'.repeat(201) }, 'title_too_long'],
    [{ description: 'x'.repeat(4001) }, 'description_too_long'],
    [{ lat: 91 }, 'invalid_lat'],
    [{ lat: Number.NaN }, 'invalid_lat'],
    [{ long: -181 }, 'invalid_long'],
  ])('rejects malformed input %j as invalid %s', (patch, reason) => {
    given().when({ ...submitCommand, ...patch }, { actor: A.reporter, at: T0 }).thenRejects('invalid', reason);
  });

  it('takes a title of visible characters among invisible ones as given (an emoji sequence joined by ZWJ, Yi with a bidi mark)', () => {
    for (const title of ['👨\u200d👩\u200d👧', '\u200fꆈꌠ']) {
      given().when({ ...submitCommand, title }, { actor: A.reporter, at: T0 }).then([expect.objectContaining({ type: 'TicketSubmitted' })]);
    }
  });

  it('counts the title length in code points, not UTF-16 units', () => {
    given().when({ ...submitCommand, title: '𠀀'.repeat(200) }, { actor: A.reporter, at: T0 }).then([expect.objectContaining({ type: 'TicketSubmitted' })]);
  });

  it('may not be filed by department staff or auditors', () => {
    given().when(submitCommand, { actor: A.department, at: T0 }).thenRejects('forbidden', 'role_not_allowed');
    given().when(submitCommand, { actor: A.auditor, at: T0 }).thenRejects('forbidden', 'read_only_role');
  });

  it('is refused for a ticket that already exists', () => {
    given(...SUBMITTED).when(submitCommand, { actor: A.reporter, at: t(1) }).thenRejects('precondition', 'already_exists');
  });

  it('is the only command accepted before the ticket exists', () => {
    given().when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: T0 }).thenRejects('not_found', 'ticket_not_found');
  });
});

describe('RouteTicket (routing service)', () => {
  const route: TicketCommand = { type: 'RouteTicket', unitId: TOWNSHIP, division: '513437100', suggestedDepartment: 'housing-construction' };

  it('assigns the administration unit of the division, which now holds the ticket', () => {
    const state = given(...SUBMITTED).when(route, { actor: A.routing, at: t(5) })
      .then([{ type: 'TicketRouted', data: { unitId: TOWNSHIP, division: '513437100', suggestedDepartment: 'housing-construction', reason: 'submitted' } }]);
    expect(state).toMatchObject({ status: 'routed', routedUnitId: TOWNSHIP, holderUnitId: TOWNSHIP, suggestedDepartment: 'housing-construction' });
    expect(state.firstResponder).toBeUndefined();
  });

  it('is idempotent: routing a routed ticket again records nothing', () => {
    given(...ROUTED).when(route, { actor: A.routing, at: t(6) }).then([]);
  });

  it('is internal: staff may not route', () => {
    given(...SUBMITTED).when(route, { actor: A.countySupervisor, at: t(5) }).thenRejects('forbidden', 'role_not_allowed');
  });
});

describe('AcceptTicket', () => {
  it('by an admin of the holding unit fixes the first responder (person and unit)', () => {
    const state = given(...ROUTED).when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: t(45) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.townshipAdmin.id, unitId: TOWNSHIP, firstResponder: true } }]);
    expect(state.status).toBe('in_progress');
    expect(state.firstResponder).toEqual(TOWNSHIP_FIRST_RESPONDER);
  });

  it('is refused before the ticket is routed (not_routed)', () => {
    given(...SUBMITTED).when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: t(1) }).thenRejects('precondition', 'not_routed');
  });

  it('by a unit that does not hold the ticket is forbidden (not_holder)', () => {
    given(...ROUTED).when({ type: 'AcceptTicket' }, { actor: A.otherTownshipAdmin, at: t(45) }).thenRejects('forbidden', 'not_holder');
    given(...ROUTED).when({ type: 'AcceptTicket' }, { actor: A.countyAdmin, at: t(45) }).thenRejects('forbidden', 'not_holder');
  });

  it('is needed once per holder', () => {
    given(...ACCEPTED).when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: t(50) }).thenRejects('precondition', 'already_accepted');
  });

  it('by a later holder does not change the first responder (only the first accept fixes it)', () => {
    const state = given(...ACCEPTED, ev.escalated(th(2))).when({ type: 'AcceptTicket' }, { actor: A.countyAdmin, at: th(3) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.countyAdmin.id, unitId: COUNTY, firstResponder: false } }]);
    expect(state.firstResponder).toEqual(TOWNSHIP_FIRST_RESPONDER);
    expect(state.acceptedUnitIds).toEqual([TOWNSHIP, COUNTY]);
  });

  it('after a reassignment without a staff member: the new unit accepts, the first responder stays', () => {
    const state = given(...ACCEPTED, ev.reassigned(th(2), COUNTY)).when({ type: 'AcceptTicket' }, { actor: A.countyAdmin, at: th(3) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.countyAdmin.id, unitId: COUNTY, firstResponder: false } }]);
    expect(state.firstResponder).toEqual(TOWNSHIP_FIRST_RESPONDER);
  });

  it('is the sign-for (签收) of the department holding it after a transfer; it does not change the first responder', () => {
    const state = given(...TRANSFERRED).when({ type: 'AcceptTicket' }, { actor: A.department, at: th(1) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.department.id, unitId: DEPARTMENT, firstResponder: false } }]);
    expect(state.firstResponder).toEqual(TOWNSHIP_FIRST_RESPONDER);
    expect(state.acceptedUnitIds).toEqual([TOWNSHIP, DEPARTMENT]);
  });

  it('may not be done by a supervisor or the reporter', () => {
    given(...ROUTED).when({ type: 'AcceptTicket' }, { actor: A.countySupervisor, at: th(1) }).thenRejects('forbidden', 'not_holder');
    given(...ROUTED).when({ type: 'AcceptTicket' }, { actor: A.reporter, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
  });
});

describe('ReplyToTicket', () => {
  const reply = (isPublic: boolean): TicketCommand => ({ type: 'ReplyToTicket', message: '已收到', public: isPublic });

  it('a public reply is recorded and stops the first-response leg', () => {
    const state = given(...ACCEPTED).when(reply(true), { actor: A.townshipAdmin, at: t(50) })
      .then([{ type: 'TicketReplied', data: { message: '已收到', public: true, staffId: A.townshipAdmin.id, unitId: TOWNSHIP } }]);
    expect(state.sla.firstResponse?.stoppedAt).toBe(t(50));
    expect(state.lastPublicReplyAt).toBe(t(50));
    expect(state.sla.resolution?.stoppedAt).toBeUndefined();
  });

  it('an internal reply does not stop the first-response leg', () => {
    const state = given(...ACCEPTED).when(reply(false), { actor: A.townshipAdmin, at: t(50) })
      .then([{ type: 'TicketReplied', data: { message: '已收到', public: false, staffId: A.townshipAdmin.id, unitId: TOWNSHIP } }]);
    expect(state.sla.firstResponse?.stoppedAt).toBeUndefined();
    expect(state.lastPublicReplyAt).toBeUndefined();
  });

  it('the first public reply stops the leg, whoever speaks last afterwards', () => {
    const state = given(...ACCEPTED, ev.replied(t(50), true)).when(reply(true), { actor: A.townshipAdmin, at: th(30) })
      .then([expect.objectContaining({ type: 'TicketReplied' })]);
    expect(state.sla.firstResponse?.stoppedAt).toBe(t(50));
    expect(state.lastPublicReplyAt).toBe(th(30));
  });

  it('may be given before accepting (the holder answers at once)', () => {
    const state = given(...ROUTED).when(reply(true), { actor: A.townshipAdmin, at: t(10) }).then([expect.objectContaining({ type: 'TicketReplied' })]);
    expect(state.status).toBe('routed');
  });

  it('by the department holding the ticket counts as the first response', () => {
    const state = given(...TRANSFERRED).when(reply(true), { actor: A.department, at: th(2) })
      .then([{ type: 'TicketReplied', data: { message: '已收到', public: true, staffId: A.department.id, unitId: DEPARTMENT } }]);
    expect(state.sla.firstResponse?.stoppedAt).toBe(th(2));
  });

  it('the first responder\'s unit may still reply while a department holds the ticket', () => {
    given(...TRANSFERRED).when(reply(true), { actor: A.townshipAdmin, at: th(2) }).then([expect.objectContaining({ type: 'TicketReplied' })]);
  });

  it('to a ticket not yet routed is refused (not_routed)', () => {
    given(...SUBMITTED).when(reply(true), { actor: A.townshipAdmin, at: t(1) }).thenRejects('precondition', 'not_routed');
  });

  it('by another unit is forbidden (not_holder); by an auditor too (read_only_role)', () => {
    given(...ACCEPTED).when(reply(true), { actor: A.otherTownshipAdmin, at: th(1) }).thenRejects('forbidden', 'not_holder');
    given(...ACCEPTED).when(reply(true), { actor: A.auditor, at: th(1) }).thenRejects('forbidden', 'read_only_role');
    given(...SUBMITTED).when(reply(true), { actor: A.auditor, at: th(1) }).thenRejects('forbidden', 'read_only_role');
  });

  it('needs a message, and is refused on a final ticket', () => {
    given(...ACCEPTED).when({ type: 'ReplyToTicket', message: ' ', public: true }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_message');
    given(...RESOLVED, ev.closed(th(21))).when(reply(true), { actor: A.townshipAdmin, at: th(22) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('AddInternalNote', () => {
  const note: TicketCommand = { type: 'AddInternalNote', text: '已电话联系县规建局' };

  it('is recorded without changing the status or any leg', () => {
    const before = given(...ACCEPTED);
    const state = before.when(note, { actor: A.townshipAdmin, at: th(1) })
      .then([{ type: 'InternalNoteAdded', data: { text: '已电话联系县规建局', staffId: A.townshipAdmin.id, unitId: TOWNSHIP } }]);
    expect({ ...state, revision: before.state.revision, updatedAt: before.state.updatedAt }).toEqual(before.state);
  });

  it('may be added by a supervisor of the ticket\'s division, also to a closed ticket', () => {
    given(...RESOLVED, ev.closed(th(21))).when(note, { actor: A.countySupervisor, at: th(22) }).then([expect.objectContaining({ type: 'InternalNoteAdded' })]);
    given(...ACCEPTED).when(note, { actor: A.prefectureSupervisor, at: th(1) }).then([expect.objectContaining({ type: 'InternalNoteAdded' })]);
  });

  it('is refused to a supervisor outside the jurisdiction, to the reporter and to other units', () => {
    given(...ACCEPTED).when(note, { actor: A.otherCountySupervisor, at: th(1) }).thenRejects('forbidden', 'outside_jurisdiction');
    given(...ACCEPTED).when(note, { actor: A.reporter, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
    given(...ACCEPTED).when(note, { actor: A.otherTownshipAdmin, at: th(1) }).thenRejects('forbidden', 'not_holder');
  });

  it('needs text', () => {
    given(...ACCEPTED).when({ type: 'AddInternalNote', text: '' }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_text');
  });
});

describe('TransferTicket', () => {
  const transfer = (toUnitId = DEPARTMENT, reason = '危墙拆除需规建部门现场处置'): TicketCommand =>
    ({ type: 'TransferTicket', toUnitId, department: toUnitId.split('-').slice(2).join('-'), reason });

  it('moves the work to a department; the first responder is unchanged', () => {
    const state = given(...ACCEPTED).when(transfer(), { actor: A.townshipAdmin, at: t(55) }).then([
      { type: 'TicketTransferred', data: { fromUnitId: TOWNSHIP, toUnitId: DEPARTMENT, department: 'housing-construction', reason: '危墙拆除需规建部门现场处置' } },
    ]);
    expect(state).toMatchObject({ status: 'in_progress', holderUnitId: DEPARTMENT, transferredFromUnitId: TOWNSHIP, firstResponder: TOWNSHIP_FIRST_RESPONDER });
  });

  it('keeps the running legs (the citizen\'s wait does not restart)', () => {
    const before = given(...ACCEPTED);
    const state = before.when(transfer(), { actor: A.townshipAdmin, at: t(55) }).then([expect.objectContaining({ type: 'TicketTransferred' })]);
    expect(state.sla).toEqual(before.state.sla);
  });

  it('requires a reason and a target', () => {
    given(...ACCEPTED).when(transfer(DEPARTMENT, ''), { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_reason');
    given(...ACCEPTED).when(transfer('', '原因'), { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_target');
    given(...TRANSFERRED).when(transfer(DEPARTMENT), { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'same_unit');
  });

  it('needs the ticket accepted first', () => {
    given(...ROUTED).when(transfer(), { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'invalid_status');
    given(...SUBMITTED).when(transfer(), { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'not_routed');
  });

  it('may not be passed on by the department, nor done by another unit', () => {
    given(...TRANSFERRED).when(transfer(OTHER_DEPARTMENT), { actor: A.department, at: th(1) }).thenRejects('forbidden', 'not_holder');
    given(...ACCEPTED).when(transfer(), { actor: A.otherTownshipAdmin, at: th(1) }).thenRejects('forbidden', 'not_holder');
  });

  it('re-transfer by the first responder\'s unit: the hand-back still returns to that unit', () => {
    const state = given(...TRANSFERRED).when(transfer(OTHER_DEPARTMENT), { actor: A.townshipAdmin, at: th(2) })
      .then([{ type: 'TicketTransferred', data: { fromUnitId: DEPARTMENT, toUnitId: OTHER_DEPARTMENT, department: 'transport', reason: '危墙拆除需规建部门现场处置' } }]);
    expect(state.holderUnitId).toBe(OTHER_DEPARTMENT);
    expect(state.transferredFromUnitId).toBe(TOWNSHIP);
    given(...TRANSFERRED, ev.transferred(th(2), DEPARTMENT, OTHER_DEPARTMENT))
      .when({ type: 'HandBackTicket', findings: '已处置' }, { actor: A.otherDepartment, at: th(3) })
      .then([{ type: 'TicketHandedBack', data: { fromUnitId: OTHER_DEPARTMENT, toUnitId: TOWNSHIP, findings: '已处置' } }]);
  });

  it('pulling the work back to the unit that transferred it leaves nothing to hand back', () => {
    const state = given(...TRANSFERRED).when(transfer(TOWNSHIP), { actor: A.townshipAdmin, at: th(2) })
      .then([expect.objectContaining({ type: 'TicketTransferred' })]);
    expect(state).toMatchObject({ holderUnitId: TOWNSHIP, transferredFromUnitId: '' });
  });
});

describe('HandBackTicket', () => {
  const handBack: TicketCommand = { type: 'HandBackTicket', findings: '已会同锦城镇将危墙拆除' };

  it('returns the work, with findings, to the unit that transferred it; the first responder is unchanged', () => {
    const state = given(...TRANSFERRED).when(handBack, { actor: A.department, at: th(30) })
      .then([{ type: 'TicketHandedBack', data: { fromUnitId: DEPARTMENT, toUnitId: TOWNSHIP, findings: '已会同锦城镇将危墙拆除' } }]);
    expect(state).toMatchObject({ status: 'in_progress', holderUnitId: TOWNSHIP, transferredFromUnitId: '', firstResponder: TOWNSHIP_FIRST_RESPONDER });
  });

  it('requires findings', () => {
    given(...TRANSFERRED).when({ type: 'HandBackTicket', findings: '' }, { actor: A.department, at: th(30) }).thenRejects('invalid', 'missing_findings');
  });

  it('only by the department holding it', () => {
    given(...TRANSFERRED).when(handBack, { actor: A.townshipAdmin, at: th(30) }).thenRejects('forbidden', 'not_holder');
    given(...TRANSFERRED).when(handBack, { actor: A.otherDepartment, at: th(30) }).thenRejects('forbidden', 'not_holder');
  });

  it('is refused when the department got the ticket by reassignment rather than a transfer', () => {
    given(...ACCEPTED, ev.reassigned(th(1), DEPARTMENT)).when(handBack, { actor: A.department, at: th(2) }).thenRejects('precondition', 'not_transferred');
  });

  it('is refused once resolved', () => {
    given(...TRANSFERRED, ev.resolved(th(5), A.department)).when(handBack, { actor: A.department, at: th(6) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('RequestInformation / AddInformation', () => {
  const ask: TicketCommand = { type: 'RequestInformation', question: '围墙的具体位置？' };
  const answer = (channel = 'app'): TicketCommand => ({ type: 'AddInformation', text: '西街30号后院', channel });

  it('a request waits on the reporter and pauses the resolution leg (not the first-response leg)', () => {
    const state = given(...ACCEPTED).when(ask, { actor: A.townshipAdmin, at: th(2) })
      .then([{ type: 'InformationRequested', data: { question: '围墙的具体位置？', staffId: A.townshipAdmin.id, unitId: TOWNSHIP } }]);
    expect(state.status).toBe('awaiting_information');
    expect(state.sla.resolution).toMatchObject({ pausedAt: th(2), dueAt: RESOLUTION_DUE });
    expect(state.sla.firstResponse?.pausedAt).toBeUndefined();
  });

  it('the reporter\'s answer (any channel) resumes the leg; the due time moves later by the paused interval', () => {
    const state = given(...ACCEPTED, ev.informationRequested(th(2))).when(answer('phone'), { actor: A.reporter, at: th(12) })
      .then([{ type: 'InformationAdded', data: { text: '西街30号后院', channel: 'phone' } }]);
    expect(state.status).toBe('in_progress');
    expect(state.sla.resolution).toEqual({ startedAt: T0, dueAt: th(72 + 10), announced: false, pausedMs: 10 * HOUR });
  });

  it('two pauses add up', () => {
    const state = given(...ACCEPTED, ev.informationRequested(th(2)), ev.informationAdded(th(5)), ev.informationRequested(th(10)))
      .when(answer(), { actor: A.reporter, at: th(14) }).then([expect.objectContaining({ type: 'InformationAdded' })]);
    expect(state.sla.resolution).toMatchObject({ dueAt: th(72 + 3 + 4), pausedMs: 7 * HOUR });
  });

  it('the proxy officer who submitted answers for the person reported for', () => {
    given(ev.submitted(T0, OFFICER_REPORTER, A.informationOfficer), ev.routed(t(5)), ev.accepted(t(45)), ev.informationRequested(th(2)))
      .when(answer('proxy'), { actor: A.informationOfficer, at: th(3) }).then([expect.objectContaining({ type: 'InformationAdded' })]);
  });

  it('information added without a request is recorded and shifts nothing', () => {
    const before = given(...ACCEPTED);
    const state = before.when(answer(), { actor: A.reporter, at: th(3) }).then([expect.objectContaining({ type: 'InformationAdded' })]);
    expect(state.status).toBe('in_progress');
    expect(state.sla).toEqual(before.state.sla);
    given(...SUBMITTED).when(answer(), { actor: A.reporter, at: t(2) }).then([expect.objectContaining({ type: 'InformationAdded' })]);
  });

  it('only the reporter adds information, and not to a final ticket', () => {
    given(...ACCEPTED, ev.informationRequested(th(2))).when(answer(), { actor: A.otherCitizen, at: th(3) }).thenRejects('forbidden', 'not_reporter');
    given(...ACCEPTED, ev.informationRequested(th(2))).when(answer(), { actor: A.townshipAdmin, at: th(3) }).thenRejects('forbidden', 'not_reporter');
    given(...RESOLVED, ev.closed(th(21))).when(answer(), { actor: A.reporter, at: th(22) }).thenRejects('precondition', 'invalid_status');
    given(...ACCEPTED).when({ type: 'AddInformation', text: '', channel: 'app' }, { actor: A.reporter, at: th(3) }).thenRejects('invalid', 'missing_text');
  });

  it('a request needs a question, an accepted ticket, and no pending request', () => {
    given(...ACCEPTED).when({ type: 'RequestInformation', question: '' }, { actor: A.townshipAdmin, at: th(2) }).thenRejects('invalid', 'missing_question');
    given(...ROUTED).when(ask, { actor: A.townshipAdmin, at: th(2) }).thenRejects('precondition', 'invalid_status');
    given(...SUBMITTED).when(ask, { actor: A.townshipAdmin, at: th(2) }).thenRejects('precondition', 'not_routed');
    given(...ACCEPTED, ev.informationRequested(th(2))).when(ask, { actor: A.townshipAdmin, at: th(3) }).thenRejects('precondition', 'invalid_status');
    given(...ACCEPTED).when(ask, { actor: A.otherTownshipAdmin, at: th(2) }).thenRejects('forbidden', 'not_holder');
  });

  it('the department holding the ticket may ask', () => {
    given(...TRANSFERRED).when(ask, { actor: A.department, at: th(2) }).then([expect.objectContaining({ type: 'InformationRequested' })]);
  });
});

describe('SetResolutionDeadline', () => {
  const setDeadline = (dueAt: string, reason = '修建垃圾池需要选址和施工，三天内无法完成'): TicketCommand => ({ type: 'SetResolutionDeadline', dueAt, reason });

  it('announces a deadline that replaces the resolution due time (seed case 3: 2015-06-30T18:00+08:00)', () => {
    const at = t(9 * 60 + 20);
    const state = given(...ACCEPTED).when(setDeadline('2015-06-30T18:00:00+08:00'), { actor: A.townshipAdmin, at }).then([
      { type: 'ResolutionDeadlineSet', data: { dueAt: '2015-06-30T10:00:00.000Z', reason: '修建垃圾池需要选址和施工，三天内无法完成', previousDueAt: RESOLUTION_DUE } },
    ]);
    expect(state.sla.resolution).toMatchObject({ dueAt: '2015-06-30T10:00:00.000Z', announced: true });
    expect(state.extendedMs).toBe(Date.parse('2015-06-30T10:00:00.000Z') - Date.parse(RESOLUTION_DUE));
  });

  it('a deadline in the past (or now) is invalid (deadline_in_past)', () => {
    given(...ACCEPTED).when(setDeadline(th(1)), { actor: A.townshipAdmin, at: th(2) }).thenRejects('invalid', 'deadline_in_past');
    given(...ACCEPTED).when(setDeadline(th(2)), { actor: A.townshipAdmin, at: th(2) }).thenRejects('invalid', 'deadline_in_past');
  });

  it('a malformed instant or a missing reason is invalid', () => {
    given(...ACCEPTED).when(setDeadline('next week'), { actor: A.townshipAdmin, at: th(2) }).thenRejects('invalid', 'invalid_due_at');
    given(...ACCEPTED).when(setDeadline(th(100), ''), { actor: A.townshipAdmin, at: th(2) }).thenRejects('invalid', 'missing_reason');
  });

  it('after the current due time it is too late (deadline_passed)', () => {
    given(...ACCEPTED).when(setDeadline(th(200)), { actor: A.townshipAdmin, at: th(72) }).thenRejects('precondition', 'deadline_passed');
    given(...ACCEPTED, ev.deadlineSet(th(10), th(100), RESOLUTION_DUE)).when(setDeadline(th(200)), { actor: A.townshipAdmin, at: th(101) })
      .thenRejects('precondition', 'deadline_passed');
  });

  it('an announced deadline can be extended again before it is due', () => {
    const state = given(...ACCEPTED, ev.deadlineSet(th(10), th(100), RESOLUTION_DUE)).when(setDeadline(th(150)), { actor: A.townshipAdmin, at: th(99) })
      .then([{ type: 'ResolutionDeadlineSet', data: { dueAt: th(150), reason: '修建垃圾池需要选址和施工，三天内无法完成', previousDueAt: th(100) } }]);
    expect(state.extendedMs).toBe((150 - 72) * HOUR);
  });

  it('extensions are capped in total; an earlier deadline does not count', () => {
    const settings = { ...DEFAULT_WORKFLOW_SETTINGS, maxExtensionHours: 48 };
    given(...ACCEPTED).when(setDeadline(th(72 + 49)), { actor: A.townshipAdmin, at: th(1), settings }).thenRejects('precondition', 'extension_cap_exceeded');
    given(...ACCEPTED).when(setDeadline(th(72 + 48)), { actor: A.townshipAdmin, at: th(1), settings }).then([expect.objectContaining({ type: 'ResolutionDeadlineSet' })]);
    given(...ACCEPTED, ev.deadlineSet(th(1), th(72 + 30), RESOLUTION_DUE))
      .when(setDeadline(th(72 + 49)), { actor: A.townshipAdmin, at: th(2), settings }).thenRejects('precondition', 'extension_cap_exceeded');
    const shorter = given(...ACCEPTED).when(setDeadline(th(48)), { actor: A.townshipAdmin, at: th(1), settings }).then([expect.objectContaining({ type: 'ResolutionDeadlineSet' })]);
    expect(shorter.extendedMs).toBe(0);
    given(...ACCEPTED).when(setDeadline(th(72 + 90 * 24 + 1)), { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'extension_cap_exceeded');
  });

  it('while paused the stale due time does not count as passed, and the pause before the announcement does not move it', () => {
    const paused = [...ACCEPTED, ev.informationRequested(th(2))];
    const state = given(...paused).when(setDeadline(th(200)), { actor: A.townshipAdmin, at: th(80) })
      .then([expect.objectContaining({ type: 'ResolutionDeadlineSet' })]);
    expect(state.status).toBe('awaiting_information');
    // The reporter answers 10 h after the announcement: the announced deadline moves by those 10 h only.
    const resumed = given(...paused, ev.deadlineSet(th(80), th(200), RESOLUTION_DUE))
      .when({ type: 'AddInformation', text: '后院', channel: 'app' }, { actor: A.reporter, at: th(90) })
      .then([expect.objectContaining({ type: 'InformationAdded' })]);
    expect(resumed.sla.resolution).toMatchObject({ dueAt: th(210), announced: true, pausedMs: 88 * HOUR });
    expect(resumed.sla.resolution?.pausedAt).toBeUndefined();
  });

  it('needs a routed, open ticket and the holder or the first responder\'s unit', () => {
    given(...SUBMITTED).when(setDeadline(th(100)), { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'not_routed');
    given(...RESOLVED).when(setDeadline(th(100)), { actor: A.townshipAdmin, at: th(21) }).thenRejects('precondition', 'invalid_status');
    given(...ACCEPTED).when(setDeadline(th(100)), { actor: A.otherTownshipAdmin, at: th(1) }).thenRejects('forbidden', 'not_holder');
    given(...TRANSFERRED).when(setDeadline(th(100)), { actor: A.department, at: th(1) }).then([expect.objectContaining({ type: 'ResolutionDeadlineSet' })]);
  });
});

describe('ResolveTicket', () => {
  const resolve: TicketCommand = { type: 'ResolveTicket', resolution: '危墙已拆除，安全隐患解除。' };

  it('resolves and stops the resolution leg', () => {
    const state = given(...ACCEPTED).when(resolve, { actor: A.townshipAdmin, at: th(20) })
      .then([{ type: 'TicketResolved', data: { resolution: '危墙已拆除，安全隐患解除。', staffId: A.townshipAdmin.id, unitId: TOWNSHIP, callbackDueAt: expect.any(String), callbackBy: 'first-responder' } }]);
    expect(state).toMatchObject({ status: 'resolved', resolvedAt: th(20) });
    expect(state.sla.resolution?.stoppedAt).toBe(th(20));
  });

  it('twice is refused (already_resolved)', () => {
    given(...RESOLVED).when(resolve, { actor: A.townshipAdmin, at: th(21) }).thenRejects('precondition', 'already_resolved');
  });

  it('needs a routed, accepted ticket and a resolution text', () => {
    given(...SUBMITTED).when(resolve, { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'not_routed');
    given(...ROUTED).when(resolve, { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'not_accepted');
    given(...ACCEPTED).when({ type: 'ResolveTicket', resolution: '' }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_resolution');
  });

  it('while waiting on the reporter: ends the pause and stops the leg', () => {
    const state = given(...ACCEPTED, ev.informationRequested(th(2))).when(resolve, { actor: A.townshipAdmin, at: th(5) })
      .then([expect.objectContaining({ type: 'TicketResolved' })]);
    expect(state.sla.resolution).toMatchObject({ stoppedAt: th(5), pausedMs: 3 * HOUR });
    expect(state.sla.resolution?.pausedAt).toBeUndefined();
  });

  it('by the department holding it, or by the first responder\'s unit; not by others', () => {
    given(...TRANSFERRED).when(resolve, { actor: A.department, at: th(5) }).then([expect.objectContaining({ type: 'TicketResolved' })]);
    given(...TRANSFERRED).when(resolve, { actor: A.townshipAdmin, at: th(5) }).then([expect.objectContaining({ type: 'TicketResolved' })]);
    given(...ACCEPTED).when(resolve, { actor: A.otherTownshipAdmin, at: th(5) }).thenRejects('forbidden', 'not_holder');
    given(...ACCEPTED).when(resolve, { actor: A.auditor, at: th(5) }).thenRejects('forbidden', 'read_only_role');
  });

  it('a final ticket cannot be resolved', () => {
    given(...ACCEPTED, ev.rejected(th(1))).when(resolve, { actor: A.townshipAdmin, at: th(2) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('VerifyResolution', () => {
  const verify = (method: string): TicketCommand => ({ type: 'VerifyResolution', method, note: '暗访，票价正常' });

  it.each(['visit', 'call', 'unannounced-visit'])('records a verification by %s', (method) => {
    const state = given(...RESOLVED).when(verify(method), { actor: A.townshipAdmin, at: th(21) })
      .then([{ type: 'ResolutionVerified', data: { method, note: '暗访，票价正常', staffId: A.townshipAdmin.id, unitId: TOWNSHIP } }]);
    expect(state).toMatchObject({ status: 'resolved', verifications: 1 });
  });

  it('allows several verifications, also before the resolution is recorded (seed case 2)', () => {
    const state = given(...TRANSFERRED, ev.handedBack(th(30)), envelope({ type: 'ResolutionVerified', data: { method: 'unannounced-visit', note: '第一次', staffId: A.townshipAdmin.id, unitId: TOWNSHIP } }, th(31), A.townshipAdmin))
      .when(verify('unannounced-visit'), { actor: A.townshipAdmin, at: th(49) }).then([expect.objectContaining({ type: 'ResolutionVerified' })]);
    expect(state).toMatchObject({ status: 'in_progress', verifications: 2 });
  });

  it('rejects an unknown method', () => {
    given(...RESOLVED).when(verify('phone'), { actor: A.townshipAdmin, at: th(21) }).thenRejects('invalid', 'invalid_method');
    given(...RESOLVED).when(verify(''), { actor: A.townshipAdmin, at: th(21) }).thenRejects('invalid', 'invalid_method');
  });

  it('by the first responder\'s admin or a supervisor; not by department staff or the reporter', () => {
    given(...RESOLVED).when(verify('call'), { actor: A.countySupervisor, at: th(21) }).then([expect.objectContaining({ type: 'ResolutionVerified' })]);
    given(...TRANSFERRED, ev.resolved(th(5), A.department)).when(verify('call'), { actor: A.department, at: th(6) }).thenRejects('forbidden', 'not_holder');
    given(...RESOLVED).when(verify('call'), { actor: A.reporter, at: th(21) }).thenRejects('forbidden', 'role_not_allowed');
  });

  it('not on a routed or closed ticket', () => {
    given(...ROUTED).when(verify('call'), { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'invalid_status');
    given(...RESOLVED, ev.closed(th(21))).when(verify('call'), { actor: A.townshipAdmin, at: th(22) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('CloseTicket', () => {
  const close: TicketCommand = { type: 'CloseTicket', reason: '' };
  const WINDOW_END = th(20 + 7 * 24);

  it('the reporter confirms the resolution', () => {
    const state = given(...RESOLVED).when(close, { actor: A.reporter, at: th(22) }).then([{ type: 'TicketClosed', data: { reason: '', closedBy: 'reporter' } }]);
    expect(state).toMatchObject({ status: 'closed', closedAt: th(22) });
  });

  it('the proxy officer who submitted counts as the reporter', () => {
    given(ev.submitted(T0, OFFICER_REPORTER, A.informationOfficer), ev.routed(t(5)), ev.accepted(t(45)), ev.resolved(th(20)))
      .when(close, { actor: A.informationOfficer, at: th(22) }).then([{ type: 'TicketClosed', data: { reason: '', closedBy: 'reporter' } }]);
  });

  it('staff of the holding unit may close, recorded as staff', () => {
    given(...RESOLVED).when({ type: 'CloseTicket', reason: '居民电话确认' }, { actor: A.townshipAdmin, at: th(22) })
      .then([{ type: 'TicketClosed', data: { reason: '居民电话确认', closedBy: 'staff' } }]);
  });

  it('closes automatically only once the objection window has passed', () => {
    given(...RESOLVED).when(close, { actor: A.deadline, at: th(20 + 7 * 24 - 1) }).thenRejects('precondition', 'objection_window_open');
    given(...RESOLVED).when(close, { actor: A.deadline, at: WINDOW_END }).then([{ type: 'TicketClosed', data: { reason: '', closedBy: 'automatic' } }]);
    const settings = { ...DEFAULT_WORKFLOW_SETTINGS, autoCloseDays: 2 };
    given(...RESOLVED).when(close, { actor: A.deadline, at: th(20 + 48) , settings }).then([expect.objectContaining({ type: 'TicketClosed' })]);
  });

  it('only a resolved ticket can be closed; a closed one stays closed', () => {
    given(...ACCEPTED).when(close, { actor: A.reporter, at: th(2) }).thenRejects('precondition', 'not_resolved');
    given(...RESOLVED, ev.closed(th(21))).when(close, { actor: A.reporter, at: th(22) }).thenRejects('precondition', 'not_resolved');
  });

  it('not by others', () => {
    given(...RESOLVED).when(close, { actor: A.otherCitizen, at: th(22) }).thenRejects('forbidden', 'role_not_allowed');
    given(...RESOLVED).when(close, { actor: A.otherTownshipAdmin, at: th(22) }).thenRejects('forbidden', 'not_holder');
    given(...RESOLVED).when(close, { actor: A.auditor, at: th(22) }).thenRejects('forbidden', 'read_only_role');
  });
});

describe('ReopenTicket', () => {
  const reopen: TicketCommand = { type: 'ReopenTicket', reason: '围墙又出现裂缝' };

  it('within the window: back to the first responder\'s unit, with a new resolution leg from the reopen time', () => {
    const at = th(20 + 5 * 24);
    const state = given(...RESOLVED, ev.breached(th(25), 'first_response', FIRST_RESPONSE_DUE)).when(reopen, { actor: A.reporter, at })
      .then([{ type: 'TicketReopened', data: { reason: '围墙又出现裂缝', unitId: TOWNSHIP } }]);
    expect(state).toMatchObject({ status: 'in_progress', holderUnitId: TOWNSHIP, firstResponder: TOWNSHIP_FIRST_RESPONDER });
    expect(state.sla.resolution).toEqual({ startedAt: at, dueAt: new Date(Date.parse(at) + 72 * HOUR).toISOString(), announced: false, pausedMs: 0 });
  });

  it('a ticket resolved by a department goes back to the first responder\'s unit, not the department', () => {
    const state = given(...TRANSFERRED, ev.resolved(th(20), A.department)).when(reopen, { actor: A.reporter, at: th(30) })
      .then([{ type: 'TicketReopened', data: { reason: '围墙又出现裂缝', unitId: TOWNSHIP } }]);
    expect(state).toMatchObject({ holderUnitId: TOWNSHIP, transferredFromUnitId: '' });
  });

  it('a reopened ticket whose old due date is long past is not instantly overdue', () => {
    const announced = [...ACCEPTED, ev.deadlineSet(th(1), th(30), RESOLUTION_DUE), ev.resolved(th(29))];
    const at = th(29 + 6 * 24);
    given(...announced, ev.reopened(at)).when({ type: 'RecordDeadlineBreach', leg: 'resolution', dueAt: th(30) }, { actor: A.deadline, at: th(29 + 6 * 24 + 1) }).then([]);
    const state = given(...announced).when(reopen, { actor: A.reporter, at }).then([expect.objectContaining({ type: 'TicketReopened' })]);
    expect(Date.parse(state.sla.resolution?.dueAt ?? '')).toBe(Date.parse(at) + 72 * HOUR);
    expect(state.sla.resolution?.announced).toBe(false);
  });

  it('after the window it is too late; the reason is required; only the reporter; only when resolved', () => {
    given(...RESOLVED).when(reopen, { actor: A.reporter, at: th(20 + 7 * 24) }).thenRejects('precondition', 'reopen_window_passed');
    given(...RESOLVED).when({ type: 'ReopenTicket', reason: '' }, { actor: A.reporter, at: th(21) }).thenRejects('invalid', 'missing_reason');
    given(...RESOLVED).when(reopen, { actor: A.otherCitizen, at: th(21) }).thenRejects('forbidden', 'not_reporter');
    given(...RESOLVED).when(reopen, { actor: A.townshipAdmin, at: th(21) }).thenRejects('forbidden', 'not_reporter');
    given(...ACCEPTED).when(reopen, { actor: A.reporter, at: th(21) }).thenRejects('precondition', 'not_resolved');
    given(...RESOLVED, ev.closed(th(21))).when(reopen, { actor: A.reporter, at: th(22) }).thenRejects('precondition', 'not_resolved');
  });

  it('after a reassignment that changed the first responder, goes back to the new first responder\'s unit', () => {
    given(...ACCEPTED, ev.reassigned(th(1), COUNTY, A.countyAdmin.id), ev.resolved(th(20), A.countyAdmin))
      .when(reopen, { actor: A.reporter, at: th(30) }).then([{ type: 'TicketReopened', data: { reason: '围墙又出现裂缝', unitId: COUNTY } }]);
  });
});

describe('RateTicket', () => {
  const rate = (score: number, comment = ''): TicketCommand => ({ type: 'RateTicket', score, comment });

  it('a score 1–5 with an optional comment, after resolution or closing', () => {
    const state = given(...RESOLVED).when(rate(5, '处理及时'), { actor: A.reporter, at: th(21) }).then([{ type: 'TicketRated', data: { score: 5, comment: '处理及时', level: 'very_satisfied' } }]);
    expect(state.rating).toEqual({ score: 5, comment: '处理及时', level: 'very_satisfied', at: th(21) });
    // A very dissatisfied rating of a closed ticket is recorded; only a resolved one goes back for rectification.
    given(...RESOLVED, ev.closed(th(21))).when(rate(1), { actor: A.reporter, at: th(22) }).then([{ type: 'TicketRated', data: { score: 1, comment: '', level: 'very_dissatisfied' } }]);
  });

  it.each([0, 6, 2.5, -1, Number.NaN])('score %p is invalid', (score) => {
    given(...RESOLVED).when(rate(score), { actor: A.reporter, at: th(21) }).thenRejects('invalid', 'score_out_of_range');
  });

  it('once', () => {
    given(...RESOLVED, ev.rated(th(21))).when(rate(3), { actor: A.reporter, at: th(22) }).thenRejects('precondition', 'already_rated');
  });

  it('only by the reporter and only once resolved', () => {
    given(...RESOLVED).when(rate(5), { actor: A.townshipAdmin, at: th(21) }).thenRejects('forbidden', 'not_reporter');
    given(...ACCEPTED).when(rate(5), { actor: A.reporter, at: th(2) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('AddAttachment', () => {
  const sha = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
  const attach = (n: number, extra: Partial<Extract<TicketCommand, { type: 'AddAttachment' }>> = {}): TicketCommand =>
    ({ type: 'AddAttachment', sha256: sha(n), contentType: 'image/jpeg', size: 120_000, ...extra });
  const attached = (n: number, at: string): TicketEventEnvelope =>
    envelope({ type: 'AttachmentAdded', data: { sha256: sha(n), contentType: 'image/jpeg', size: 120_000 } }, at, A.reporter);

  it('records the hash, type and size (and a shared location) by the reporter, from submission on', () => {
    const state = given(...SUBMITTED).when(attach(1, { lat: 27.9, long: 103.5 }), { actor: A.reporter, at: t(1) })
      .then([{ type: 'AttachmentAdded', data: { sha256: sha(1), contentType: 'image/jpeg', size: 120_000, lat: 27.9, long: 103.5 } }]);
    expect(state.attachments).toEqual([{ sha256: sha(1), contentType: 'image/jpeg', size: 120_000 }]);
  });

  it('by the handling units too (a photo of the resolution), also while resolved', () => {
    given(...ACCEPTED).when(attach(2), { actor: A.townshipAdmin, at: th(1) })
      .then([{ type: 'AttachmentAdded', data: { sha256: sha(2), contentType: 'image/jpeg', size: 120_000 } }]);
    given(...TRANSFERRED).when(attach(2), { actor: A.department, at: th(1) })
      .then([{ type: 'AttachmentAdded', data: { sha256: sha(2), contentType: 'image/jpeg', size: 120_000 } }]);
    given(...RESOLVED).when(attach(3), { actor: A.reporter, at: th(21) })
      .then([{ type: 'AttachmentAdded', data: { sha256: sha(3), contentType: 'image/jpeg', size: 120_000 } }]);
  });

  it('the same file twice is a no-op; a seventh file is refused', () => {
    given(...SUBMITTED, attached(1, t(1))).when(attach(1), { actor: A.reporter, at: t(2) }).then([]);
    const six = [1, 2, 3, 4, 5, 6].map((n) => attached(n, t(n)));
    given(...SUBMITTED, ...six).when(attach(7), { actor: A.reporter, at: t(9) }).thenRejects('precondition', 'too_many_attachments');
  });

  it('refuses a malformed hash, another type or a bad size; strangers; finished tickets', () => {
    given(...SUBMITTED).when(attach(1, { sha256: 'ABC' }), { actor: A.reporter, at: t(1) }).thenRejects('invalid', 'invalid_sha256');
    given(...SUBMITTED).when(attach(1, { contentType: 'image/gif' }), { actor: A.reporter, at: t(1) }).thenRejects('invalid', 'unsupported_media_type');
    given(...SUBMITTED).when(attach(1, { size: 0 }), { actor: A.reporter, at: t(1) }).thenRejects('invalid', 'invalid_size');
    given(...ACCEPTED).when(attach(1), { actor: A.otherCitizen, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
    given(...RESOLVED, ev.closed(th(21))).when(attach(1), { actor: A.reporter, at: th(22) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('RejectTicket', () => {
  it('with a category and a reason; final', () => {
    const state = given(...ROUTED).when({ type: 'RejectTicket', category: 'abusive', reason: '辱骂内容' }, { actor: A.townshipAdmin, at: t(30) })
      .then([{ type: 'TicketRejected', data: { category: 'abusive', reason: '辱骂内容' } }]);
    expect(state).toMatchObject({ status: 'rejected', closedAt: t(30) });
  });

  it('the category defaults to other; an unknown one or a missing reason is invalid', () => {
    given(...ACCEPTED).when({ type: 'RejectTicket', category: '', reason: '重复' }, { actor: A.townshipAdmin, at: th(1) })
      .then([{ type: 'TicketRejected', data: { category: 'other', reason: '重复' } }]);
    given(...ACCEPTED).when({ type: 'RejectTicket', category: 'boring', reason: 'x' }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'invalid_category');
    given(...ACCEPTED).when({ type: 'RejectTicket', category: 'other', reason: '' }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_reason');
  });

  it('by an admin of the holding or first responder\'s unit only; not once resolved', () => {
    given(...TRANSFERRED).when({ type: 'RejectTicket', category: 'other', reason: 'x' }, { actor: A.department, at: th(1) }).thenRejects('forbidden', 'not_holder');
    given(...RESOLVED).when({ type: 'RejectTicket', category: 'other', reason: 'x' }, { actor: A.townshipAdmin, at: th(21) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('MarkDuplicate', () => {
  const OTHER_TICKET = '01890000-0000-7000-8000-000000000002';

  it('marks the ticket as a duplicate of another; final', () => {
    const state = given(...ACCEPTED).when({ type: 'MarkDuplicate', ofTicketId: OTHER_TICKET }, { actor: A.townshipAdmin, at: th(1) })
      .then([{ type: 'TicketMarkedDuplicate', data: { ofTicketId: OTHER_TICKET } }]);
    expect(state).toMatchObject({ status: 'duplicate', duplicateOf: OTHER_TICKET });
  });

  it('of itself, or of nothing, is invalid', () => {
    given(...ACCEPTED).when({ type: 'MarkDuplicate', ofTicketId: SAMPLE_TICKET_ID }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'duplicate_of_itself');
    given(...ACCEPTED).when({ type: 'MarkDuplicate', ofTicketId: '' }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_of');
  });

  it('not once resolved', () => {
    given(...RESOLVED).when({ type: 'MarkDuplicate', ofTicketId: OTHER_TICKET }, { actor: A.townshipAdmin, at: th(21) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('WithdrawTicket', () => {
  const withdraw: TicketCommand = { type: 'WithdrawTicket', reason: '已自行解决' };

  it('by the reporter, before or after routing; final', () => {
    given(...SUBMITTED).when(withdraw, { actor: A.reporter, at: t(1) }).then([{ type: 'TicketWithdrawn', data: { reason: '已自行解决' } }]);
    const state = given(...ACCEPTED).when({ type: 'WithdrawTicket', reason: '' }, { actor: A.reporter, at: th(1) }).then([{ type: 'TicketWithdrawn', data: { reason: '' } }]);
    expect(state).toMatchObject({ status: 'withdrawn', closedAt: th(1) });
  });

  it('not by anyone else; not once resolved', () => {
    given(...ACCEPTED).when(withdraw, { actor: A.otherCitizen, at: th(1) }).thenRejects('forbidden', 'not_reporter');
    given(...ACCEPTED).when(withdraw, { actor: A.townshipAdmin, at: th(1) }).thenRejects('forbidden', 'not_reporter');
    given(...RESOLVED).when(withdraw, { actor: A.reporter, at: th(21) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('ReassignTicket (supervisor)', () => {
  const reassign = (toUnitId: string, toUnitDivision: string, toStaffId = '', reason = '由县里直接办理'): TicketCommand =>
    ({ type: 'ReassignTicket', toUnitId, toUnitDivision, toStaffId, reason });

  it('without a staff member: the holder changes, the first responder does not', () => {
    const state = given(...ACCEPTED).when(reassign(COUNTY, '513437'), { actor: A.countySupervisor, at: th(1) }).then([
      { type: 'TicketReassigned', data: { fromUnitId: TOWNSHIP, toUnitId: COUNTY, toStaffId: '', reason: '由县里直接办理', firstResponderChanged: false } },
    ]);
    expect(state).toMatchObject({ holderUnitId: COUNTY, firstResponder: TOWNSHIP_FIRST_RESPONDER });
  });

  it('with a staff member: changes the first responder (person and unit), visibly in the history', () => {
    const state = given(...ACCEPTED).when(reassign(COUNTY, '513437', A.countyAdmin.id), { actor: A.countySupervisor, at: th(1) }).then([
      { type: 'TicketReassigned', data: { fromUnitId: TOWNSHIP, toUnitId: COUNTY, toStaffId: A.countyAdmin.id, reason: '由县里直接办理', firstResponderChanged: true } },
    ]);
    expect(state.firstResponder).toEqual({ staffId: A.countyAdmin.id, unitId: COUNTY, since: th(1) });
    expect(state.holderUnitId).toBe(COUNTY);
  });

  it('the target must lie in the supervisor\'s jurisdiction; so must the ticket', () => {
    given(...ACCEPTED).when(reassign(OTHER_TOWNSHIP, '513434114'), { actor: A.countySupervisor, at: th(1) }).thenRejects('forbidden', 'outside_jurisdiction');
    given(...ACCEPTED).when(reassign(COUNTY, '513437'), { actor: A.otherCountySupervisor, at: th(1) }).thenRejects('forbidden', 'outside_jurisdiction');
    given(...ACCEPTED).when(reassign(OTHER_TOWNSHIP, '513434114'), { actor: A.prefectureSupervisor, at: th(1) }).then([expect.objectContaining({ type: 'TicketReassigned' })]);
  });

  it('requires a reason and a unit; only supervisors; not before routing nor when final', () => {
    given(...ACCEPTED).when(reassign(COUNTY, '513437', '', ''), { actor: A.countySupervisor, at: th(1) }).thenRejects('invalid', 'missing_reason');
    given(...ACCEPTED).when(reassign('', '513437'), { actor: A.countySupervisor, at: th(1) }).thenRejects('invalid', 'missing_unit');
    given(...ACCEPTED).when(reassign(COUNTY, '513437'), { actor: A.countyAdmin, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
    given(...ACCEPTED).when(reassign(COUNTY, '513437'), { actor: A.townshipAdmin, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
    given(...SUBMITTED).when(reassign(COUNTY, '513437'), { actor: A.countySupervisor, at: th(1) }).thenRejects('precondition', 'not_routed');
    given(...RESOLVED, ev.closed(th(21))).when(reassign(COUNTY, '513437'), { actor: A.countySupervisor, at: th(22) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('EscalateTicket', () => {
  const escalate = (toUnitId: string, automatic = false): TicketCommand => ({ type: 'EscalateTicket', toUnitId, reason: '超时未回复，督办', automatic });

  it('by a supervisor: one level up; the holder changes, the first responder does not', () => {
    const state = given(...ACCEPTED).when(escalate(COUNTY), { actor: A.countySupervisor, at: th(2) }).then([
      { type: 'TicketEscalated', data: { fromUnitId: TOWNSHIP, toUnitId: COUNTY, reason: '超时未回复，督办', level: 1, automatic: false } },
    ]);
    expect(state).toMatchObject({ holderUnitId: COUNTY, firstResponder: TOWNSHIP_FIRST_RESPONDER, status: 'in_progress' });
    expect(state.escalations).toEqual([{ fromUnitId: TOWNSHIP, toUnitId: COUNTY, level: 1, automatic: false, at: th(2), reason: '超时未回复，督办' }]);
  });

  it('by the deadline service after a breach: supervision (督办) one level up, then again to the prefecture (level 2)', () => {
    const breached = [...ROUTED, ev.breached(th(24), 'first_response', FIRST_RESPONSE_DUE)];
    const first = given(...breached).when(escalate(COUNTY, true), { actor: A.deadline, at: th(24) })
      .then([{ type: 'TicketEscalated', data: { fromUnitId: TOWNSHIP, toUnitId: COUNTY, reason: '超时未回复，督办', level: 1, automatic: true } }]);
    expect(first).toMatchObject({ supervisingUnitId: COUNTY, status: 'routed' });
    const state = given(...breached, ev.escalated(th(24), TOWNSHIP, COUNTY, 1, true)).when(escalate(PREFECTURE, true), { actor: A.deadline, at: th(48) })
      .then([{ type: 'TicketEscalated', data: expect.objectContaining({ toUnitId: PREFECTURE, level: 2, automatic: true }) }]);
    expect(state.escalations.map((e) => [e.level, e.toUnitId])).toEqual([[1, COUNTY], [2, PREFECTURE]]);
    expect(state).toMatchObject({ supervisingUnitId: PREFECTURE, status: 'routed' });
  });

  it('needs a higher unit than the holder and a reason', () => {
    given(...ACCEPTED).when(escalate(TOWNSHIP), { actor: A.countySupervisor, at: th(2) }).thenRejects('precondition', 'cannot_escalate');
    given(...ACCEPTED).when(escalate(''), { actor: A.deadline, at: th(2) }).thenRejects('precondition', 'cannot_escalate');
    given(...ACCEPTED).when({ type: 'EscalateTicket', toUnitId: COUNTY, reason: '', automatic: false }, { actor: A.countySupervisor, at: th(2) }).thenRejects('invalid', 'missing_reason');
  });

  it('not by admins, not outside the jurisdiction, not before routing or after resolution', () => {
    given(...ACCEPTED).when(escalate(COUNTY), { actor: A.townshipAdmin, at: th(2) }).thenRejects('forbidden', 'role_not_allowed');
    given(...ACCEPTED).when(escalate(COUNTY), { actor: A.otherCountySupervisor, at: th(2) }).thenRejects('forbidden', 'outside_jurisdiction');
    given(...SUBMITTED).when(escalate(COUNTY), { actor: A.countySupervisor, at: th(2) }).thenRejects('precondition', 'not_routed');
    given(...RESOLVED).when(escalate(COUNTY), { actor: A.countySupervisor, at: th(21) }).thenRejects('precondition', 'invalid_status');
  });
});

describe('IssueDeadlineWarning / RecordDeadlineBreach (deadline service)', () => {
  const warn = (leg: 'first_response' | 'resolution', dueAt: string): TicketCommand => ({ type: 'IssueDeadlineWarning', leg, dueAt });
  const breach = (leg: 'first_response' | 'resolution', dueAt: string): TicketCommand => ({ type: 'RecordDeadlineBreach', leg, dueAt });

  it('warns for a running leg, once', () => {
    const state = given(...ACCEPTED).when(warn('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(18) })
      .then([{ type: 'DeadlineWarningIssued', data: { leg: 'first_response', dueAt: FIRST_RESPONSE_DUE } }]);
    expect(state.warnings).toEqual([{ leg: 'first_response', dueAt: FIRST_RESPONSE_DUE }]);
    given(...ACCEPTED, ev.warned(th(18), 'first_response', FIRST_RESPONSE_DUE)).when(warn('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(18) }).then([]);
  });

  it('records a breach at or after the due time, once', () => {
    const state = given(...ACCEPTED).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(24) })
      .then([{ type: 'DeadlineBreached', data: { leg: 'first_response', dueAt: FIRST_RESPONSE_DUE, breachedAt: th(24) } }]);
    expect(state.breaches).toEqual([{ leg: 'first_response', dueAt: FIRST_RESPONSE_DUE, breachedAt: th(24) }]);
    given(...ACCEPTED, ev.breached(th(24), 'first_response', FIRST_RESPONSE_DUE)).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(25) }).then([]);
  });

  it('no breach before the due time, for a stale due time, or for a met leg', () => {
    given(...ACCEPTED).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(23.9) }).then([]);
    given(...ACCEPTED).when(breach('resolution', th(50)), { actor: A.deadline, at: th(80) }).then([]);
    given(...ACCEPTED, ev.replied(th(2), true)).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(25) }).then([]);
    given(...ACCEPTED, ev.replied(th(2), true)).when(warn('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(18) }).then([]);
  });

  it('an internal reply does not meet the first-response leg', () => {
    given(...ACCEPTED, ev.replied(th(2), false)).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(25) })
      .then([expect.objectContaining({ type: 'DeadlineBreached' })]);
  });

  it('nothing after resolution or on a final ticket', () => {
    given(...RESOLVED).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(25) }).then([]);
    given(...RESOLVED).when(warn('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(21) }).then([]);
    given(...ACCEPTED, ev.rejected(th(1))).when(breach('resolution', RESOLUTION_DUE), { actor: A.deadline, at: th(73) }).then([]);
    given(...ACCEPTED, ev.rejected(th(1))).when(warn('resolution', RESOLUTION_DUE), { actor: A.deadline, at: th(55) }).then([]);
  });

  it('nothing for the resolution leg while it is paused; after the answer, only at the shifted due time', () => {
    const paused = [...ACCEPTED, ev.informationRequested(th(50))];
    given(...paused).when(breach('resolution', RESOLUTION_DUE), { actor: A.deadline, at: th(73) }).then([]);
    given(...paused).when(warn('resolution', RESOLUTION_DUE), { actor: A.deadline, at: th(55) }).then([]);
    const resumed = [...paused, ev.informationAdded(th(60))];
    given(...resumed).when(breach('resolution', RESOLUTION_DUE), { actor: A.deadline, at: th(73) }).then([]);
    given(...resumed).when(breach('resolution', th(82)), { actor: A.deadline, at: th(81.9) }).then([]);
    given(...resumed).when(breach('resolution', th(82)), { actor: A.deadline, at: th(82) })
      .then([{ type: 'DeadlineBreached', data: { leg: 'resolution', dueAt: th(82), breachedAt: th(82) } }]);
  });

  it('a question to the reporter or an announced deadline meets the first response: nothing to breach (issue 16 item 9)', () => {
    given(...ACCEPTED, ev.informationRequested(th(2))).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(24) }).then([]);
    given(...ACCEPTED, ev.informationRequested(th(2))).when(warn('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(18) }).then([]);
    given(...ACCEPTED, ev.deadlineSet(th(2), th(100), RESOLUTION_DUE)).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(24) }).then([]);
  });

  it('an internal reply does not meet the first response', () => {
    given(...ACCEPTED, ev.replied(th(2), false)).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.deadline, at: th(24) })
      .then([expect.objectContaining({ type: 'DeadlineBreached' })]);
  });

  it('uses the announced deadline', () => {
    const announced = [...ACCEPTED, ev.deadlineSet(th(10), th(100), RESOLUTION_DUE)];
    given(...announced).when(breach('resolution', RESOLUTION_DUE), { actor: A.deadline, at: th(73) }).then([]);
    given(...announced).when(breach('resolution', th(100)), { actor: A.deadline, at: th(100) }).then([expect.objectContaining({ type: 'DeadlineBreached' })]);
  });

  it('with a target, the first breach carries the level-1 automatic escalation in the same decision', () => {
    const command: TicketCommand = { type: 'RecordDeadlineBreach', leg: 'first_response', dueAt: FIRST_RESPONSE_DUE, toUnitId: COUNTY };
    const state = given(...ACCEPTED).when(command, { actor: A.deadline, at: th(24) }).then([
      { type: 'DeadlineBreached', data: { leg: 'first_response', dueAt: FIRST_RESPONSE_DUE, breachedAt: th(24) } },
      { type: 'TicketEscalated', data: { fromUnitId: TOWNSHIP, toUnitId: COUNTY, reason: `first_response was due and is overdue since ${th(24)}`, level: 1, automatic: true } },
    ]);
    expect(state.holderUnitId).toBe(TOWNSHIP);
    expect(state.supervisingUnitId).toBe(COUNTY);
    expect(state.escalations).toEqual([expect.objectContaining({ level: 1, automatic: true, toUnitId: COUNTY })]);
    // Already escalated (automatically or by a supervisor), or the target holds the ticket: the breach alone.
    const second: TicketCommand = { type: 'RecordDeadlineBreach', leg: 'resolution', dueAt: RESOLUTION_DUE, toUnitId: COUNTY };
    given(...ACCEPTED, ev.breached(th(24), 'first_response', FIRST_RESPONSE_DUE), ev.escalated(th(24), TOWNSHIP, COUNTY, 1, true))
      .when(second, { actor: A.deadline, at: th(72) }).then([expect.objectContaining({ type: 'DeadlineBreached' })]);
    given(...ACCEPTED, ev.escalated(th(2))).when(command, { actor: A.deadline, at: th(24) }).then([expect.objectContaining({ type: 'DeadlineBreached' })]);
    given(...ACCEPTED).when({ ...command, toUnitId: TOWNSHIP }, { actor: A.deadline, at: th(24) }).then([expect.objectContaining({ type: 'DeadlineBreached' })]);
    // Before routing nobody holds the ticket: no escalation. Nothing due: nothing at all.
    given(...SUBMITTED).when(command, { actor: A.deadline, at: th(24) }).then([expect.objectContaining({ type: 'DeadlineBreached' })]);
    given(...ACCEPTED).when(command, { actor: A.deadline, at: th(23) }).then([]);
  });

  it('are internal: staff may not issue them', () => {
    given(...ACCEPTED).when(breach('first_response', FIRST_RESPONSE_DUE), { actor: A.countySupervisor, at: th(25) }).thenRejects('forbidden', 'role_not_allowed');
    given(...ACCEPTED).when(warn('first_response', FIRST_RESPONSE_DUE), { actor: A.townshipAdmin, at: th(18) }).thenRejects('forbidden', 'role_not_allowed');
  });
});

describe('evolve', () => {
  it('keeps the position and media of a submission, and the Open311 client that acts for its reporter', () => {
    const { type: _type, ...data } = submitCommand;
    const client: ActorContext = { kind: 'open311', id: 'fixmystreet' };
    const state = evolveAll([envelope({
      type: 'TicketSubmitted',
      data: { ...data, lat: 28.26, long: 103.57, mediaUrl: 'https://example.org/a.jpg', channel: 'open311', reporter: { ...REPORTER, deviceId: 'fms-1' }, submittedAt: T0 },
    }, T0, client)]);
    expect(state).toMatchObject({ lat: 28.26, long: 103.57, mediaUrl: 'https://example.org/a.jpg', reporter: { deviceId: 'fms-1', clientId: 'fixmystreet' } });
    expect(evolveAll(SUBMITTED)).not.toHaveProperty('lat');
    expect(evolveAll(SUBMITTED).reporter).not.toHaveProperty('clientId');
  });

  it('records a close by the submitting Open311 client as the reporter\'s', () => {
    const client: ActorContext = { kind: 'open311', id: 'fixmystreet' };
    const { type: _type, ...data } = submitCommand;
    const submitted = envelope({ type: 'TicketSubmitted', data: { ...data, channel: 'open311', reporter: { ...REPORTER, deviceId: '' }, submittedAt: T0 } }, T0, client);
    given(submitted, ev.routed(t(5)), ev.accepted(t(45)), ev.resolved(th(20)))
      .when({ type: 'CloseTicket', reason: '确认' }, { actor: client, at: th(21) })
      .then([{ type: 'TicketClosed', data: { reason: '确认', closedBy: 'reporter' } }]);
  });

  it('advances the revision by one per event, also for events that change nothing else', () => {
    const state = evolveAll([...ACCEPTED, envelope({ type: 'InternalNoteAdded', data: { text: 'x', staffId: 'a', unitId: 'b' } }, th(1), A.townshipAdmin)]);
    expect(state.revision).toBe(3);
    expect(state.updatedAt).toBe(th(1));
  });
});

// ---------------------------------------------------------------------------------------------------
// Issue 14 item 2: the sign-for (签收) deadline of the receiving unit.
// ---------------------------------------------------------------------------------------------------

describe('sign-for (签收) deadline', () => {
  /** An emergency ticket of the default policy set: signed for within 15 min (calendar hours). */
  const EMERGENCY = { ...POLICY, urgencyClass: 'emergency', policySet: 'default', requestType: 'help', signForHours: 0.25 };
  const submitted = (policy: events.SlaPolicy = EMERGENCY): TicketEventEnvelope => {
    const { type: _type, ...data } = submitCommand;
    return envelope({ type: 'TicketSubmitted', data: { ...data, policy, submittedAt: T0 } }, T0, A.reporter);
  };
  const breach = (dueAt: string, toUnitId?: string): TicketCommand => ({ type: 'RecordDeadlineBreach', leg: 'sign_for', dueAt, ...(toUnitId ? { toUnitId } : {}) });

  it('starts when the ticket is routed, for the receiving unit; the citizen\'s clocks keep running from the submission', () => {
    const state = given(submitted(), ev.routed(t(5))).state;
    expect(state.sla.signFor).toEqual({ startedAt: t(5), dueAt: t(20), announced: false, pausedMs: 0, unitId: TOWNSHIP });
    expect(state.sla.firstResponse?.dueAt).toBe(FIRST_RESPONSE_DUE);
    expect(state.sla.resolution?.dueAt).toBe(RESOLUTION_DUE);
  });

  it('is met when the receiving unit accepts it', () => {
    const state = given(submitted(), ev.routed(t(5))).when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: t(12) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.townshipAdmin.id, unitId: TOWNSHIP, firstResponder: true } }]);
    expect(state.sla.signFor).toMatchObject({ unitId: TOWNSHIP, stoppedAt: t(12), signedAt: t(12) });
  });

  it('a missed sign-for is recorded as SignForBreached and escalates like a breach, in one append', () => {
    const state = given(submitted(), ev.routed(t(5))).when(breach(t(20), COUNTY), { actor: A.deadline, at: t(21) }).then([
      { type: 'SignForBreached', data: { unitId: TOWNSHIP, dueAt: t(20), breachedAt: t(21) } },
      { type: 'TicketEscalated', data: { fromUnitId: TOWNSHIP, toUnitId: COUNTY, level: 1, automatic: true, reason: `not signed for by ${TOWNSHIP} since ${t(20)}` } },
    ]);
    expect(state.signForBreaches).toEqual([{ unitId: TOWNSHIP, dueAt: t(20), breachedAt: t(21) }]);
    expect(state.sla.signFor?.breachedAt).toBe(t(21));
    // Kept apart from the citizen's clocks: those have no breach, and their due times did not move.
    expect(state.breaches).toEqual([]);
    expect(state.sla.firstResponse?.dueAt).toBe(FIRST_RESPONSE_DUE);
    expect(state.supervisingUnitId).toBe(COUNTY);
  });

  it('records nothing before it is due, once signed for, twice, or for a stale due time', () => {
    given(submitted(), ev.routed(t(5))).when(breach(t(20)), { actor: A.deadline, at: t(19) }).then([]);
    given(submitted(), ev.routed(t(5)), ev.accepted(t(10))).when(breach(t(20)), { actor: A.deadline, at: t(21) }).then([]);
    given(submitted(), ev.routed(t(5))).when(breach(t(30)), { actor: A.deadline, at: t(31) }).then([]);
    const once = given(submitted(), ev.routed(t(5))).when(breach(t(20)), { actor: A.deadline, at: t(21) })
      .then([{ type: 'SignForBreached', data: { unitId: TOWNSHIP, dueAt: t(20), breachedAt: t(21) } }]);
    expect(decide(breach(t(20)), once, sampleContext(A.deadline, t(22)))).toEqual([]);
  });

  it('a late accept is still the sign-for; the unit cannot stop the citizen\'s clocks by not signing', () => {
    const state = given(submitted(), ev.routed(t(5)), envelope({ type: 'SignForBreached', data: { unitId: TOWNSHIP, dueAt: t(20), breachedAt: t(21) } }, t(21), A.deadline))
      .when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: th(2) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.townshipAdmin.id, unitId: TOWNSHIP, firstResponder: true } }]);
    expect(state.sla.signFor).toMatchObject({ signedAt: th(2), breachedAt: t(21) });
    expect(state.sla.firstResponse).toMatchObject({ startedAt: T0, dueAt: FIRST_RESPONSE_DUE });
  });

  it('every sign-for done is kept, on time or late, for the 签收及时率 (item 7)', () => {
    const onTime = given(submitted(), ev.routed(t(5))).when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: t(12) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.townshipAdmin.id, unitId: TOWNSHIP, firstResponder: true } }]);
    expect(onTime.signFors).toEqual([{ unitId: TOWNSHIP, startedAt: t(5), dueAt: t(20), signedAt: t(12) }]);
    const late = given(submitted(), ev.routed(t(5)), envelope({ type: 'SignForBreached', data: { unitId: TOWNSHIP, dueAt: t(20), breachedAt: t(21) } }, t(21), A.deadline),
      ev.accepted(th(2)), ev.transferred(th(3))).when({ type: 'AcceptTicket' }, { actor: A.department, at: th(3.1) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.department.id, unitId: DEPARTMENT, firstResponder: false } }]);
    expect(late.signFors).toEqual([
      { unitId: TOWNSHIP, startedAt: t(5), dueAt: t(20), signedAt: th(2) },
      { unitId: DEPARTMENT, startedAt: th(3), dueAt: t(195), signedAt: th(3.1) },
    ]);
    // An accept that signs for nothing (a ticket without a sign-for limit) keeps no record.
    expect(given(...ACCEPTED).state.signFors).toBeUndefined();
  });

  it('a transfer starts a new sign-for for the department; its accept meets it', () => {
    const moved = given(submitted(), ev.routed(t(5)), ev.accepted(t(10)), ev.transferred(t(30))).state;
    expect(moved.sla.signFor).toEqual({ startedAt: t(30), dueAt: t(45), announced: false, pausedMs: 0, unitId: DEPARTMENT });
    const state = given(submitted(), ev.routed(t(5)), ev.accepted(t(10)), ev.transferred(t(30)))
      .when({ type: 'AcceptTicket' }, { actor: A.department, at: t(40) })
      .then([{ type: 'TicketAccepted', data: { staffId: A.department.id, unitId: DEPARTMENT, firstResponder: false } }]);
    expect(state.sla.signFor).toMatchObject({ unitId: DEPARTMENT, signedAt: t(40) });
  });

  it('a supervisor\'s escalation or reassignment to a unit starts its sign-for; an automatic escalation (督办) does not move it', () => {
    expect(given(submitted(), ev.routed(t(5)), ev.accepted(t(10)), ev.escalated(t(30))).state.sla.signFor)
      .toMatchObject({ unitId: COUNTY, startedAt: t(30), dueAt: t(45) });
    expect(given(submitted(), ev.routed(t(5)), ev.accepted(t(10)), ev.reassigned(t(30), OTHER_TOWNSHIP)).state.sla.signFor)
      .toMatchObject({ unitId: OTHER_TOWNSHIP, startedAt: t(30) });
    expect(given(submitted(), ev.routed(t(5)), ev.escalated(t(30), TOWNSHIP, COUNTY, 1, true)).state.sla.signFor)
      .toMatchObject({ unitId: TOWNSHIP, startedAt: t(5) });
  });

  it('needs no new sign-for when the ticket returns to a unit that already accepted it (hand-back, reopen)', () => {
    const back = given(submitted(), ev.routed(t(5)), ev.accepted(t(10)), ev.transferred(t(30)), ev.handedBack(t(40))).state;
    expect(back.sla.signFor).toMatchObject({ unitId: DEPARTMENT, stoppedAt: t(40) });
    expect(back.sla.signFor?.signedAt).toBeUndefined();
    const reopened = given(submitted(), ev.routed(t(5)), ev.accepted(t(10)), ev.resolved(th(2)), ev.reopened(th(3))).state;
    expect(reopened.sla.signFor).toMatchObject({ unitId: TOWNSHIP, signedAt: t(10) });
  });

  it('has no warning, and tickets whose policy has no sign-for limit (before issue 14) have no sign-for leg', () => {
    given(submitted(), ev.routed(t(5))).when({ type: 'IssueDeadlineWarning', leg: 'sign_for', dueAt: t(20) }, { actor: A.deadline, at: t(16) }).then([]);
    expect(given(...ROUTED).state.sla.signFor).toBeUndefined();
  });

  it('on a working-days calendar (general class: 1 working day) a Friday arrival is due on Monday', () => {
    // 2026-11-27 is a Friday; 10:00 in Asia/Shanghai.
    const friday = '2026-11-27T02:00:00.000Z';
    const general = { ...POLICY, urgencyClass: 'general', signForHours: 24, signForCalendar: 'cn-working-days' };
    const { type: _type, ...data } = submitCommand;
    const state = given(
      envelope({ type: 'TicketSubmitted', data: { ...data, policy: general, submittedAt: friday } }, friday, A.reporter),
      ev.routed(friday),
    ).state;
    expect(state.sla.signFor?.dueAt).toBe('2026-11-30T02:00:00.000Z');
    // The citizen's clocks stay on calendar hours (the article's 24 h / 72 h).
    expect(state.sla.firstResponse?.dueAt).toBe('2026-11-28T02:00:00.000Z');
  });
});

// ---------------------------------------------------------------------------------------------------
// Issue 14 item 3: returns with review (退单).
// ---------------------------------------------------------------------------------------------------

describe('returns with review (退单)', () => {
  const EMERGENCY = { ...POLICY, urgencyClass: 'emergency', policySet: 'default', requestType: 'help', signForHours: 0.25 };
  const submitted = (): TicketEventEnvelope => {
    const { type: _type, ...data } = submitCommand;
    return envelope({ type: 'TicketSubmitted', data: { ...data, policy: EMERGENCY, submittedAt: T0 } }, T0, A.reporter);
  };
  const returnIt = (reasonCode = 'wrong_place', reason = '', legalBasis = ''): TicketCommand => ({ type: 'ReturnTicket', reasonCode, reason, legalBasis });
  const approve = (toUnitId = OTHER_TOWNSHIP, toUnitDivision = '513434114'): TicketCommand => ({ type: 'ReviewReturn', approve: true, toUnitId, toUnitDivision, reason: '' });
  const refuse = (reason = '该地址属锦城镇'): TicketCommand => ({ type: 'ReviewReturn', approve: false, toUnitId: '', toUnitDivision: '', reason });
  const returned = (at: string, fromUnitId = TOWNSHIP, reviewUnitId = '', actor: ActorContext = A.townshipAdmin): TicketEventEnvelope =>
    envelope({ type: 'TicketReturned', data: { fromUnitId, reasonCode: 'wrong_place', reason: '', legalBasis: '', reviewUnitId } }, at, actor);

  it('a routed ticket is returned by the receiving unit with a reason code; the county supervisor reviews it; no sign-for is owed meanwhile', () => {
    const state = given(submitted(), ev.routed(t(5))).when(returnIt('wrong_place', '西街30号属西宁镇', '《四川省12345热线管理办法》第十八条'), { actor: A.townshipAdmin, at: t(10) })
      .then([{ type: 'TicketReturned', data: { fromUnitId: TOWNSHIP, reasonCode: 'wrong_place', reason: '西街30号属西宁镇', legalBasis: '《四川省12345热线管理办法》第十八条', reviewUnitId: '' } }]);
    expect(state.pendingReturn).toMatchObject({ fromUnitId: TOWNSHIP, reviewUnitId: '', at: t(10) });
    expect(state.returns).toEqual([{ fromUnitId: TOWNSHIP, reasonCode: 'wrong_place', at: t(10), outcome: 'pending' }]);
    expect(state.sla.signFor).toMatchObject({ stoppedAt: t(10) });
    expect(state.sla.signFor?.signedAt).toBeUndefined();
    expect(state.holderUnitId).toBe(TOWNSHIP);
  });

  it.each([
    [returnIt('bad'), 'invalid_reason_code'],
    [returnIt('other', '  '), 'missing_reason'],
  ])('rejects a malformed return %j as invalid %s', (command, reason) => {
    given(submitted(), ev.routed(t(5))).when(command, { actor: A.townshipAdmin, at: t(10) }).thenRejects('invalid', reason);
  });

  it('is refused after 2 working days of receipt (return_window_passed), counted in working days', () => {
    // T0 is Wednesday 3 June 2015, 10:15 Asia/Shanghai: routed 10:20; two working days end Friday 10:20.
    given(submitted(), ev.routed(t(5))).when(returnIt(), { actor: A.townshipAdmin, at: th(47) }).then([expect.objectContaining({ type: 'TicketReturned' })]);
    given(submitted(), ev.routed(t(5))).when(returnIt(), { actor: A.townshipAdmin, at: th(49) }).thenRejects('precondition', 'return_window_passed');
  });

  it('only the holder returns; not twice while a return waits; the returning unit cannot accept meanwhile', () => {
    given(submitted(), ev.routed(t(5))).when(returnIt(), { actor: A.otherTownshipAdmin, at: t(10) }).thenRejects('forbidden', 'not_holder');
    given(submitted(), ev.routed(t(5)), returned(t(10))).when(returnIt(), { actor: A.townshipAdmin, at: t(11) }).thenRejects('precondition', 'return_pending');
    given(submitted(), ev.routed(t(5)), returned(t(10))).when({ type: 'AcceptTicket' }, { actor: A.townshipAdmin, at: t(11) }).thenRejects('precondition', 'return_pending');
  });

  it('approved: rerouted to the named unit, which must sign for it; the citizen\'s clocks keep running', () => {
    // 马拖镇 lies in another county: only the prefecture's supervisor may send it there.
    given(submitted(), ev.routed(t(5)), returned(t(10))).when(approve(), { actor: A.countySupervisor, at: t(30) }).thenRejects('forbidden', 'outside_jurisdiction');
    const state = given(submitted(), ev.routed(t(5)), returned(t(10))).when(approve(), { actor: A.prefectureSupervisor, at: t(30) })
      .then([{ type: 'ReturnReviewed', data: { approved: true, toUnitId: OTHER_TOWNSHIP, reason: '', returnedByUnitId: TOWNSHIP } }]);
    expect(state).toMatchObject({ holderUnitId: OTHER_TOWNSHIP, routedUnitId: OTHER_TOWNSHIP, status: 'routed' });
    expect(state.pendingReturn).toBeUndefined();
    expect(state.returns).toEqual([{ fromUnitId: TOWNSHIP, reasonCode: 'wrong_place', at: t(10), outcome: 'approved', toUnitId: OTHER_TOWNSHIP, reviewedAt: t(30) }]);
    expect(state.sla.signFor).toMatchObject({ unitId: OTHER_TOWNSHIP, startedAt: t(30), dueAt: t(45) });
    expect(state.sla.firstResponse).toMatchObject({ startedAt: T0, dueAt: FIRST_RESPONSE_DUE });
    expect(state.sla.resolution).toMatchObject({ startedAt: T0, dueAt: RESOLUTION_DUE });
  });

  it('refused: back to the returning unit, which must sign for it again', () => {
    const state = given(submitted(), ev.routed(t(5)), returned(t(10))).when(refuse(), { actor: A.countySupervisor, at: t(30) })
      .then([{ type: 'ReturnReviewed', data: { approved: false, toUnitId: '', reason: '该地址属锦城镇', returnedByUnitId: TOWNSHIP } }]);
    expect(state.holderUnitId).toBe(TOWNSHIP);
    expect(state.returns?.[0]).toMatchObject({ outcome: 'refused', reviewedAt: t(30) });
    expect(state.sla.signFor).toMatchObject({ unitId: TOWNSHIP, startedAt: t(30), dueAt: t(45) });
    given(submitted(), ev.routed(t(5)), returned(t(10))).when(refuse(''), { actor: A.countySupervisor, at: t(30) }).thenRejects('invalid', 'missing_reason');
  });

  it('the first responder never changes through returns', () => {
    const history = [submitted(), ev.routed(t(5)), ev.accepted(t(8)), returned(t(10))];
    const state = given(...history).when(approve(), { actor: A.prefectureSupervisor, at: t(30) })
      .then([expect.objectContaining({ type: 'ReturnReviewed' })]);
    expect(state.firstResponder).toEqual({ staffId: A.townshipAdmin.id, unitId: TOWNSHIP, since: t(8) });
    expect(state.routedUnitId).toBe(TOWNSHIP);
    expect(state.holderUnitId).toBe(OTHER_TOWNSHIP);
  });

  it('a department returns a transferred ticket; the transferring unit\'s admin reviews it (or a supervisor), nobody else', () => {
    const history = [submitted(), ev.routed(t(5)), ev.accepted(t(8)), ev.transferred(t(20))];
    const state = given(...history).when(returnIt('overlapping_duties'), { actor: A.department, at: t(30) })
      .then([{ type: 'TicketReturned', data: { fromUnitId: DEPARTMENT, reasonCode: 'overlapping_duties', reason: '', legalBasis: '', reviewUnitId: TOWNSHIP } }]);
    expect(state.pendingReturn?.reviewUnitId).toBe(TOWNSHIP);
    const pending = [...history, returned(t(30), DEPARTMENT, TOWNSHIP, A.department)];
    given(...pending).when(approve(OTHER_DEPARTMENT, '513437'), { actor: A.townshipAdmin, at: t(40) })
      .then([{ type: 'ReturnReviewed', data: { approved: true, toUnitId: OTHER_DEPARTMENT, reason: '', returnedByUnitId: DEPARTMENT } }]);
    given(...pending).when(refuse(), { actor: A.otherTownshipAdmin, at: t(40) }).thenRejects('forbidden', 'not_holder');
    given(...pending).when(refuse(), { actor: A.otherCountySupervisor, at: t(40) }).thenRejects('forbidden', 'outside_jurisdiction');
    given(...pending).when(approve(DEPARTMENT, '513437'), { actor: A.townshipAdmin, at: t(40) }).thenRejects('invalid', 'same_unit');
  });

  it('a review without a pending return is refused (no_pending_return)', () => {
    given(submitted(), ev.routed(t(5))).when(refuse(), { actor: A.countySupervisor, at: t(30) }).thenRejects('precondition', 'no_pending_return');
  });
});

// ---------------------------------------------------------------------------------------------------
// Issue 14 item 4: callbacks (回访) with the five-level rating; rectification (发回重办).
// ---------------------------------------------------------------------------------------------------

describe('callbacks (回访) and rectification (发回重办)', () => {
  const CALLBACK_DUE = '2015-06-08T22:15:00.000Z';
  const resolvedWithCallback = (at: string, dueAt = CALLBACK_DUE): TicketEventEnvelope =>
    envelope({ type: 'TicketResolved', data: { resolution: '已拆除', staffId: A.townshipAdmin.id, unitId: TOWNSHIP, callbackDueAt: dueAt } }, at, A.townshipAdmin);
  const callback = (reached: boolean, rating = '', channel = 'phone'): TicketCommand => ({ type: 'RecordCallback', reached, channel, rating, comment: '' });
  const recorded = (reached: boolean, rating: string, attempt: number, channel = 'phone'): TicketEvent =>
    ({ type: 'CallbackRecorded', data: { reached, channel, rating, comment: '', attempt, staffId: A.townshipAdmin.id, unitId: TOWNSHIP } });
  const RESOLVED_CB = [...ACCEPTED, resolvedWithCallback(th(20))];
  const rectification = (source: string, reason: string): TicketEvent =>
    ({ type: 'TicketReopened', data: { reason, unitId: TOWNSHIP, rectification: true, resolutionHours: 360, calendar: 'cn-working-days', source } });

  it('a resolution owes a callback 3 working days later (Thursday 06:15 → Tuesday 06:15 Shanghai: the weekend does not count)', () => {
    // th(20) is Thursday 4 June 2015 06:15 in Asia/Shanghai; three working days: Thu, Fri, Mon → Tuesday 06:15.
    const state = given(...ACCEPTED).when({ type: 'ResolveTicket', resolution: '已拆除' }, { actor: A.townshipAdmin, at: th(20) })
      .then([{ type: 'TicketResolved', data: { resolution: '已拆除', staffId: A.townshipAdmin.id, unitId: TOWNSHIP, callbackDueAt: '2015-06-08T22:15:00.000Z', callbackBy: 'first-responder' } }]);
    expect(state.callback).toEqual({ dueAt: '2015-06-08T22:15:00.000Z', attempts: 0, mandatory: false, by: 'first-responder' });
  });

  describe('the callback due time (CallbackOverdue)', () => {
    const overdue = (dueAt = CALLBACK_DUE): TicketCommand => ({ type: 'RecordCallbackOverdue', dueAt });
    const AFTER_DUE = '2015-06-08T22:16:00.000Z';

    it('no callback by its due time: the deadline service records CallbackOverdue once, with who owed it', () => {
      const state = given(...RESOLVED_CB).when(overdue(), { actor: A.deadline, at: AFTER_DUE })
        .then([{ type: 'CallbackOverdue', data: { dueAt: CALLBACK_DUE, overdueAt: AFTER_DUE, callbackBy: 'first-responder', unitId: TOWNSHIP, attempts: 0 } }]);
      expect(state.callback).toMatchObject({ dueAt: CALLBACK_DUE, overdueAt: AFTER_DUE });
      expect(state.callbackOverdues).toEqual([{ dueAt: CALLBACK_DUE, overdueAt: AFTER_DUE, by: 'first-responder', unitId: TOWNSHIP }]);
      // Once: the timer is gone and a second fire records nothing.
      expect(desiredTimers(state, DEFAULT_TIMER_SETTINGS).map((x) => x.kind)).not.toContain('callback_overdue');
      given(...RESOLVED_CB, envelope({ type: 'CallbackOverdue', data: { dueAt: CALLBACK_DUE, overdueAt: AFTER_DUE, callbackBy: 'first-responder', unitId: TOWNSHIP, attempts: 0 } }, AFTER_DUE, A.deadline))
        .when(overdue(), { actor: A.deadline, at: '2015-06-09T00:00:00.000Z' }).then([]);
    });

    it('an unreached attempt does not do the callback; it is still overdue, with the attempts made', () => {
      given(...RESOLVED_CB, envelope(recorded(false, '', 1), th(25), A.townshipAdmin)).when(overdue(), { actor: A.deadline, at: AFTER_DUE })
        .then([{ type: 'CallbackOverdue', data: { dueAt: CALLBACK_DUE, overdueAt: AFTER_DUE, callbackBy: 'first-responder', unitId: TOWNSHIP, attempts: 1 } }]);
    });

    it('nothing before the due time, after a reached callback, for another due time or once the ticket moved on', () => {
      given(...RESOLVED_CB).when(overdue(), { actor: A.deadline, at: '2015-06-08T22:14:00.000Z' }).then([]);
      given(...RESOLVED_CB, envelope(recorded(true, 'satisfied', 1), th(30), A.townshipAdmin)).when(overdue(), { actor: A.deadline, at: AFTER_DUE }).then([]);
      given(...RESOLVED_CB).when(overdue('2015-06-01T00:00:00.000Z'), { actor: A.deadline, at: AFTER_DUE }).then([]);
      given(...RESOLVED_CB, envelope({ type: 'TicketClosed', data: { reason: '', closedBy: 'reporter' } }, th(30), A.reporter))
        .when(overdue(), { actor: A.deadline, at: AFTER_DUE }).then([]);
      given(...RESOLVED).when(overdue(''), { actor: A.deadline, at: AFTER_DUE }).then([]);
    });

    it('a late callback is still accepted, and the overdue record stays for the statistics', () => {
      const late = [...RESOLVED_CB, envelope({ type: 'CallbackOverdue', data: { dueAt: CALLBACK_DUE, overdueAt: AFTER_DUE, callbackBy: 'first-responder', unitId: TOWNSHIP, attempts: 0 } }, AFTER_DUE, A.deadline)];
      const state = given(...late).when(callback(true, 'satisfied'), { actor: A.townshipAdmin, at: '2015-06-09T02:00:00.000Z' }).then([recorded(true, 'satisfied', 1)]);
      expect(state.callback).toMatchObject({ outcome: 'reached', overdueAt: AFTER_DUE });
      expect(state.callbackOverdues).toHaveLength(1);
    });

    it('only the system records it', () => {
      given(...RESOLVED_CB).when(overdue(), { actor: A.townshipAdmin, at: AFTER_DUE }).thenRejects('forbidden', 'role_not_allowed');
      given(...RESOLVED_CB).when(overdue(), { actor: A.countySupervisor, at: AFTER_DUE }).thenRejects('forbidden', 'role_not_allowed');
    });

    it('the timer: a resolved ticket owing a callback gets one at its due time (beside the automatic close); none once done', () => {
      const { state } = given(...RESOLVED_CB);
      expect(desiredTimers(state, DEFAULT_TIMER_SETTINGS).filter((x) => x.kind === 'callback_overdue'))
        .toEqual([{ ticketId: SAMPLE_TICKET_ID, leg: 'ticket', kind: 'callback_overdue', dueAt: CALLBACK_DUE, dueKey: CALLBACK_DUE }]);
      const done = given(...RESOLVED_CB, envelope(recorded(true, 'satisfied', 1), th(30), A.townshipAdmin)).state;
      expect(desiredTimers(done, DEFAULT_TIMER_SETTINGS).map((x) => x.kind)).toEqual(['auto_close']);
      expect(desiredTimers(given(...RESOLVED).state, DEFAULT_TIMER_SETTINGS).map((x) => x.kind)).toEqual(['auto_close']);
    });

    it('the due time follows TONGBAN_CALLBACK_DUE_DAYS on working days (1 day: Thursday 06:15 → Friday 06:15)', () => {
      given(...ACCEPTED).when({ type: 'ResolveTicket', resolution: '已拆除' }, { actor: A.townshipAdmin, at: th(20), settings: { ...DEFAULT_WORKFLOW_SETTINGS, callbackDueWorkingDays: 1 } })
        .then([{ type: 'TicketResolved', data: expect.objectContaining({ callbackDueAt: '2015-06-04T22:15:00.000Z' }) }]);
    });
  });

  it('reached and satisfied: recorded; the ticket closes as before (reporter or after the objection window)', () => {
    const state = given(...RESOLVED_CB).when(callback(true, 'basically_satisfied'), { actor: A.townshipAdmin, at: th(30) })
      .then([recorded(true, 'basically_satisfied', 1)]);
    expect(state.callback).toMatchObject({ outcome: 'reached', attempts: 1 });
    expect(state.status).toBe('resolved');
    given(...RESOLVED_CB, envelope(recorded(true, 'satisfied', 1), th(30), A.townshipAdmin)).when(callback(true, 'satisfied'), { actor: A.townshipAdmin, at: th(31) })
      .thenRejects('precondition', 'callback_done');
  });

  it('reached and dissatisfied: rectification (发回重办) back to the first responder\'s unit with a 15-working-day leg', () => {
    const state = given(...RESOLVED_CB).when(callback(true, 'dissatisfied'), { actor: A.townshipAdmin, at: th(30) })
      .then([recorded(true, 'dissatisfied', 1), rectification('callback', '发回重办: the callback found the handling unsatisfactory')]);
    expect(state).toMatchObject({ status: 'in_progress', holderUnitId: TOWNSHIP, rectifications: 1, firstResponder: TOWNSHIP_FIRST_RESPONDER });
    expect(state.callback).toBeUndefined();
    expect(state.sla.resolution).toMatchObject({ startedAt: th(30), calendar: 'cn-working-days' });
  });

  it('the rectification leg counts working days across holidays: Monday 28 Sep 2026 10:00 → Friday 23 Oct 10:00 (National Day off, Sat 10 Oct worked)', () => {
    const monday = '2026-09-28T02:00:00.000Z';
    const state = given(...RESOLVED_CB).when(callback(true, 'very_dissatisfied'), { actor: A.townshipAdmin, at: monday })
      .then([recorded(true, 'very_dissatisfied', 1), expect.objectContaining({ type: 'TicketReopened' })]);
    expect(state.sla.resolution?.dueAt).toBe('2026-10-23T02:00:00.000Z');
  });

  it('the citizen\'s dissatisfied rating sends a resolved ticket back too; after the new resolution it may rate again', () => {
    const rated = given(...RESOLVED_CB).when({ type: 'RateTicket', score: 0, comment: '还在漏', level: 'dissatisfied' }, { actor: A.reporter, at: th(21) })
      .then([{ type: 'TicketRated', data: { score: 2, comment: '还在漏', level: 'dissatisfied' } }, rectification('rating', '发回重办: the reporter rated the handling unsatisfactory — 还在漏')]);
    expect(rated.status).toBe('in_progress');
    const history = [...RESOLVED_CB, envelope({ type: 'TicketRated', data: { score: 2, comment: '', level: 'dissatisfied' } }, th(21), A.reporter),
      envelope(rectification('rating', '发回重办'), th(21), A.reporter), resolvedWithCallback(th(40), '2015-06-11T22:15:00.000Z')];
    given(...history).when({ type: 'RateTicket', score: 4, comment: '' }, { actor: A.reporter, at: th(41) })
      .then([{ type: 'TicketRated', data: { score: 4, comment: '', level: 'satisfied' } }]);
  });

  it('after a rectification the callback is mandatory: no automatic or staff close before it; a satisfied callback closes it', () => {
    const history = [...RESOLVED_CB, envelope(recorded(true, 'dissatisfied', 1), th(30), A.townshipAdmin),
      envelope(rectification('callback', '发回重办'), th(30), A.townshipAdmin), resolvedWithCallback(th(50), '2015-06-12T22:15:00.000Z')];
    const { state } = given(...history);
    expect(state.callback).toMatchObject({ mandatory: true, attempts: 0 });
    expect(desiredTimers(state, DEFAULT_TIMER_SETTINGS).map((x) => x.kind)).not.toContain('auto_close');
    given(...history).when({ type: 'CloseTicket', reason: '' }, { actor: A.deadline, at: th(50 + 8 * 24) }).thenRejects('precondition', 'callback_pending');
    given(...history).when({ type: 'CloseTicket', reason: '' }, { actor: A.townshipAdmin, at: th(51) }).thenRejects('precondition', 'callback_pending');
    const closed = given(...history).when(callback(true, 'satisfied', 'visit'), { actor: A.townshipAdmin, at: th(60) })
      .then([recorded(true, 'satisfied', 1, 'visit'), { type: 'TicketClosed', data: { reason: 'callback: satisfied after rectification', closedBy: 'callback' } }]);
    expect(closed).toMatchObject({ status: 'closed', closedBy: 'callback' });
  });

  it('an unreached reporter: attempts are recorded; the 3rd closes the ticket as not reached', () => {
    const one = envelope(recorded(false, '', 1), th(25), A.townshipAdmin);
    const two = envelope(recorded(false, '', 2, 'sms'), th(30), A.townshipAdmin);
    given(...RESOLVED_CB).when(callback(false), { actor: A.townshipAdmin, at: th(25) }).then([recorded(false, '', 1)]);
    const state = given(...RESOLVED_CB, one, two).when(callback(false, '', 'visit'), { actor: A.townshipAdmin, at: th(35) })
      .then([recorded(false, '', 3, 'visit'), { type: 'TicketClosed', data: { reason: 'callback: not reached after 3 attempts', closedBy: 'not_reached' } }]);
    expect(state).toMatchObject({ status: 'closed', closedBy: 'not_reached', callback: { attempts: 3 } });
    expect(state.callbacks).toHaveLength(3);
  });

  it.each([
    [callback(true, '', 'phone'), 'invalid_rating'],
    [callback(true, 'happy'), 'invalid_rating'],
    [callback(false, 'satisfied'), 'rating_without_contact'],
    [callback(true, 'satisfied', 'pigeon'), 'invalid_channel'],
  ])('rejects a malformed callback %j as invalid %s', (command, reason) => {
    given(...RESOLVED_CB).when(command, { actor: A.townshipAdmin, at: th(25) }).thenRejects('invalid', reason);
  });

  it('TONGBAN_CALLBACK_BY=hotline: the task goes to the hotline of the area (snapshotted), which records it; overdue says so', () => {
    const hotline = { ...DEFAULT_WORKFLOW_SETTINGS, callbackBy: 'hotline' as const };
    const state = given(...ACCEPTED).when({ type: 'ResolveTicket', resolution: '已拆除' }, { actor: A.townshipAdmin, at: th(20), settings: hotline })
      .then([{ type: 'TicketResolved', data: { resolution: '已拆除', staffId: A.townshipAdmin.id, unitId: TOWNSHIP, callbackDueAt: CALLBACK_DUE, callbackBy: 'hotline' } }]);
    expect(state.callback).toMatchObject({ by: 'hotline', dueAt: CALLBACK_DUE });
    const byHotline = [...ACCEPTED, envelope({ type: 'TicketResolved', data: { resolution: '已拆除', staffId: A.townshipAdmin.id, unitId: TOWNSHIP, callbackDueAt: CALLBACK_DUE, callbackBy: 'hotline' } }, th(20), A.townshipAdmin)];
    // The setting at the time of the callback does not matter: the task stays where the resolution put it.
    given(...byHotline).when(callback(true, 'satisfied'), { actor: A.countyHotline, at: th(25) })
      .then([{ type: 'CallbackRecorded', data: { reached: true, channel: 'phone', rating: 'satisfied', comment: '', attempt: 1, staffId: A.countyHotline.id, unitId: COUNTY } }]);
    given(...byHotline).when(callback(true, 'satisfied'), { actor: A.townshipAdmin, at: th(25) }).thenRejects('forbidden', 'callback_by_hotline');
    given(...byHotline).when(callback(true, 'satisfied'), { actor: A.otherCountyHotline, at: th(25) }).thenRejects('forbidden', 'outside_jurisdiction');
    given(...RESOLVED_CB).when(callback(true, 'satisfied'), { actor: A.countyHotline, at: th(25), settings: hotline }).thenRejects('forbidden', 'callback_by_first_responder');
    given(...byHotline).when({ type: 'RecordCallbackOverdue', dueAt: CALLBACK_DUE }, { actor: A.deadline, at: '2015-06-08T22:16:00.000Z' })
      .then([{ type: 'CallbackOverdue', data: { dueAt: CALLBACK_DUE, overdueAt: '2015-06-08T22:16:00.000Z', callbackBy: 'hotline', unitId: TOWNSHIP, attempts: 0 } }]);
  });

  it('only the first responder\'s unit calls back, only when a callback is owed', () => {
    given(...RESOLVED_CB).when(callback(true, 'satisfied'), { actor: A.otherTownshipAdmin, at: th(25) }).thenRejects('forbidden', 'not_holder');
    given(...RESOLVED_CB).when(callback(true, 'satisfied'), { actor: A.reporter, at: th(25) }).thenRejects('forbidden', 'role_not_allowed');
    given(...RESOLVED).when(callback(true, 'satisfied'), { actor: A.townshipAdmin, at: th(25) }).thenRejects('precondition', 'no_callback_due');
    given(...ACCEPTED).when(callback(true, 'satisfied'), { actor: A.townshipAdmin, at: th(25) }).thenRejects('precondition', 'invalid_status');
  });

  it('a rating gives the score or a level, and they must agree (5 very_satisfied … 1 very_dissatisfied)', () => {
    given(...RESOLVED_CB).when({ type: 'RateTicket', score: 0, comment: '', level: 'meh' }, { actor: A.reporter, at: th(21) }).thenRejects('invalid', 'invalid_level');
    given(...RESOLVED_CB).when({ type: 'RateTicket', score: 5, comment: '', level: 'dissatisfied' }, { actor: A.reporter, at: th(21) }).thenRejects('invalid', 'score_level_mismatch');
    expect([5, 4, 3, 2, 1].map((n) => levelOfScore(n))).toEqual(['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied']);
  });
});

// ---------------------------------------------------------------------------------------------------
// Issue 14 item 5: following an open ticket instead of reporting it again ("me too").
// ---------------------------------------------------------------------------------------------------

describe('FollowTicket ("me too")', () => {
  it('any other citizen follows an open ticket once; the reporter following its own changes nothing', () => {
    const state = given(...ACCEPTED).when({ type: 'FollowTicket' }, { actor: A.otherCitizen, at: th(1) })
      .then([{ type: 'TicketFollowed', data: { deviceId: A.otherCitizen.id } }]);
    expect(state.followers).toEqual([A.otherCitizen.id]);
    given(...ACCEPTED, envelope({ type: 'TicketFollowed', data: { deviceId: A.otherCitizen.id } }, th(1), A.otherCitizen))
      .when({ type: 'FollowTicket' }, { actor: A.otherCitizen, at: th(2) }).then([]);
    given(...ACCEPTED).when({ type: 'FollowTicket' }, { actor: A.reporter, at: th(1) }).then([]);
  });

  it('not a resolved or final ticket, and not by staff', () => {
    given(...RESOLVED).when({ type: 'FollowTicket' }, { actor: A.otherCitizen, at: th(21) }).thenRejects('precondition', 'invalid_status');
    given(...ACCEPTED, ev.rejected(th(2))).when({ type: 'FollowTicket' }, { actor: A.otherCitizen, at: th(3) }).thenRejects('precondition', 'invalid_status');
    given(...ACCEPTED).when({ type: 'FollowTicket' }, { actor: A.townshipAdmin, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
  });

  it('not a confidential report (issue 14 item 6: a follower would read it); its reporter following it changes nothing', () => {
    const submitted = ev.submitted();
    const confidential = { ...submitted, data: { ...submitted.data, visibility: 'confidential' } } as TicketEventEnvelope;
    const state = given(confidential, ev.routed(t(5)), ev.accepted(t(45))).state;
    expect(state.visibility).toBe('confidential');
    given(confidential, ev.routed(t(5)), ev.accepted(t(45))).when({ type: 'FollowTicket' }, { actor: A.otherCitizen, at: th(1) })
      .thenRejects('forbidden', 'confidential_ticket');
    given(confidential, ev.routed(t(5)), ev.accepted(t(45))).when({ type: 'FollowTicket' }, { actor: A.reporter, at: th(1) }).then([]);
  });
});

describe('visibility (issue 14 item 6, the field)', () => {
  it('records the reporter\'s choice; anything else is invalid', () => {
    const state = given().when({ ...submitCommand, visibility: 'confidential' }, { actor: A.reporter, at: T0 }).then([expect.objectContaining({ type: 'TicketSubmitted' })]);
    expect(state.visibility).toBe('confidential');
    given().when({ ...submitCommand, visibility: 'everyone' }, { actor: A.reporter, at: T0 }).thenRejects('invalid', 'invalid_visibility');
  });
});

// ---------------------------------------------------------------------------------------------------
// Issue 14 item 5: merging a duplicate into its lead ticket (并单).
// ---------------------------------------------------------------------------------------------------

describe('MergeTicket (并单)', () => {
  const LEAD = '01890000-0000-7000-8000-0000000000aa';
  const merge = (intoStatus = 'in_progress'): TicketCommand => ({ type: 'MergeTicket', intoTicketId: LEAD, intoReference: 'LS-2015-000099', intoStatus });
  const merged = { type: 'TicketMerged', data: { intoTicketId: LEAD, intoReference: 'LS-2015-000099' } } as const;

  it('the holding unit\'s admin merges an open ticket into an open lead: it ends as a duplicate pointing at the lead', () => {
    const state = given(...ACCEPTED).when(merge(), { actor: A.townshipAdmin, at: th(1) }).then([merged]);
    expect(state).toMatchObject({ status: 'duplicate', duplicateOf: LEAD, mergedInto: { ticketId: LEAD, reference: 'LS-2015-000099' }, closedAt: th(1) });
    // A retried merge into the same lead records nothing; any other command on it is refused as on any final ticket.
    given(...ACCEPTED, envelope(merged, th(1), A.townshipAdmin)).when(merge(), { actor: A.townshipAdmin, at: th(2) }).then([]);
    given(...ACCEPTED, envelope(merged, th(1), A.townshipAdmin)).when({ type: 'ResolveTicket', resolution: '已处理' }, { actor: A.townshipAdmin, at: th(2) })
      .thenRejects('precondition', 'invalid_status');
  });

  it('a supervisor of the area may merge, even before anyone accepted it; one outside it may not, nor a department or the reporter', () => {
    given(...ROUTED).when(merge('resolved'), { actor: A.countySupervisor, at: th(1) }).then([merged]);
    given(...SUBMITTED).when(merge(), { actor: A.prefectureSupervisor, at: t(1) }).then([merged]);
    given(...ACCEPTED).when(merge(), { actor: A.otherCountySupervisor, at: th(1) }).thenRejects('forbidden', 'outside_jurisdiction');
    given(...ACCEPTED).when(merge(), { actor: A.reporter, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
    given(...TRANSFERRED).when(merge(), { actor: A.department, at: th(1) }).thenRejects('forbidden', 'not_holder');
    given(...ACCEPTED).when(merge(), { actor: A.auditor, at: th(1) }).thenRejects('forbidden', 'read_only_role');
  });

  it('not into itself, nor into a missing or final lead, nor a ticket already resolved or final', () => {
    given(...ACCEPTED).when({ ...merge(), intoTicketId: SAMPLE_TICKET_ID } as TicketCommand, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'merge_into_itself');
    given(...ACCEPTED).when({ ...merge(), intoTicketId: '' } as TicketCommand, { actor: A.townshipAdmin, at: th(1) }).thenRejects('invalid', 'missing_into');
    given(...ACCEPTED).when(merge(''), { actor: A.townshipAdmin, at: th(1) }).thenRejects('not_found', 'merge_target_not_found');
    for (const final of ['closed', 'rejected', 'duplicate', 'withdrawn']) {
      given(...ACCEPTED).when(merge(final), { actor: A.townshipAdmin, at: th(1) }).thenRejects('precondition', 'merge_target_final');
    }
    given(...RESOLVED).when(merge(), { actor: A.townshipAdmin, at: th(21) }).thenRejects('precondition', 'invalid_status');
    given(...ACCEPTED, ev.rejected(th(2))).when(merge(), { actor: A.townshipAdmin, at: th(3) }).thenRejects('precondition', 'invalid_status');
  });

  it('not into a confidential lead (issue 14 item 6: the merged ticket\'s reporter would follow and read it)', () => {
    given(...ACCEPTED).when({ ...merge(), intoConfidential: true } as TicketCommand, { actor: A.townshipAdmin, at: th(1) })
      .thenRejects('precondition', 'merge_into_confidential');
  });

  it('on the lead, the service records the merge once: the duplicate\'s reporter follows it, in its own language', () => {
    const record: TicketCommand = {
      type: 'RecordMergedDuplicate', mergedTicketId: '01890000-0000-7000-8000-0000000000bb', mergedReference: 'LS-2015-000100',
      reporterDeviceId: A.otherCitizen.id, reporterLanguage: 'ii', staffId: A.townshipAdmin.id, unitId: TOWNSHIP,
    };
    const { type: _type, ...data } = record;
    const casework: ActorContext = { kind: 'system', id: 'casework' };
    const state = given(...ACCEPTED).when(record, { actor: casework, at: th(1) }).then([{ type: 'DuplicateMerged', data }]);
    expect(state.followers).toEqual([A.otherCitizen.id]);
    expect(state.followerLanguages).toEqual({ [A.otherCitizen.id]: 'ii' });
    expect(state.merged).toEqual([{ ticketId: data.mergedTicketId, reference: 'LS-2015-000100', at: th(1) }]);
    // Recorded once (a retried merge); staff may not record it themselves.
    given(...ACCEPTED, envelope({ type: 'DuplicateMerged', data }, th(1), casework)).when(record, { actor: casework, at: th(2) }).then([]);
    given(...ACCEPTED).when(record, { actor: A.townshipAdmin, at: th(1) }).thenRejects('forbidden', 'role_not_allowed');
    // The reporter of the lead itself (or a device already following) is not added twice; an officer's report adds no follower.
    const own = given(...ACCEPTED).when({ ...record, reporterDeviceId: A.reporter.id }, { actor: casework, at: th(1) })
      .then([{ type: 'DuplicateMerged', data: { ...data, reporterDeviceId: A.reporter.id } }]);
    expect(own.followers ?? []).toEqual([]);
    const officer = given(...ACCEPTED).when({ ...record, reporterDeviceId: '' }, { actor: casework, at: th(1) })
      .then([{ type: 'DuplicateMerged', data: { ...data, reporterDeviceId: '' } }]);
    expect(officer.followers ?? []).toEqual([]);
    expect(officer.merged).toHaveLength(1);
  });
});
