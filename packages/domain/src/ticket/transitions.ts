import { type Division, DivisionIndex } from '../reference/divisions';
import { administrationUnitId, departmentUnitId, seededStaffId } from '../reference/units';
import type { ActorContext, DecideContext, TicketCommand, TicketCommandType, WorkflowSettings } from './commands';
import { DEFAULT_WORKFLOW_SETTINGS } from './commands';
import { decide } from './decide';
import { type RejectionKind, TicketRejection } from './errors';
import type { TicketEvent, TicketEventType } from './events';
import { evolve } from './evolve';
import { type Grant, PERMISSIONS, holdsGrant, isAllowed } from './permissions';
import { slaChanges } from '../sla/leg-changes';
import { FINAL_STATUSES, initialTicketState, type TicketState, type TicketStatus } from './state';

/*
 * The status transition table, derived from the decider itself: a few representative tickets (one or
 * more per status, each built by running real commands through decide + evolve) are offered every
 * command by every kind of actor; whatever the decider accepts is a transition. Nothing here restates a
 * rule, so the table (and docs/ticket-lifecycle.md, rendered from it) cannot drift from the decider.
 * Pure: no I/O; scripts/gen-transitions.ts writes the file.
 */

/** Every status, in lifecycle order. */
export const TICKET_STATUSES: readonly TicketStatus[] = [
  'submitted', 'routed', 'in_progress', 'awaiting_information', 'resolved', 'closed', 'rejected', 'duplicate', 'withdrawn',
];

/** Every command type, in the order the table lists them. */
export const TICKET_COMMAND_TYPES: readonly TicketCommandType[] = [
  'SubmitTicket', 'RouteTicket', 'AcceptTicket', 'ReplyToTicket', 'AddInternalNote', 'TransferTicket', 'HandBackTicket',
  'RequestInformation', 'AddInformation', 'SetResolutionDeadline', 'ResolveTicket', 'VerifyResolution', 'CloseTicket',
  'ReopenTicket', 'RateTicket', 'RejectTicket', 'MarkDuplicate', 'WithdrawTicket', 'ReassignTicket', 'EscalateTicket',
  'IssueDeadlineWarning', 'RecordDeadlineBreach', 'AddAttachment', 'ReturnTicket', 'ReviewReturn', 'RecordCallback', 'FollowTicket',
  'MergeTicket', 'RecordMergedDuplicate', 'RecordCallbackOverdue',
];

/** What each status means (rendered into the docs). */
const STATUS_DESCRIPTIONS: Readonly<Record<TicketStatus, string>> = {
  submitted: 'Recorded (from the app, an Open311 client, the web or an officer submitting on someone\'s behalf); the routing service has not yet assigned it. Both SLA legs run from the submission time.',
  routed: 'Held by the administration unit responsible for its division (a village\'s township; a county or the prefecture at that level), waiting for an admin of that unit to accept it.',
  in_progress: 'Accepted and being handled. The first accept fixed the first responder (首问责任制); the work may since have been transferred to a department, handed back, escalated, reassigned or reopened.',
  awaiting_information: 'The handler asked the reporter for information (the question meets the first-response leg); the resolution leg is paused until the reporter answers through any channel, and its due time then moves later by the paused interval.',
  resolved: 'The handler says it is solved (the resolution leg stops). The reporter may confirm (close) or reopen within the objection window; after the window it closes automatically.',
  closed: 'Final: confirmed by the reporter, closed by staff, or closed automatically after the objection window. Only notes and a rating may still be added.',
  rejected: 'Final: refused (out of scope, abusive, other) with a reason.',
  duplicate: 'Final: the same problem is handled in another ticket (marked as its duplicate, or merged into it — 并单 — when its reporter then follows that ticket).',
  withdrawn: 'Final: the reporter withdrew the report.',
};

