/**
 * A realistic ticket life, driven through the real decider: each step is a TicketCommand run by a
 * {@link CommandRunner} (the production TicketExecutor, or an in-memory runner using the same
 * `decide`/`evolve`), at a simulated instant. Between steps the deadline service's timers fire
 * (warnings, breaches, the automatic escalation after a first breach, automatic close), so late answers
 * leave the same events they leave in production. Nothing happens after `now`.
 *
 * The mix (per ticket): 70% app, 20% proxy submissions by a village officer, 10% Open311; 4% rejected,
 * withdrawn or duplicate early; first replies mostly within hours, ~15% late; ~35% of tickets with a
 * suggested department are transferred (some handed back); 8% wait on information; 7% get an announced
 * deadline; resolutions mostly within 3 days, some late; 3% reopened; 60% rated (mostly 4–5); closed by
 * the reporter or automatically after the objection window.
 */
import {
  type ActorContext, FINAL_STATUSES, type TicketCommand, type TicketState, administrationUnitId, findService, seededStaffId, warningAt,
} from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import type { Prng } from './prng';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Options of a command run (metadata the services would record). */
export interface RunOptions {
  channel: string;
  onBehalfOf?: string;
  /** Producing service (intake, routing, casework, deadline). */
  service: string;
  correlationId: string;
}

/** Runs one command on one ticket at an instant; resolves with the state after it, or null when the decider refused. */
export interface CommandRunner {
  run(ticketId: string, command: TicketCommand, actor: ActorContext, at: Date, options: RunOptions): Promise<TicketState | null>;
}

/** What the generator needs to know. */
export interface SimulationContext {
  ref: ReferenceData;
  runner: CommandRunner;
  /** The end of simulated time: no step happens after it. */
  now: Date;
}

