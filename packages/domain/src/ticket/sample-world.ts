import { type Division, DivisionIndex } from '../reference/divisions';
import { administrationUnitId, departmentUnitId, seededStaffId } from '../reference/units';
import type { ActorContext, DecideContext, TicketCommand, TicketCommandType, WorkflowSettings } from './commands';
import { DEFAULT_WORKFLOW_SETTINGS } from './commands';
import { decide } from './decide';
import type { TicketEvent } from './events';
import { evolve } from './evolve';
import { initialTicketState, type TicketState } from './state';

/*
 * The sample world: a small excerpt of the Liangshan hierarchy, its actors, a well-formed command of every
 * type for the sample ticket, and representative tickets (one or more per status) built by running real
 * commands through decide + evolve. The lifecycle table (transitions.ts) is derived by offering every
 * command to these tickets; `availableActions` (actions.ts) dry-runs its commands; the decider tests use
 * the same world. Pure: no I/O, no clock (every instant follows from the sample submission time).
 */

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
export function sampleVariants(type: TicketCommandType, state: TicketState, now: Date): TicketCommand[] {
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
export function sampleNow(type: TicketCommandType, actor: ActorContext, state: TicketState): Date {
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