/** The HTTP route (gateway, REST /api/v1) or internal origin of each command. */
export const COMMAND_ROUTES: Readonly<Record<TicketCommandType, string>> = {
  SubmitTicket: 'POST /api/v1/tickets',
  RouteTicket: 'internal (routing service)',
  AcceptTicket: 'POST /api/v1/tickets/{id}/accept',
  ReplyToTicket: 'POST /api/v1/tickets/{id}/reply',
  AddInternalNote: 'POST /api/v1/tickets/{id}/notes',
  TransferTicket: 'POST /api/v1/tickets/{id}/transfer',
  HandBackTicket: 'POST /api/v1/tickets/{id}/handback',
  RequestInformation: 'POST /api/v1/tickets/{id}/request-information',
  AddInformation: 'POST /api/v1/tickets/{id}/information',
  SetResolutionDeadline: 'POST /api/v1/tickets/{id}/deadline',
  ResolveTicket: 'POST /api/v1/tickets/{id}/resolve',
  VerifyResolution: 'POST /api/v1/tickets/{id}/verify',
  CloseTicket: 'POST /api/v1/tickets/{id}/close',
  ReopenTicket: 'POST /api/v1/tickets/{id}/reopen',
  RateTicket: 'POST /api/v1/tickets/{id}/rating',
  RejectTicket: 'POST /api/v1/tickets/{id}/reject',
  MarkDuplicate: 'POST /api/v1/tickets/{id}/duplicate',
  WithdrawTicket: 'POST /api/v1/tickets/{id}/withdraw',
  ReassignTicket: 'POST /api/v1/tickets/{id}/reassign',
  EscalateTicket: 'POST /api/v1/tickets/{id}/escalate',
  IssueDeadlineWarning: 'internal (deadline service)',
  RecordDeadlineBreach: 'internal (deadline service)',
  AddAttachment: 'POST /api/v1/tickets/{id}/attachments',
  ReturnTicket: 'POST /api/v1/tickets/{id}/return',
  ReviewReturn: 'POST /api/v1/tickets/{id}/return-review',
  RecordCallback: 'POST /api/v1/tickets/{id}/callback',
  FollowTicket: 'POST /api/v1/tickets/{id}/follow',
  MergeTicket: 'POST /api/v1/tickets/{id}/merge',
  RecordMergedDuplicate: 'internal (casework, after a merge)',
  RecordCallbackOverdue: 'internal (deadline service)',
};

/** Who a permission grant (ticket/permissions.ts) names, in words. */
const GRANT_LABELS: Readonly<Record<Grant, string>> = {
  submitter: 'citizen, Open311 client, information officer or admin',
  reporter: 'the reporter (device, submitting officer or submitting Open311 client)',
  holder: 'staff of the holding unit',
  holderAdmin: 'admin of the holding unit',
  holderDepartment: 'department staff of the holding unit',
  firstResponderUnit: 'admin of the first responder\'s unit',
  supervisor: 'supervisor whose jurisdiction contains the ticket',
  system: 'system',
  returnReviewer: 'admin of the unit that transferred the returned ticket',
  citizen: 'any citizen (device)',
  callbackUnit: 'admin of the first responder\'s unit, when the callback is the first responder\'s (default)',
  hotline: 'hotline staff whose jurisdiction contains the ticket, when its callback went to the hotline (`TONGBAN_CALLBACK_BY=hotline`)',
};

/** A small excerpt of the real Liangshan hierarchy (2023 codes) that the sample tickets live in. */
export const SAMPLE_DIVISIONS: readonly Division[] = [
  { code: '5134', name: '凉山彝族自治州', level: 'prefecture', parent: null },
  { code: '513431', name: '昭觉县', level: 'county', parent: '5134' },
  { code: '513434', name: '越西县', level: 'county', parent: '5134' },
  { code: '513434114', name: '马拖镇', level: 'township', parent: '513434' },
  { code: '513434114203', name: '大河村村民委员会', level: 'village', parent: '513434114' },
  { code: '513437', name: '雷波县', level: 'county', parent: '5134' },
  { code: '513437100', name: '锦城镇', level: 'township', parent: '513437' },
  { code: '513437100001', name: '第一社区居民委员会', level: 'village', parent: '513437100' },
];

/** The sample hierarchy as an index (jurisdiction lookups for the sample tickets). */
export const SAMPLE_DIVISION_INDEX = new DivisionIndex(SAMPLE_DIVISIONS);

function staff(role: NonNullable<ActorContext['role']>, unitId: string, unitDivision: string, unitKind: 'administration' | 'department' = 'administration'): ActorContext {
  const unitLevel = SAMPLE_DIVISION_INDEX.get(unitDivision)?.level;
  return { kind: 'staff', id: seededStaffId(unitId, role), role, unitId, unitKind, unitDivision, ...(unitLevel ? { unitLevel } : {}) };
}

