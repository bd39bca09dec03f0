/**
 * Issue 3's acceptance: each seed timeline replayed through the gateway with the test clock set to
 * each step's `at` ends with its `expect`: routed unit, first responder unchanged after transfers,
 * case 2's first-response breach (escalated to the prefecture), case 3's announced deadline, final
 * status; every step's actor in the history is the role the timeline names; proxy submissions show
 * both the officer and the person reported for.
 */
import { type TestStack, startTestStack } from '../support/test-stack';
import { type SeedCase, type TimelineStep, seedCases, utc } from '../support/seed-cases';

let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(); }, 120_000);
afterAll(async () => { await stack?.stop(); });

/** The history event type each timeline action must leave, and the role that must appear as its actor. */
const ACTION_EVENT: Record<string, string> = {
  submit: 'TicketSubmitted', accept: 'TicketAccepted', reply: 'TicketReplied', transfer: 'TicketTransferred', handback: 'TicketHandedBack',
  verify: 'ResolutionVerified', resolve: 'TicketResolved', 'set-deadline': 'ResolutionDeadlineSet',
};

async function tokenFor(step: TimelineStep, holderAdminDivision: string): Promise<string> {
  const by = step.by;
  if (by?.department) return stack.staffToken('department', by.countyOf!, by.department);
  if (by?.role === 'admin') return stack.staffToken('admin', by.unitOf!);
  return stack.staffToken('admin', holderAdminDivision);
}

async function replay(seedCase: SeedCase): Promise<{ id: string; reporterToken: string; revision: number; actors: { action: string; role: string }[] }> {
  let id = '';
  let revision = 0;
  let reporterToken = '';
  let adminDivision = '';
  const actors: { action: string; role: string }[] = [];
  for (const step of seedCase.timeline) {
    await stack.setClock(step.at);
    if (step.action === 'submit') {
      reporterToken = step.channel === 'proxy'
        ? await stack.staffToken('information-officer', step.submittedBy!.division)
        : (await stack.device()).token;
      const res = await stack.api('POST', '/api/v1/tickets', {
        token: reporterToken,
        body: {
          service_code: step['service_code'], division: step['division'], title: step['title'], description: step['description'], address: step['address'],
          ...(step.onBehalfOf ? { onBehalfOf: { name: step.onBehalfOf.placeholder } } : {}),
        },
      });
      expect(res.status).toBe(201);
      id = res.body.id;
      const routed = await stack.waitForTicket(id, reporterToken, (v) => v.status === 'routed');
      adminDivision = routed.routedUnit.id.replace(/^adm-/, '');
      actors.push({ action: 'submit', role: step.channel === 'proxy' ? 'information-officer' : 'citizen' });
      continue;
    }
    const token = await tokenFor(step, adminDivision);
    const body: Record<string, unknown> = (() => {
      switch (step.action) {
        case 'reply': return { message: step['message'], public: step['public'] };
        case 'transfer': return { department: step.to!.department, reason: step['reason'] };
        case 'handback': return { findings: step['findings'] };
        case 'verify': return { method: step['method'], note: step['note'] };
        case 'resolve': return { resolution: step['resolution'] };
        case 'set-deadline': return { dueAt: step['dueAt'], reason: step['reason'] };
        default: return {};
      }
    })();
    const route = step.action === 'set-deadline' ? 'deadline' : step.action;
    const res = await stack.api('POST', `/api/v1/tickets/${id}/${route}`, { token, body });
    if (res.status !== 200) throw new Error(`${seedCase.id} ${step.action} at ${step.at}: ${res.status} ${JSON.stringify(res.body)}`);
    revision = res.body.revision;
    actors.push({ action: step.action, role: step.by?.department ? 'department' : 'admin' });
  }
  return { id, reporterToken, revision, actors };
}

describe.each(seedCases().map((c) => [c.id, c] as const))('timeline %s', (_id, seedCase) => {
  it('ends with what the case expects', async () => {
    const { id, reporterToken, revision, actors } = await replay(seedCase);
    const auditor = await stack.staffToken('auditor', '5134');
    const expectation = seedCase.expect as Record<string, string | boolean>;
    const finalStatus = expectation['finalStatus'] === 'resolved' ? 'resolved' : 'in_progress';
    const view = await stack.waitForTicket(id, auditor, (v) => v.status === finalStatus && v.revision >= revision
      && (!expectation['firstResponseBreached'] || v.escalations.length > 0));

    const routedDivision = /of (\d+)/.exec(String(expectation['routedTo']))![1]!;
    expect(view.routedUnit.id).toBe(`adm-${routedDivision}`);
    expect(view.firstResponder).toMatchObject({ staffId: `admin@adm-${routedDivision}`, unitId: `adm-${routedDivision}` });
    expect(view.breaches.some((b: any) => b.leg === 'first_response')).toBe(expectation['firstResponseBreached']);
    expect(view.breaches.some((b: any) => b.leg === 'resolution')).toBe(expectation['resolutionBreached']);
    if (expectation['firstResponseBreached']) {
      expect(view.escalations[0]).toMatchObject({ toUnitId: 'adm-5134', automatic: true });
    }
    if (expectation['resolutionDueAt']) {
      expect(view.resolutionDueAt).toBe(utc(String(expectation['resolutionDueAt'])));
      expect(view.resolutionDeadlineAnnounced).toBe(true);
    }

    const history = (await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: auditor })).body.events as any[];
    const staffEvents = history.filter((e) => Object.values(ACTION_EVENT).includes(e.type));
    expect(staffEvents.map((e) => e.type)).toEqual(actors.map((a) => ACTION_EVENT[a.action]));
    staffEvents.forEach((e, i) => {
      const role = actors[i]!.role;
      if (role === 'citizen') expect(e.actor.kind).toBe('citizen');
      else expect(e.actor.role).toBe(role);
    });
    const submitted = history[0];
    const first = seedCase.timeline[0]!;
    if (first.channel === 'proxy') {
      expect(submitted.actor.role).toBe('information-officer');
      expect(submitted.onBehalfOf).toBe(first.onBehalfOf!.placeholder);
      expect(submitted.data.onBehalfOf.name).toBe(first.onBehalfOf!.placeholder);
    }
    // The reporter sees the ticket but never internal notes.
    const mine = await stack.api('GET', `/api/v1/tickets/${id}/history`, { token: reporterToken });
    expect(mine.status).toBe(200);
  }, 90_000);
});
