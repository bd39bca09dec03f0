import type { TicketCommandType } from './commands';
import { isAllowed } from './permissions';
import { FINAL_STATUSES, type TicketStatus } from './state';
import { SAMPLE_ACTORS, SAMPLE_SCENARIOS, buildScenario, sampleContext } from './sample-world';
import { NEW_TICKET, TICKET_COMMAND_TYPES, TICKET_STATUSES, type Transition, allowedTransitions, deriveTransitions } from './transitions';

const table = deriveTransitions();

function cell(from: Transition['from'], command: TicketCommandType): Transition['outcome'] {
  const t = table.find((x) => x.from === from && x.command === command);
  if (!t) throw new Error(`no cell ${from} × ${command}`);
  return t.outcome;
}

describe('the transition table derived from the decider', () => {
  it('is deterministic', () => {
    expect(deriveTransitions()).toEqual(table);
  });

  it('has a cell for every status × command, and submit from a new ticket', () => {
    expect(table).toHaveLength(1 + TICKET_STATUSES.length * TICKET_COMMAND_TYPES.length);
    expect(cell(NEW_TICKET, 'SubmitTicket')).toMatchObject({ kind: 'allowed', to: ['submitted'] });
    expect(new Set(TICKET_COMMAND_TYPES).size).toBe(TICKET_COMMAND_TYPES.length);
  });

  it('every status has a representative ticket built by real commands', () => {
    const statuses = new Set(SAMPLE_SCENARIOS.map((s) => buildScenario(s).status));
    expect([...statuses].sort()).toEqual([...TICKET_STATUSES].sort());
  });

  it.each<[Transition['from'], TicketCommandType, ...TicketStatus[]]>([
    ['submitted', 'RouteTicket', 'routed'],
    ['routed', 'AcceptTicket', 'in_progress'],
    ['in_progress', 'TransferTicket', 'in_progress'],
    ['in_progress', 'HandBackTicket', 'in_progress'],
    ['in_progress', 'RequestInformation', 'awaiting_information'],
    ['awaiting_information', 'AddInformation', 'in_progress'],
    ['awaiting_information', 'ResolveTicket', 'resolved'],
    ['in_progress', 'ResolveTicket', 'resolved'],
    ['resolved', 'CloseTicket', 'closed'],
    ['resolved', 'ReopenTicket', 'in_progress'],
    // Issue 14 item 4: a dissatisfied rating sends the ticket back for rectification (发回重办).
    ['resolved', 'RateTicket', 'in_progress', 'resolved'],
    ['resolved', 'RecordCallback', 'in_progress', 'resolved'],
    ['closed', 'RateTicket', 'closed'],
    ['routed', 'RejectTicket', 'rejected'],
    ['in_progress', 'MarkDuplicate', 'duplicate'],
    ['submitted', 'WithdrawTicket', 'withdrawn'],
    ['in_progress', 'ReassignTicket', 'in_progress'],
    ['routed', 'EscalateTicket', 'routed'],
    ['in_progress', 'RecordDeadlineBreach', 'in_progress'],
  ])('%s × %s → %s', (from, command, ...to) => {
    expect(cell(from, command)).toMatchObject({ kind: 'allowed', to });
  });

  it.each<[Transition['from'], TicketCommandType, string, string]>([
    ['submitted', 'ReplyToTicket', 'precondition', 'not_routed'],
    ['submitted', 'AcceptTicket', 'precondition', 'not_routed'],
    ['routed', 'ResolveTicket', 'precondition', 'not_accepted'],
    ['resolved', 'ResolveTicket', 'precondition', 'already_resolved'],
    ['closed', 'ReopenTicket', 'precondition', 'not_resolved'],
    ['in_progress', 'CloseTicket', 'precondition', 'not_resolved'],
  ])('%s × %s is refused (%s %s)', (from, command, kind, reason) => {
    expect(cell(from, command)).toEqual({ kind: 'rejected', rejection: { kind, reason } });
  });

  it('routing is idempotent and SLA events stop at resolution', () => {
    expect(cell('routed', 'RouteTicket')).toEqual({ kind: 'no_effect' });
    expect(cell('resolved', 'RecordDeadlineBreach')).toEqual({ kind: 'no_effect' });
    expect(cell('resolved', 'IssueDeadlineWarning')).toEqual({ kind: 'no_effect' });
  });

  it('a final status is never left: only notes (and a rating once closed) are recorded, and a merge decided while it was open (并单)', () => {
    for (const t of allowedTransitions(table).filter((x) => FINAL_STATUSES.includes(x.from as TicketStatus))) {
      expect(t.outcome.to).toEqual([t.from]);
      expect(['AddInternalNote', 'RateTicket', 'RecordMergedDuplicate']).toContain(t.command);
    }
  });

  it('the first responder\'s accountability shows in who may act: transfer and resolve include the first responder\'s unit', () => {
    expect(cell('in_progress', 'TransferTicket')).toMatchObject({ grants: ['holderAdmin', 'firstResponderUnit'] });
    expect(cell('in_progress', 'ResolveTicket')).toMatchObject({ grants: ['holder', 'firstResponderUnit'] });
    expect(cell('in_progress', 'HandBackTicket')).toMatchObject({ grants: ['holderDepartment'] });
  });

  it('auditors may do nothing in any representative ticket', () => {
    for (const scenario of SAMPLE_SCENARIOS) {
      const state = buildScenario(scenario);
      for (const command of TICKET_COMMAND_TYPES) {
        expect(isAllowed(command, SAMPLE_ACTORS.auditor, state, sampleContext(SAMPLE_ACTORS.auditor, state.updatedAt))).toBe(false);
      }
    }
  });
});