/**
 * The actors of the sample world. The sample ticket is reported from the app by `reporter` at a village
 * of 锦城镇 (雷波县), so it is routed to the township administration, whose `townshipAdmin` accepts it.
 */
export const SAMPLE_ACTORS = {
  reporter: { kind: 'citizen', id: 'device-0001' },
  otherCitizen: { kind: 'citizen', id: 'device-0002' },
  informationOfficer: staff('information-officer', administrationUnitId('513437100'), '513437100'),
  townshipAdmin: staff('admin', administrationUnitId('513437100'), '513437100'),
  otherTownshipAdmin: staff('admin', administrationUnitId('513434114'), '513434114'),
  department: staff('department', departmentUnitId('513437', 'housing-construction'), '513437', 'department'),
  otherDepartment: staff('department', departmentUnitId('513437', 'transport'), '513437', 'department'),
  countyAdmin: staff('admin', administrationUnitId('513437'), '513437'),
  countySupervisor: staff('supervisor', administrationUnitId('513437'), '513437'),
  otherCountySupervisor: staff('supervisor', administrationUnitId('513431'), '513431'),
  prefectureSupervisor: staff('supervisor', administrationUnitId('5134'), '5134'),
  auditor: staff('auditor', administrationUnitId('5134'), '5134'),
  countyHotline: staff('hotline', administrationUnitId('513437'), '513437'),
  otherCountyHotline: staff('hotline', administrationUnitId('513431'), '513431'),
  routing: { kind: 'system', id: 'routing' },
  deadline: { kind: 'system', id: 'deadline' },
} as const satisfies Record<string, ActorContext>;

/** Name of a sample actor. */
export type SampleActorName = keyof typeof SAMPLE_ACTORS;

/** The sample ticket's id. */
export const SAMPLE_TICKET_ID = '01890000-0000-7000-8000-000000000001';

/** Submission time of the sample ticket (2015-06-03 10:15 in Asia/Shanghai). */
export const SAMPLE_SUBMITTED_AT = '2015-06-03T02:15:00.000Z';

/** The decide context for a sample actor at an instant (default settings unless given, sample jurisdiction). */
export function sampleContext(actor: ActorContext, now: Date | string, settings: Partial<WorkflowSettings> = {}): DecideContext {
  return {
    now: typeof now === 'string' ? new Date(now) : now,
    actor,
    isWithin: (code, ancestor) => SAMPLE_DIVISION_INDEX.isWithin(code, ancestor),
    settings: { ...DEFAULT_WORKFLOW_SETTINGS, ...settings },
  };
}

/** The administration unit one level above a unit of the sample world ('' at the prefecture). */
export function supervisingUnitOf(unitId: string): string {
  const department = /^dep-(\d+)-/.exec(unitId);
  if (department?.[1]) return administrationUnitId(department[1]);
  const code = unitId.startsWith('adm-') ? unitId.slice(4) : '';
  const parent = SAMPLE_DIVISION_INDEX.get(code)?.parent;
  return parent ? administrationUnitId(parent) : '';
}

/**
 * A well-formed command of a type for the sample ticket in `state` at `now` (targets chosen so that
 * they differ from the current holder; SLA commands name the leg that is currently running).
 */
