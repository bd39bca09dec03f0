import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { administrationUnitId, departmentUnitId, seededStaffId } from '../reference/units';
import type { ActorContext, TicketCommand } from './commands';
import type { TicketEventEnvelope } from './events';
import { initialTicketState, type TicketState } from './state';
import { SAMPLE_ACTORS, SAMPLE_DIVISION_INDEX, applyCommand, sampleContext } from './sample-world';

// The three real cases of seed-cases.json, replayed through decide + evolve with a simulated deadline
// service (a breach is recorded when a leg's due time passes before the next step), ending with each
// case's `expect`. The gateway-level replay is the e2e suite's job; this pins the decider's part.

interface Party { role?: string; unitOf?: string; department?: string; countyOf?: string; division?: string }
interface Step {
  at: string; action: string; channel?: string; submittedBy?: Party; onBehalfOf?: { placeholder: string; contact: string | null };
  reporter?: { deviceId: string }; service_code?: string; division?: string; address?: string; title?: string; description?: string;
  by?: Party; to?: Party; message?: string; public?: boolean; reason?: string; findings?: string; resolution?: string;
  method?: string; note?: string; dueAt?: string;
}
interface SeedCase { id: string; timeline: Step[]; expect: { firstResponseBreached: boolean; resolutionBreached: boolean; finalStatus: string; resolutionDueAt?: string } }

const SEED = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'reference-data', 'data', 'seed-cases.json'), 'utf8')) as { cases: SeedCase[] };

function staff(role: 'admin' | 'department' | 'information-officer', unitId: string, division: string): ActorContext {
  return { kind: 'staff', id: seededStaffId(unitId, role), role, unitId, unitKind: role === 'department' ? 'department' : 'administration', unitDivision: division };
}

function actorOf(party: Party | undefined): ActorContext {
  if (party?.department && party.countyOf) return staff('department', departmentUnitId(party.countyOf, party.department), party.countyOf);
  if (party?.unitOf) return staff('admin', administrationUnitId(party.unitOf), party.unitOf);
  throw new Error(`no actor for ${JSON.stringify(party)}`);
}

/** The administration unit one level above an administration unit (township → county → prefecture). */
function supervising(unitId: string): string {
  const parent = SAMPLE_DIVISION_INDEX.get(unitId.replace(/^adm-/, ''))?.parent;
  return parent ? administrationUnitId(parent) : '';
}

/** Replays a case; returns the final state and the history (events with their actors). */
function replay(c: SeedCase): { state: TicketState; history: TicketEventEnvelope[] } {
  let state = initialTicketState();
  const history: TicketEventEnvelope[] = [];
  let accepter: ActorContext | undefined;
  const run = (command: TicketCommand, actor: ActorContext, at: string): void => {
    const before = state;
    const result = applyCommand(state, command, sampleContext(actor, at));
    state = result.state;
    result.events.forEach((e) => history.push({ ...e, occurredAt: new Date(at).toISOString(), actor: { kind: actor.kind, id: actor.id } }));
    expect(state.revision).toBe(before.revision + result.events.length);
  };
  /** A simulated deadline service: a running leg whose due time passed before `until` is breached, then escalated. */
  const fireTimers = (until: string): void => {
    for (const leg of ['first_response', 'resolution'] as const) {
      const l = leg === 'first_response' ? state.sla.firstResponse : state.sla.resolution;
      if (!l || l.stoppedAt || l.pausedAt || Date.parse(l.dueAt) > Date.parse(until)) continue;
      const breachesBefore = state.breaches.length;
      run({ type: 'RecordDeadlineBreach', leg, dueAt: l.dueAt }, SAMPLE_ACTORS.deadline, l.dueAt);
      if (state.breaches.length > breachesBefore) {
        // Up from the accountable unit (the first responder's, else the routed one), or from the last supervisor.
        const from = state.supervisingUnitId || state.firstResponder?.unitId || state.routedUnitId;
        run({ type: 'EscalateTicket', toUnitId: supervising(from), reason: `${leg} breached`, automatic: true }, SAMPLE_ACTORS.deadline, l.dueAt);
      }
    }
  };
  for (const step of c.timeline) {
    fireTimers(step.at);
    switch (step.action) {
      case 'submit': {
        const officer = step.submittedBy ? staff('information-officer', administrationUnitId(SAMPLE_DIVISION_INDEX.responsibleDivision(step.submittedBy.division ?? '')?.code ?? ''), step.submittedBy.division ?? '') : undefined;
        const actor: ActorContext = officer ?? { kind: 'citizen', id: step.reporter?.deviceId ?? '' };
        run({
          type: 'SubmitTicket', ticketId: c.id, reference: `LS-2015-${c.id}`, serviceCode: step.service_code ?? '', division: step.division ?? '',
          title: step.title ?? '', description: step.description ?? '', address: step.address ?? '', channel: step.channel ?? 'app',
          reporter: { deviceId: officer ? '' : actor.id, staffId: officer ? officer.id : '', unitId: officer?.unitId ?? '', accountId: '', name: '', phone: '', email: '' },
          ...(step.onBehalfOf ? { onBehalfOf: { name: step.onBehalfOf.placeholder, contact: step.onBehalfOf.contact ?? '' } } : {}),
          attributes: {}, mediaUrl: '', policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
        }, actor, step.at);
        const responsible = SAMPLE_DIVISION_INDEX.responsibleDivision(step.division ?? '');
        run({ type: 'RouteTicket', unitId: administrationUnitId(responsible?.code ?? ''), division: responsible?.code ?? '', suggestedDepartment: '' }, SAMPLE_ACTORS.routing, step.at);
        break;
      }
      case 'accept': accepter = actorOf(step.by); run({ type: 'AcceptTicket' }, accepter, step.at); break;
      case 'reply': run({ type: 'ReplyToTicket', message: step.message ?? '', public: step.public ?? false }, actorOf(step.by), step.at); break;
      case 'transfer': {
        const to = departmentUnitId(step.to?.countyOf ?? '', step.to?.department ?? '');
        run({ type: 'TransferTicket', toUnitId: to, department: step.to?.department ?? '', reason: step.reason ?? '' }, step.by ? actorOf(step.by) : accepter!, step.at);
        break;
      }
      case 'handback': run({ type: 'HandBackTicket', findings: step.findings ?? '' }, actorOf(step.by), step.at); break;
      case 'resolve': run({ type: 'ResolveTicket', resolution: step.resolution ?? '' }, actorOf(step.by), step.at); break;
      case 'verify': run({ type: 'VerifyResolution', method: step.method ?? '', note: step.note ?? '' }, actorOf(step.by), step.at); break;
      case 'set-deadline': run({ type: 'SetResolutionDeadline', dueAt: step.dueAt ?? '', reason: step.reason ?? '' }, actorOf(step.by), step.at); break;
      default: throw new Error(`unknown action ${step.action}`);
    }
  }
  return { state, history };
}