/** A uuid (version 7 layout) from a timestamp and random bytes (deterministic with a seeded PRNG). */
export function uuidAt(ms: number, rnd: Uint8Array): string {
  const b = Uint8Array.from(rnd);
  let t = Math.floor(ms);
  for (let i = 5; i >= 0; i--) { b[i] = t % 256; t = Math.floor(t / 256); }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const placesCache = new WeakMap<ReferenceData, { villages: string[]; townships: string[]; counties: string[] }>();

/** The divisions tickets are reported in: villages mostly, some townships and counties. */
function reportDivisions(ref: ReferenceData): { villages: string[]; townships: string[]; counties: string[] } {
  const cached = placesCache.get(ref);
  if (cached) return cached;
  const all = ref.divisions.all();
  const places = {
    villages: all.filter((d) => d.level === 'village').map((d) => d.code),
    townships: all.filter((d) => d.level === 'township').map((d) => d.code),
    counties: all.filter((d) => d.level === 'county').map((d) => d.code),
  };
  placesCache.set(ref, places);
  return places;
}

const weightsCache = new WeakMap<ReferenceData, (readonly [ReferenceData['catalogue']['services'][number], number])[]>();
function serviceWeights(ref: ReferenceData) {
  let w = weightsCache.get(ref);
  if (!w) weightsCache.set(ref, (w = ref.catalogue.services.map((s) => [s, s.department ? 3 : 1] as const)));
  return w;
}

const SURNAMES = ['张', '王', '李', '阿', '吉', '马', '沙', '曲', '罗', '杨'];
const GIVEN = ['伟', '芳', '秀英', '布', '莫', '日', '古', '拉', '军', '华'];

function staff(ref: ReferenceData, unitId: string, role: 'admin' | 'department' | 'information-officer', division?: string): ActorContext {
  const unit = ref.unitsById.get(unitId);
  if (!unit) throw new Error(`unknown unit ${unitId}`);
  return { kind: 'staff', id: seededStaffId(unitId, role), role, unitId, unitKind: unit.kind, unitDivision: division ?? unit.division, unitLevel: unit.level };
}

const SYSTEM_DEADLINE: ActorContext = { kind: 'system', id: 'deadline' };
const SYSTEM_ROUTING: ActorContext = { kind: 'system', id: 'routing' };

/**
 * Simulates one ticket submitted at `submittedAt` with number `seq` (reference LS-<year>-W<seq>).
 * Returns the final state (null when the submission itself was refused).
 */
export async function simulateTicket(ctx: SimulationContext, rng: Prng, seq: number, submittedAt: number): Promise<TicketState | null> {
  const { ref, runner } = ctx;
  const end = ctx.now.getTime();
  const places = reportDivisions(ref);
  const ticketId = uuidAt(submittedAt, rng.bytes16());
  const correlationId = ticketId;
  const service = rng.weighted(serviceWeights(ref));
  const division = rng.weighted([[() => rng.pick(places.villages), 80], [() => rng.pick(places.townships), 15], [() => rng.pick(places.counties), 5]] as const)();
  const channel = rng.weighted([['app', 70], ['proxy', 20], ['open311', 10]] as const);
  const township = ref.divisions.ancestorAt(division, 'township');
  const proxy = channel === 'proxy' && township !== undefined;
  const deviceId = `dev-${uuidAt(submittedAt, rng.bytes16()).slice(0, 13)}`;
  const name = rng.pick(SURNAMES) + rng.pick(GIVEN);
  const phone = `1${rng.int(30, 99)}${String(rng.int(0, 99_999_999)).padStart(8, '0')}`;
  const reporterActor: ActorContext = proxy
    ? staff(ref, administrationUnitId(township.code), 'information-officer', division)
    : channel === 'open311' ? { kind: 'open311', id: 'client-workload' } : { kind: 'citizen', id: deviceId };
  const reporterChannel = proxy ? 'proxy' : channel === 'open311' ? 'open311' : 'app';
  const year = new Date(submittedAt + 8 * HOUR).getUTCFullYear();
  const policy = ref.catalogue.slaPolicy;

  let state: TicketState | null = null;
  let t = submittedAt;
  let over = false;
  const step = async (command: TicketCommand, actor: ActorContext, wanted: number, svc: string, chan?: string): Promise<boolean> => {
    // Time only moves forward; once a step falls after `now`, the ticket's story ends there.
    const at = Math.max(wanted, command.type === 'SubmitTicket' ? wanted : t + 1000);
    if (over || at > end) {
      over = true;
      return false;
    }
    await fireTimers(at);
    if (state && FINAL_STATUSES.includes(state.status) && command.type !== 'RateTicket') return false;
    const next = await runner.run(ticketId, command, actor, new Date(at), {
      channel: chan ?? (actor.kind === 'staff' ? 'web' : actor.kind === 'system' ? 'system' : actor.kind === 'open311' ? 'open311' : 'app'),
      service: svc, correlationId, ...(command.type === 'SubmitTicket' && proxy ? { onBehalfOf: name } : {}),
    });
    if (next) {
      state = next;
      t = Math.max(t, at);
    }
    return next !== null;
  };
  /** The deadline service: warnings, breaches, escalation after the first breach, automatic close — up to `until`. */
  const attempted = new Set<string>();
  const fireTimers = async (until: number): Promise<void> => {
    for (let guard = 0; guard < 30 && state; guard++) {
      const s: TicketState = state;
      if (FINAL_STATUSES.includes(s.status)) return;
      const due: { at: number; command: TicketCommand }[] = [];
      if (s.status === 'resolved' && s.resolvedAt) {
        due.push({ at: Date.parse(s.resolvedAt) + 7 * DAY + rng.between(0, HOUR), command: { type: 'CloseTicket', reason: 'no objection within the window' } });
      } else if (s.status !== 'submitted') {
        for (const [legName, leg] of [['first_response', s.sla.firstResponse], ['resolution', s.sla.resolution]] as const) {
          if (!leg || leg.stoppedAt || leg.pausedAt) continue;
          if (!s.warnings.some((w) => w.leg === legName && w.dueAt === leg.dueAt)) {
            due.push({ at: Date.parse(warningAt(leg, s.policy.warnAtFraction)), command: { type: 'IssueDeadlineWarning', leg: legName, dueAt: leg.dueAt } });
          }
          if (!s.breaches.some((b) => b.leg === legName && b.dueAt === leg.dueAt)) {
            due.push({ at: Date.parse(leg.dueAt), command: { type: 'RecordDeadlineBreach', leg: legName, dueAt: leg.dueAt } });
          }
        }
        if (s.breaches.length > 0 && !s.escalations.some((e) => e.automatic)) {
          const to = ref.supervisingUnit(s.firstResponder?.unitId || s.routedUnitId);
          if (to && to.id !== s.holderUnitId) {
            due.push({ at: Date.parse(s.breaches[0]!.breachedAt), command: { type: 'EscalateTicket', toUnitId: to.id, reason: 'overdue', automatic: true } });
          }
        }
      }
      const key = (c: TicketCommand) => JSON.stringify(c);
      const next = due.filter((d) => d.at <= until && d.at <= end && !attempted.has(key(d.command))).sort((a, b) => a.at - b.at)[0];
      if (!next) return;
      attempted.add(key(next.command));
      const at = Math.max(next.at, t);
      const after = await runner.run(ticketId, next.command, SYSTEM_DEADLINE, new Date(at), { channel: 'system', service: 'deadline', correlationId });
      if (after && after.revision !== state.revision) {
        state = after;
        t = at;
      }
    }
  };

  // Submission and routing.
  const submitted = await step({
    type: 'SubmitTicket', ticketId, reference: `LS-${year}-W${String(seq).padStart(7, '0')}`, serviceCode: service.service_code, division,
    title: `${service.zh}问题`, description: `${ref.divisions.get(division)?.name ?? division}：${service.zh}，请尽快处理。`, address: '',
    channel: reporterChannel, reporter: {
      deviceId: reporterActor.kind === 'citizen' ? deviceId : '', staffId: proxy ? reporterActor.id : '', unitId: proxy ? reporterActor.unitId ?? '' : '',
      accountId: '', name: proxy ? '' : name, phone: proxy ? '' : phone, email: '',
    },
    ...(proxy ? { onBehalfOf: { name, contact: phone } } : {}),
    attributes: {}, mediaUrl: '',
    policy: { firstResponseHours: policy.firstResponseHours, resolutionHours: policy.resolutionHours, warnAtFraction: policy.warnAtFraction },
  }, reporterActor, submittedAt, 'intake', reporterChannel);
  if (!submitted) return null;
  const unit = ref.responsibleUnit(division)!;
  const suggested = findService(ref.catalogue, service.service_code)?.department ?? '';
  await step({ type: 'RouteTicket', unitId: unit.id, division: unit.division, suggestedDepartment: suggested }, SYSTEM_ROUTING, submittedAt + rng.between(200, 3000), 'routing', 'system');
  const admin = staff(ref, unit.id, 'admin');

  // Early ends.
  const early = rng.next();
  if (early < 0.015) {
    await step({ type: 'RejectTicket', category: 'out-of-scope', reason: '不属于受理范围' }, admin, t + rng.logNormal(3 * HOUR, 1), 'casework');
    return state;
  }
  if (early < 0.03) {
    await step({ type: 'WithdrawTicket', reason: '问题已自行解决' }, reporterActor, t + rng.logNormal(5 * HOUR, 1), 'intake');
    return state;
  }
  if (early < 0.04) {
    await step({ type: 'MarkDuplicate', ofTicketId: uuidAt(submittedAt - DAY, rng.bytes16()) }, admin, t + rng.logNormal(2 * HOUR, 1), 'casework');
    return state;
  }

  // Accept and first public reply (most on time, ~15% late).
  await step({ type: 'AcceptTicket' }, admin, t + rng.logNormal(1.5 * HOUR, 1.2), 'routing');
  const late = rng.chance(0.15);
  const replyAt = late ? submittedAt + rng.between(24.5, 60) * HOUR : Math.max(t + 60_000, submittedAt + Math.min(23.5 * HOUR, rng.logNormal(4 * HOUR, 1)));
  await step({ type: 'ReplyToTicket', message: '已收到，正在核实处理。', public: true }, admin, replyAt, 'casework');
  let holder = admin;

  // Transfer to the suggested department (some handed back).
  if (suggested && rng.chance(0.35)) {
    const dep = ref.departmentUnit(division, suggested);
    if (dep) {
      const moved = await step({ type: 'TransferTicket', toUnitId: dep.id, department: suggested, reason: '转职能部门办理' }, admin, t + rng.logNormal(3 * HOUR, 1), 'routing');
      if (moved) {
        holder = staff(ref, dep.id, 'department');
        if (rng.chance(0.15)) {
          await step({ type: 'HandBackTicket', findings: '经核实不属于本部门职责' }, holder, t + rng.logNormal(10 * HOUR, 1), 'routing');
          holder = admin;
        } else if (rng.chance(0.5)) {
          await step({ type: 'ReplyToTicket', message: '部门已派人现场查看。', public: true }, holder, t + rng.logNormal(6 * HOUR, 1), 'casework');
        }
      }
    }
  }

  // Waiting on the reporter.
  if (rng.chance(0.08)) {
    const asked = await step({ type: 'RequestInformation', question: '请补充具体位置和照片。' }, holder, t + rng.logNormal(4 * HOUR, 1), 'casework');
    if (asked) await step({ type: 'AddInformation', text: '位置在村委会东侧约200米。', channel: reporterChannel }, reporterActor, t + rng.logNormal(12 * HOUR, 1), 'intake');
  }

  // An announced deadline for harder cases.
  const resolution = (): number => Date.parse((state)?.sla.resolution?.dueAt ?? new Date(submittedAt + 3 * DAY).toISOString());
  if (rng.chance(0.07)) {
    const at = Math.min(resolution() - rng.between(2, 20) * HOUR, t + rng.logNormal(12 * HOUR, 1));
    await step({ type: 'SetResolutionDeadline', dueAt: new Date(resolution() + rng.int(2, 10) * DAY).toISOString(), reason: '需协调多个部门，延期办理' }, holder, Math.max(at, t + 60_000), 'casework');
  }

  // Resolution (mostly on time).
  const onTime = rng.chance(0.8);
  const resolveAt = onTime
    ? Math.max(t + 10 * 60_000, Math.min(resolution() - 30 * 60_000, t + rng.logNormal(24 * HOUR, 0.8)))
    : resolution() + rng.logNormal(30 * HOUR, 0.8);
  const resolved = await step({ type: 'ResolveTicket', resolution: '已处理完毕，请确认。' }, holder, Math.max(resolveAt, t + 60_000), 'casework');
  if (!resolved) return state;

  // After the resolution: verification, reopen, rating, close.
  if (rng.chance(0.3)) await step({ type: 'VerifyResolution', method: rng.pick(['visit', 'call', 'unannounced-visit']), note: '已回访' }, admin, t + rng.logNormal(24 * HOUR, 0.7), 'casework');
  if (rng.chance(0.03)) {
    const reopened = await step({ type: 'ReopenTicket', reason: '问题仍未解决' }, reporterActor, t + rng.between(6, 100) * HOUR, 'intake');
    if (reopened) {
      await step({ type: 'ReplyToTicket', message: '已重新安排处理。', public: true }, admin, t + rng.logNormal(5 * HOUR, 1), 'casework');
      await step({ type: 'ResolveTicket', resolution: '已再次处理完毕。' }, admin, t + rng.logNormal(30 * HOUR, 0.8), 'casework');
    }
  }
  const rate = rng.chance(0.6);
  const score = rng.weighted([[1, 3], [2, 5], [3, 12], [4, 35], [5, 45]] as const);
  if (rng.chance(0.5)) {
    await step({ type: 'CloseTicket', reason: '问题已解决' }, reporterActor, t + rng.logNormal(30 * HOUR, 0.8), 'intake');
  }
  if (rate) await step({ type: 'RateTicket', score, comment: score >= 4 ? '满意' : '一般' }, reporterActor, t + rng.logNormal(20 * HOUR, 0.8), 'intake');
  await fireTimers(end);
  return state;
}