export function sampleCommand(type: TicketCommandType, state: TicketState, now: Date): TicketCommand {
  const ms = now.getTime();
  switch (type) {
    case 'SubmitTicket':
      return {
        type, ticketId: SAMPLE_TICKET_ID, reference: 'LS-2015-000001', serviceCode: 'dangerous-structure', division: '513437100001',
        title: '西街30号围墙成危墙', description: '接连几次暴雨后，围墙出现裂缝、向外倾斜。', address: '雷波县锦城镇西街30号', channel: 'app',
        reporter: { deviceId: SAMPLE_ACTORS.reporter.id, staffId: '', unitId: '', accountId: '', name: '', phone: '', email: '' },
        attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75, urgencyClass: 'emergency', policySet: 'default', requestType: 'help', signForHours: 0.25 },
      };
    case 'RouteTicket':
      return { type, unitId: administrationUnitId('513437100'), division: '513437100', suggestedDepartment: 'housing-construction' };
    case 'AcceptTicket':
      return { type };
    case 'ReplyToTicket':
      return { type, message: '已收到，明天到现场处置。', public: true };
    case 'AddInternalNote':
      return { type, text: '已电话联系县规建局。' };
    case 'TransferTicket': {
      const department = state.holderUnitId === departmentUnitId('513437', 'housing-construction') ? 'transport' : 'housing-construction';
      return { type, toUnitId: departmentUnitId('513437', department), department, reason: '危墙拆除需规建部门现场处置' };
    }
    case 'HandBackTicket':
      return { type, findings: '已会同锦城镇将危墙拆除。' };
    case 'RequestInformation':
      return { type, question: '围墙的具体位置？' };
    case 'AddInformation':
      return { type, text: '西街30号后院。', channel: 'app' };
    case 'SetResolutionDeadline':
      return { type, dueAt: new Date(ms + 5 * 86_400_000).toISOString(), reason: '需要施工，三天内无法完成' };
    case 'ResolveTicket':
      return { type, resolution: '危墙已拆除。' };
    case 'VerifyResolution':
      return { type, method: 'visit', note: '现场查看，已拆除。' };
    case 'CloseTicket':
      return { type, reason: '' };
    case 'ReopenTicket':
      return { type, reason: '围墙又出现裂缝。' };
    case 'RateTicket':
      return { type, score: 5, comment: '' };
    case 'RejectTicket':
      return { type, category: 'out-of-scope', reason: '不属于受理范围' };
    case 'MarkDuplicate':
      return { type, ofTicketId: '01890000-0000-7000-8000-000000000002' };
    case 'MergeTicket':
      return { type, intoTicketId: '01890000-0000-7000-8000-000000000002', intoReference: 'LS-2015-000002', intoStatus: 'in_progress' };
    case 'RecordMergedDuplicate':
      return {
        type, mergedTicketId: '01890000-0000-7000-8000-000000000003', mergedReference: 'LS-2015-000003', reporterDeviceId: SAMPLE_ACTORS.otherCitizen.id,
        reporterLanguage: 'zh-Hans', staffId: SAMPLE_ACTORS.townshipAdmin.id, unitId: administrationUnitId('513437100'),
      };
    case 'WithdrawTicket':
      return { type, reason: '' };
    case 'AddAttachment':
      return { type, sha256: 'a1'.repeat(32), contentType: 'image/jpeg', size: 182_400 };
    case 'ReassignTicket':
      return { type, toUnitId: administrationUnitId('513437'), toUnitDivision: '513437', toStaffId: '', reason: '由县里直接办理' };
    case 'EscalateTicket':
      return { type, toUnitId: supervisingUnitOf(state.holderUnitId), reason: '督办', automatic: false };
    case 'ReturnTicket':
      return { type, reasonCode: 'wrong_place', reason: '该地址属西宁镇', legalBasis: '' };
    case 'RecordCallback':
      return { type, reached: true, channel: 'phone', rating: 'satisfied', comment: '' };
    case 'FollowTicket':
      return { type };
    case 'RecordCallbackOverdue':
      return { type, dueAt: state.callback?.dueAt ?? '' };
    case 'ReviewReturn':
      return { type, approve: true, toUnitId: administrationUnitId('513437'), toUnitDivision: '513437', reason: '' };
    case 'IssueDeadlineWarning':
    case 'RecordDeadlineBreach': {
      const fr = state.sla.firstResponse;
      const leg = fr && !fr.stoppedAt ? 'first_response' : 'resolution';
      const dueAt = (leg === 'first_response' ? fr : state.sla.resolution)?.dueAt ?? '';
      return { type, leg, dueAt };
    }
  }
}

/**
 * The sample commands of a type: the well-formed one of sampleCommand, plus the variants whose outcome
 * differs (issue 14 item 4: a dissatisfied rating or callback sends the ticket back for rectification; an
 * unreached callback is only recorded).
 */
function sampleVariants(type: TicketCommandType, state: TicketState, now: Date): TicketCommand[] {
  const base = sampleCommand(type, state, now);
  switch (base.type) {
    case 'RateTicket': return [base, { ...base, score: 0, level: 'dissatisfied', comment: '还在漏水' }];
    case 'RecordCallback': return [base, { ...base, rating: 'very_dissatisfied' }, { ...base, reached: false, rating: '' }];
    default: return [base];
  }
}

/**
 * The instant at which a sample command is offered: an hour after the ticket's last event, except where
 * the rule is about time (an automatic close after the objection window; a breach after the due time).
 */