describe('seed cases (shared/data/seed-cases.json) through the decider', () => {
  const cases = SEED.cases.map((c) => [c.id, c] as const);

  it('there are three cases', () => {
    expect(cases.map(([id]) => id)).toEqual(['dangerous-wall', 'bus-overcharging', 'village-garbage']);
  });

  it.each(cases)('%s: routed unit, first responder unchanged, breaches and final status as expected', (_id, c) => {
    const { state, history } = replay(c);
    const submit = c.timeline[0];
    const accept = c.timeline.find((s) => s.action === 'accept');
    const expectedUnit = administrationUnitId(SAMPLE_DIVISION_INDEX.responsibleDivision(submit?.division ?? '')?.code ?? '');
    expect(state.routedUnitId).toBe(expectedUnit);
    expect(expectedUnit).toBe(administrationUnitId(accept?.by?.unitOf ?? ''));
    // 首问责任制: the admin who accepted first, unchanged after any transfer.
    expect(state.firstResponder).toEqual({ staffId: seededStaffId(expectedUnit, 'admin'), unitId: expectedUnit, since: new Date(accept?.at ?? '').toISOString() });
    expect(state.breaches.some((b) => b.leg === 'first_response')).toBe(c.expect.firstResponseBreached);
    expect(state.breaches.some((b) => b.leg === 'resolution')).toBe(c.expect.resolutionBreached);
    expect(c.expect.finalStatus).toContain(state.status === 'in_progress' ? 'in-progress' : state.status);
    if (c.expect.resolutionDueAt) expect(state.sla.resolution).toMatchObject({ dueAt: new Date(c.expect.resolutionDueAt).toISOString(), announced: true });
    // Due times: 24 h and 72 h after submission (unless announced).
    expect(state.sla.firstResponse?.dueAt).toBe(new Date(Date.parse(submit?.at ?? '') + 24 * 3_600_000).toISOString());
    // The history is gapless and in time order.
    expect(history.map((e) => e.occurredAt)).toEqual([...history.map((e) => e.occurredAt)].sort());
    // Proxy submissions show both the officer and the person reported for.
    if (submit?.channel === 'proxy') {
      expect(state.reporter.staffId).toMatch(/^information-officer@/);
      expect(state.onBehalfOf?.name).toBe(submit.onBehalfOf?.placeholder);
    }
  });

  it('bus-overcharging: the first-response breach is recorded at 24 h and escalated one level up, to the prefecture', () => {
    const c = SEED.cases.find((x) => x.id === 'bus-overcharging');
    if (!c) throw new Error('missing case');
    const { state, history } = replay(c);
    expect(state.breaches).toEqual([{ leg: 'first_response', dueAt: '2015-05-13T01:00:00.000Z', breachedAt: '2015-05-13T01:00:00.000Z' }]);
    expect(state.escalations).toEqual([expect.objectContaining({ toUnitId: administrationUnitId('5134'), level: 1, automatic: true })]);
    expect(history.filter((e) => e.type === 'TicketTransferred')).toHaveLength(1);
    expect(state.verifications).toBe(2);
  });

  it('village-garbage: the resolution due moves to the announced 2015-06-30T18:00+08:00', () => {
    const c = SEED.cases.find((x) => x.id === 'village-garbage');
    if (!c) throw new Error('missing case');
    const { state } = replay(c);
    expect(state.sla.resolution?.dueAt).toBe('2015-06-30T10:00:00.000Z');
    expect(state.status).toBe('in_progress');
  });
});
