import { permittedActions } from './actions';
import { SAMPLE_ACTORS, SAMPLE_SCENARIOS, buildScenario, sampleContext } from './sample-world';
import type { TicketState } from './state';

const scenario = (name: string) => buildScenario(SAMPLE_SCENARIOS.find((s) => s.name === name)!);
/** An hour after the ticket's last event. */
const ctx = (actor: keyof typeof SAMPLE_ACTORS, state: TicketState) => sampleContext(SAMPLE_ACTORS[actor], new Date(Date.parse(state.updatedAt) + 3_600_000));
const allowed = (actor: keyof typeof SAMPLE_ACTORS, state: ReturnType<typeof scenario>) =>
  permittedActions(SAMPLE_ACTORS[actor], state, ctx(actor, state)).filter((a) => a.allowed).map((a) => a.command);

describe('the console\'s permitted actions (permission table + status table of the decider)', () => {
  it('given a routed ticket, the township admin may accept, transfer, reject, mark duplicate, but not hand back', () => {
    const routed = scenario('routed to the township');
    expect(allowed('townshipAdmin', routed)).toEqual(expect.arrayContaining(['AcceptTicket', 'RejectTicket', 'MarkDuplicate']));
    expect(allowed('townshipAdmin', routed)).not.toContain('HandBackTicket');
    expect(allowed('otherTownshipAdmin', routed)).toEqual([]);
  });

  it('given a transferred ticket, the department may sign for it (accept), reply, resolve and hand back; the township (first responder) may still reply', () => {
    const transferred = scenario('transferred to a county department');
    expect(allowed('department', transferred)).toEqual(expect.arrayContaining(['AcceptTicket', 'ReplyToTicket', 'ResolveTicket', 'HandBackTicket']));
    expect(allowed('department', transferred)).not.toContain('TransferTicket');
    expect(allowed('townshipAdmin', transferred)).toContain('ReplyToTicket');
  });

  it('an auditor sees every action refused as read_only_role; a supervisor may reassign and escalate in its jurisdiction only', () => {
    const accepted = scenario('accepted by the township');
    const audit = permittedActions(SAMPLE_ACTORS.auditor, accepted, ctx('auditor', accepted));
    expect(audit.every((a) => !a.allowed && a.reason === 'read_only_role')).toBe(true);
    expect(allowed('countySupervisor', accepted)).toEqual(expect.arrayContaining(['ReassignTicket', 'EscalateTicket']));
    const outside = permittedActions(SAMPLE_ACTORS.otherCountySupervisor, accepted, ctx('otherCountySupervisor', accepted));
    expect(outside.find((a) => a.command === 'EscalateTicket')).toEqual({ command: 'EscalateTicket', allowed: false, reason: 'outside_jurisdiction' });
  });

  it('an accepted ticket cannot be accepted again; a closed one cannot be resolved (the decider\'s reasons)', () => {
    const accepted = scenario('accepted by the township');
    expect(permittedActions(SAMPLE_ACTORS.townshipAdmin, accepted, ctx('townshipAdmin', accepted)).find((a) => a.command === 'AcceptTicket'))
      .toEqual({ command: 'AcceptTicket', allowed: false, reason: 'already_accepted' });
    const closed = scenario('closed');
    const actions = permittedActions(SAMPLE_ACTORS.townshipAdmin, closed, ctx('townshipAdmin', closed));
    expect(actions.find((a) => a.command === 'ResolveTicket')).toMatchObject({ command: 'ResolveTicket', allowed: false });
  });

  it('returns (退单), their review and callbacks (回访) are offered where the table and the status allow them', () => {
    const routed = scenario('routed to the township');
    expect(allowed('townshipAdmin', routed)).toContain('ReturnTicket');
    expect(allowed('townshipAdmin', routed)).not.toContain('ReviewReturn');
    const returned = scenario('returned by the township, awaiting review');
    expect(allowed('countySupervisor', returned)).toContain('ReviewReturn');
    expect(allowed('townshipAdmin', returned)).not.toContain('ReturnTicket');
    const byDepartment = scenario('returned by a department, awaiting review');
    expect(allowed('townshipAdmin', byDepartment)).toContain('ReviewReturn');
    const accepted = scenario('accepted by the township');
    expect(allowed('townshipAdmin', accepted)).not.toContain('RecordCallback');
    const resolved = scenario('resolved');
    expect(allowed('townshipAdmin', resolved)).toContain('RecordCallback');
    expect(allowed('otherTownshipAdmin', resolved)).not.toContain('RecordCallback');
  });

  it('merging a duplicate (并单) is offered to the holding unit\'s admin and a supervisor of the area while the ticket is open, never to an auditor', () => {
    const routed = scenario('routed to the township');
    expect(allowed('townshipAdmin', routed)).toContain('MergeTicket');
    expect(allowed('countySupervisor', routed)).toContain('MergeTicket');
    expect(allowed('otherTownshipAdmin', routed)).not.toContain('MergeTicket');
    const audit = permittedActions(SAMPLE_ACTORS.auditor, routed, ctx('auditor', routed));
    expect(audit.find((a) => a.command === 'MergeTicket')).toEqual({ command: 'MergeTicket', allowed: false, reason: 'read_only_role' });
    const closed = scenario('closed');
    expect(allowed('townshipAdmin', closed)).not.toContain('MergeTicket');
  });
});