function sampleNow(type: TicketCommandType, actor: ActorContext, state: TicketState): Date {
  const last = Date.parse(state.updatedAt || SAMPLE_SUBMITTED_AT);
  if (type === 'SubmitTicket') return new Date(SAMPLE_SUBMITTED_AT);
  if (type === 'CloseTicket' && actor.kind === 'system' && state.resolvedAt) {
    return new Date(Date.parse(state.resolvedAt) + DEFAULT_WORKFLOW_SETTINGS.autoCloseDays * 86_400_000 + 60_000);
  }
  if (type === 'RecordCallbackOverdue' && state.callback) return new Date(Math.max(last, Date.parse(state.callback.dueAt)) + 60_000);
  if (type === 'RecordDeadlineBreach') {
    const command = sampleCommand(type, state, new Date(last));
    const due = 'dueAt' in command ? Date.parse(command.dueAt) : Number.NaN;
    if (Number.isFinite(due)) return new Date(Math.max(last, due) + 60_000);
  }
  return new Date(last + 3_600_000);
}

/** Runs one command through decide and evolve, as a service would; throws the rejection, if any. */
export function applyCommand(state: TicketState, command: TicketCommand, ctx: DecideContext): { state: TicketState; events: TicketEvent[] } {
  const events = decide(command, state, ctx);
  const at = ctx.now.toISOString();
  const actor = { kind: ctx.actor.kind, id: ctx.actor.id, ...(ctx.actor.unitId ? { unitId: ctx.actor.unitId } : {}) };
  const next = events.reduce((s, e) => evolve(s, { ...e, occurredAt: at, actor }), state);
  return { state: next, events };
}

/** A representative ticket: a name, the steps (actor, command type) that bring it into its status, and the workflow settings they run with (default: the defaults). */
export interface SampleScenario {
  name: string;
  steps: readonly (readonly [SampleActorName, TicketCommandType])[];
  settings?: Partial<WorkflowSettings>;
}

const ACCEPTED = [['reporter', 'SubmitTicket'], ['routing', 'RouteTicket'], ['townshipAdmin', 'AcceptTicket']] as const;
const TRANSFERRED = [...ACCEPTED, ['townshipAdmin', 'TransferTicket']] as const;
const RESOLVED = [...ACCEPTED, ['townshipAdmin', 'ResolveTicket']] as const;

/** The representative tickets the table is derived from (several per status where the holder matters). */
export const SAMPLE_SCENARIOS: readonly SampleScenario[] = [
  { name: 'submitted', steps: [['reporter', 'SubmitTicket']] },
  { name: 'routed to the township', steps: [['reporter', 'SubmitTicket'], ['routing', 'RouteTicket']] },
  { name: 'accepted by the township', steps: ACCEPTED },
  { name: 'transferred to a county department', steps: TRANSFERRED },
  { name: 'escalated to the county', steps: [...ACCEPTED, ['countySupervisor', 'EscalateTicket']] },
  { name: 'awaiting information (township)', steps: [...ACCEPTED, ['townshipAdmin', 'RequestInformation']] },
  { name: 'awaiting information (department)', steps: [...TRANSFERRED, ['department', 'RequestInformation']] },
  { name: 'awaiting information, escalated to the county', steps: [...ACCEPTED, ['townshipAdmin', 'RequestInformation'], ['countySupervisor', 'EscalateTicket']] },
  { name: 'resolved', steps: RESOLVED },
  { name: 'resolved, its callback to the hotline', steps: RESOLVED, settings: { callbackBy: 'hotline' } },
  { name: 'resolved by a department', steps: [...TRANSFERRED, ['department', 'ResolveTicket']] },
  { name: 'closed', steps: [...RESOLVED, ['reporter', 'CloseTicket']] },
  { name: 'rejected', steps: [...ACCEPTED, ['townshipAdmin', 'RejectTicket']] },
  { name: 'duplicate', steps: [['reporter', 'SubmitTicket'], ['routing', 'RouteTicket'], ['townshipAdmin', 'MarkDuplicate']] },
  { name: 'withdrawn', steps: [['reporter', 'SubmitTicket'], ['routing', 'RouteTicket'], ['reporter', 'WithdrawTicket']] },
  { name: 'returned by the township, awaiting review', steps: [['reporter', 'SubmitTicket'], ['routing', 'RouteTicket'], ['townshipAdmin', 'ReturnTicket']] },
  { name: 'returned by a department, awaiting review', steps: [...TRANSFERRED, ['department', 'ReturnTicket']] },
];

/**
 * The ticket state of a scenario, built by running its steps through decide + evolve.
 * @throws TicketRejection when a step is refused, or Error when a step has no effect (a broken scenario).
 */
export function buildScenario(scenario: SampleScenario): TicketState {
  let state = initialTicketState();
  for (const [name, type] of scenario.steps) {
    const actor = SAMPLE_ACTORS[name];
    const now = sampleNow(type, actor, state);
    const result = applyCommand(state, sampleCommand(type, state, now), sampleContext(actor, now, scenario.settings));
    if (result.events.length === 0) throw new Error(`scenario "${scenario.name}": ${type} had no effect`);
    state = result.state;
  }
  return state;
}

/** Rejection reason in the table when no actor holds a grant for the command in that status. */
const NOBODY_ALLOWED = 'nobody_allowed';

/** The status before the first event: the ticket does not exist yet. */
export const NEW_TICKET = 'new' as const;

/** Outcome of a command in a status. */
export type TransitionOutcome =
  | {
      kind: 'allowed';
      /** Resulting status(es) (one unless the representative tickets of the status disagree). */
      to: readonly TicketStatus[];
      /** Event types recorded. */
      events: readonly TicketEventType[];
      /** Grants (ticket/permissions.ts) held by the actors for whom it succeeded. */
      grants: readonly Grant[];
      /** What it did to the SLA legs: leg label → changes in words (sla/leg-changes.ts), over every sample ticket. */
      sla: Readonly<Record<string, readonly string[]>>;
    }
  /** Accepted with no event (already in effect; e.g. routing a ticket that is already routed). */
  | { kind: 'no_effect' }
  /**
   * Refused: the reason an allowed actor gets; when no actor is allowed, a reason every actor gets
   * (e.g. not_routed), else forbidden `nobody_allowed`.
   */
  | { kind: 'rejected'; rejection: { kind: RejectionKind; reason: string } };

/** One cell of the transition table. */
export interface Transition {
  from: TicketStatus | typeof NEW_TICKET;
  command: TicketCommandType;
  outcome: TransitionOutcome;
}

/**
 * Derives the full status × command table from the decider: for every representative ticket and every
 * command, every sample actor runs a well-formed command through decide and evolve. A (status, command)
 * pair is allowed when it recorded events for at least one actor in at least one representative ticket
 * of that status; otherwise the rejection is reported (see TransitionOutcome).
 * @throws Error when an actor that the permission table does not allow recorded events (a decider bug).
 */
export function deriveTransitions(): Transition[] {
  const states: { from: Transition['from']; state: TicketState }[] = [
    { from: NEW_TICKET, state: initialTicketState() },
    ...SAMPLE_SCENARIOS.map((s) => {
      const state = buildScenario(s);
      return { from: state.status, state };
    }),
  ];
  const froms: Transition['from'][] = [NEW_TICKET, ...TICKET_STATUSES];
  const actors: ActorContext[] = Object.values(SAMPLE_ACTORS);
  const table: Transition[] = [];
  for (const from of froms) {
    for (const command of from === NEW_TICKET ? (['SubmitTicket'] as const) : TICKET_COMMAND_TYPES) {
      const to = new Set<TicketStatus>();
      const events = new Set<TicketEventType>();
      const grants = new Set<Grant>();
      const sla = new Map<string, Set<string>>();
      let noEffect = false;
      const refusals: { allowed: boolean; rejection: { kind: RejectionKind; reason: string } }[] = [];
      for (const { state } of states.filter((s) => s.from === from)) {
        for (const actor of actors) {
          const now = sampleNow(command, actor, state);
          const ctx = sampleContext(actor, now);
          const allowed = isAllowed(command, actor, state, ctx);
          for (const sample of sampleVariants(command, state, now)) try {
            const result = applyCommand(state, sample, ctx);
            if (!allowed && result.events.length > 0) throw new Error(`${command} by a forbidden actor recorded events`);
            if (result.events.length === 0) { noEffect ||= allowed; continue; }
            to.add(result.state.status);
            for (const e of result.events) events.add(e.type);
            for (const g of PERMISSIONS[command]) if (holdsGrant(g, actor, state, ctx)) grants.add(g);
            for (const [leg, changes] of Object.entries(slaChanges(state.sla, result.state.sla))) {
              for (const c of changes) sla.set(leg, (sla.get(leg) ?? new Set()).add(c));
            }
          } catch (error) {
            if (!(error instanceof TicketRejection)) throw error;
            refusals.push({ allowed, rejection: { kind: error.kind, reason: error.reason } });
          }
        }
      }
      // The reason to show: what an allowed actor is told; else a reason that holds for everyone (e.g.
      // not_routed); else nobody holds a grant for it in this status.
      const rejection = refusals.find((r) => r.allowed)?.rejection
        ?? refusals.find((r) => r.rejection.kind !== 'forbidden')?.rejection
        ?? { kind: 'forbidden' as const, reason: NOBODY_ALLOWED };
      const outcome: TransitionOutcome = to.size > 0
        ? {
          kind: 'allowed', to: TICKET_STATUSES.filter((s) => to.has(s)), events: [...events].sort(), grants: PERMISSIONS[command].filter((g) => grants.has(g)),
          sla: Object.fromEntries([...sla].map(([leg, changes]) => [leg, [...changes]])),
        }
        : noEffect ? { kind: 'no_effect' } : { kind: 'rejected', rejection };
      table.push({ from, command, outcome });
    }
  }
  return table;
}

/** Only the allowed transitions of a table (default: the derived one). */
export function allowedTransitions(table: readonly Transition[] = deriveTransitions()): (Transition & { outcome: Extract<TransitionOutcome, { kind: 'allowed' }> })[] {
  return table.filter((t): t is Transition & { outcome: Extract<TransitionOutcome, { kind: 'allowed' }> } => t.outcome.kind === 'allowed');
}

function code(text: string): string {
  return `\`${text}\``;
}

function refusal(outcome: TransitionOutcome): string {
  if (outcome.kind === 'no_effect') return 'no event';
  if (outcome.kind !== 'rejected') return '';
  return outcome.rejection.reason === NOBODY_ALLOWED ? 'no one may' : `${outcome.rejection.kind}: ${outcome.rejection.reason}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * The "Time limits" section: per command, what its events do to each SLA leg (the union over every status
 * and sample ticket where it was allowed; a change that cannot apply — meeting a leg already met — is
 * simply absent there).
 */
function renderTimeLimits(table: readonly Transition[]): string[] {
  const rows = new Map<TicketCommandType, { events: Set<string>; sla: Map<string, Set<string>> }>();
  for (const t of allowedTransitions(table)) {
    const row = rows.get(t.command) ?? { events: new Set<string>(), sla: new Map<string, Set<string>>() };
    rows.set(t.command, row);
    for (const e of t.outcome.events) row.events.add(e);
    for (const [leg, changes] of Object.entries(t.outcome.sla)) for (const c of changes) row.sla.set(leg, (row.sla.get(leg) ?? new Set()).add(c));
  }
  const legs = [...new Set([...rows.values()].flatMap((r) => [...r.sla.keys()]))];
  const affecting = TICKET_COMMAND_TYPES.filter((c) => (rows.get(c)?.sla.size ?? 0) > 0);
  return [
    '## Time limits',
    '',
    'Every ticket has SLA legs (the policy snapshot of its submission: by default a first response within 24 h and a',
    'resolution within 72 h, on its calendar). The first-response leg is met by the unit\'s first message to the reporter:',
    'a public reply, a question (request for information), an announced resolution deadline, or the resolution. Waiting on',
    'the reporter pauses the resolution leg; the answer resumes it with its due time moved later by the pause. A running',
    'leg is warned at its warning fraction and breached at its due time (with an automatic escalation; see',
    'services/deadline/README.md); a met or paused leg is neither. The table lists what each command\'s events do to the',
    'legs, derived like the transitions above; commands not listed leave the legs alone.',
    '',
    'The sign-for leg (签收, issue 14 item 2) is the receiving unit\'s: it starts when a unit that has not yet accepted the',
    'ticket receives it (routed, transferred, escalated or reassigned to it) and is met by that unit\'s accept; its limit is',
    'the urgency class\'s (default set: emergency 15 min, utilities 30 min, general 1 working day). A missed sign-for is',
    'recorded as `SignForBreached` and escalates like a breach; it has no warning, and it never moves the citizen\'s legs,',
    'which run from the submission whatever the units do. Tickets whose policy snapshot has no sign-for limit have no',
    'such leg. The samples below are an emergency ticket of the default set.',
    '',
    'The callback (回访, issue 14 item 4) owed after each resolution is due ' + `${DEFAULT_WORKFLOW_SETTINGS.callbackDueWorkingDays}` + ' working days later',
    '(`TONGBAN_CALLBACK_DUE_DAYS`, on `cn-working-days`); it goes to the first responder\'s unit, or to the hotline staff of',
    'the area when `TONGBAN_CALLBACK_BY=hotline` (snapshotted in `TicketResolved.callbackBy`). When none was recorded by',
    'then, the deadline service records `CallbackOverdue` once (`RecordCallbackOverdue`); a later callback is still',
    'accepted. It never moves the citizen\'s legs.',
    '',
    `| command | events | ${legs.join(' | ')} |`,
    `| --- | --- | ${legs.map(() => '---').join(' | ')} |`,
    ...affecting.map((c) => {
      const row = rows.get(c);
      const cells = legs.map((leg) => [...(row?.sla.get(leg) ?? [])].join('; ') || '—');
      return `| ${code(c)} | ${[...(row?.events ?? [])].sort().map(code).join(', ')} | ${cells.join(' | ')} |`;
    }),
  ];
}

/**
 * Renders docs/ticket-lifecycle.md from a transition table (default: the derived one): the statuses, one
 * table of every allowed transition (from, command, HTTP route, who may, to, events), and per status the
 * commands the decider refuses with their reasons.
 */
export function renderLifecycleMarkdown(table: readonly Transition[] = deriveTransitions()): string {
  const lines: string[] = [];
  const days = DEFAULT_WORKFLOW_SETTINGS.autoCloseDays;
  lines.push(
    '# Ticket lifecycle',
    '',
    '<!-- Generated by `npx tsx scripts/gen-transitions.ts` from the decider (packages/domain/src/ticket/transitions.ts).',
    '     Do not edit by hand: a unit test regenerates it and fails when it differs from this file. -->',
    '',
    'A ticket is one event stream; its status is what `evolve` makes of the events, and which command is accepted in',
    'which status is what `decide` says. The table below was produced by running every command, by every kind of actor,',
    'against representative tickets in every status (built by real commands), so it is the decider\'s behaviour, not a',
    'description of it.',
    '',
    '## Statuses',
    '',
    '| status | final | meaning |',
    '| --- | --- | --- |',
    ...TICKET_STATUSES.map((s) => `| ${code(s)} | ${FINAL_STATUSES.includes(s) ? 'yes' : 'no'} | ${cell(STATUS_DESCRIPTIONS[s])} |`),
    '',
    '## Transitions',
    '',
    `Every allowed transition. "${NEW_TICKET}" is a ticket that does not exist yet. A transition to the same status records`,
    'its event without changing the status. Who may: the grants of `ticket/permissions.ts` under which the command',
    `succeeded; auditors never appear (they read, never write). Workflow settings: objection window ${days} days, extensions`,
    `capped at ${DEFAULT_WORKFLOW_SETTINGS.maxExtensionHours} hours in total.`,
    '',
    '| from | command | HTTP route | who may | to | events |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const t of allowedTransitions(table)) {
    const who = t.outcome.grants.map((g) => GRANT_LABELS[g]).join('; ');
    const to = t.outcome.to.map(code).join(' or ');
    lines.push(`| ${code(t.from)} | ${code(t.command)} | ${cell(COMMAND_ROUTES[t.command])} | ${cell(who)} | ${to} | ${t.outcome.events.map(code).join(', ')} |`);
  }
  lines.push(
    '',
    '## Refused',
    '',
    'Everything else is refused with a typed reason (HTTP: invalid → 400, forbidden → 403, precondition → 409, not_found',
    '→ 404) and leaves the stream unchanged. "no event": accepted as already in effect (idempotent), nothing recorded;',
    '"no one may": no role holds a grant for it in that status (403 for everyone).',
    '',
    '| status | refused commands (kind: reason) |',
    '| --- | --- |',
  );
  for (const from of TICKET_STATUSES) {
    const refused = table
      .filter((t) => t.from === from && t.outcome.kind !== 'allowed')
      .map((t) => `${code(t.command)} (${refusal(t.outcome)})`);
    lines.push(`| ${code(from)} | ${refused.length > 0 ? refused.join(', ') : '—'} |`);
  }
  lines.push('', ...renderTimeLimits(table), '');
  return lines.join('\n');
}
