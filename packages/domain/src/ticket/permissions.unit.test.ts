import type { TicketCommandType } from './commands';
import { TicketRejection } from './errors';
import { PERMISSIONS, authorize, isAllowed } from './permissions';
import type { TicketState } from './state';
import { SAMPLE_ACTORS, SAMPLE_SCENARIOS, type SampleActorName, buildScenario, sampleContext } from './sample-world';
import { TICKET_COMMAND_TYPES } from './transitions';

// Every role × every action, on a ticket accepted by 锦城镇 (holder = first responder's unit) and on the
// same ticket transferred to 雷波县's housing-construction department. Inside/outside jurisdiction: the
// 雷波县 and prefecture supervisors vs 昭觉县's; 锦城镇 vs 马拖镇's admin.

const ACTORS: SampleActorName[] = [
  'reporter', 'otherCitizen', 'informationOfficer', 'townshipAdmin', 'otherTownshipAdmin', 'department', 'otherDepartment',
  'countyAdmin', 'countySupervisor', 'otherCountySupervisor', 'prefectureSupervisor', 'auditor', 'countyHotline', 'otherCountyHotline',
  'routing', 'deadline',
];
const SUPERVISORS: SampleActorName[] = ['countySupervisor', 'prefectureSupervisor'];
const SYSTEM: SampleActorName[] = ['routing', 'deadline'];

/** Who may do what while the township holds the ticket it accepted. */
const HELD_BY_TOWNSHIP: Record<TicketCommandType, SampleActorName[]> = {
  SubmitTicket: ['reporter', 'otherCitizen', 'informationOfficer', 'townshipAdmin', 'otherTownshipAdmin', 'countyAdmin'],
  RouteTicket: SYSTEM,
  AcceptTicket: ['townshipAdmin'],
  ReplyToTicket: ['townshipAdmin'],
  AddInternalNote: ['townshipAdmin', ...SUPERVISORS],
  TransferTicket: ['townshipAdmin'],
  HandBackTicket: [],
  RequestInformation: ['townshipAdmin'],
  AddInformation: ['reporter'],
  SetResolutionDeadline: ['townshipAdmin'],
  ResolveTicket: ['townshipAdmin'],
  VerifyResolution: ['townshipAdmin', ...SUPERVISORS],
  CloseTicket: ['reporter', 'townshipAdmin', ...SYSTEM],
  ReopenTicket: ['reporter'],
  RateTicket: ['reporter'],
  RejectTicket: ['townshipAdmin'],
  MarkDuplicate: ['townshipAdmin'],
  WithdrawTicket: ['reporter'],
  ReassignTicket: SUPERVISORS,
  EscalateTicket: [...SUPERVISORS, ...SYSTEM],
  IssueDeadlineWarning: SYSTEM,
  RecordDeadlineBreach: SYSTEM,
  RecordCallbackOverdue: SYSTEM,
  AddAttachment: ['reporter', 'townshipAdmin'],
  ReturnTicket: ['townshipAdmin'],
  RecordCallback: ['townshipAdmin'],
  FollowTicket: ['reporter', 'otherCitizen'],
  MergeTicket: ['townshipAdmin', ...SUPERVISORS],
  RecordMergedDuplicate: SYSTEM,
  // Without a pending return only the supervisors of the area could review one (the decider then says no_pending_return).
  ReviewReturn: SUPERVISORS,
};

/** The same after a transfer to the department: it holds the work, the township stays accountable. */
const HELD_BY_DEPARTMENT: Record<TicketCommandType, SampleActorName[]> = {
  ...HELD_BY_TOWNSHIP,
  // The receiving department signs for (签收) the transferred ticket (issue 14 item 2).
  AcceptTicket: ['department'],
  ReplyToTicket: ['department', 'townshipAdmin'],
  AddInternalNote: ['department', 'townshipAdmin', ...SUPERVISORS],
  HandBackTicket: ['department'],
  RequestInformation: ['department', 'townshipAdmin'],
  SetResolutionDeadline: ['department', 'townshipAdmin'],
  ResolveTicket: ['department', 'townshipAdmin'],
  AddAttachment: ['reporter', 'department', 'townshipAdmin'],
  ReturnTicket: ['department'],
};

function scenario(name: string) {
  const s = SAMPLE_SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return buildScenario(s);
}

describe.each([
  ['accepted by the township', HELD_BY_TOWNSHIP],
  ['transferred to a county department', HELD_BY_DEPARTMENT],
])('permissions on a ticket %s', (name, expected) => {
  const state = scenario(name);
  it.each(TICKET_COMMAND_TYPES.map((c) => [c]))('%s', (command) => {
    const allowed = ACTORS.filter((a) => isAllowed(command, SAMPLE_ACTORS[a], state, sampleContext(SAMPLE_ACTORS[a], state.updatedAt)));
    expect(allowed.sort()).toEqual([...expected[command]].sort());
  });
});

describe('callbacks (回访) by the first responder\'s unit or by the hotline (issue 14 item 4, TONGBAN_CALLBACK_BY)', () => {
  const allowed = (name: string) => {
    const state = scenario(name);
    return ACTORS.filter((a) => isAllowed('RecordCallback', SAMPLE_ACTORS[a], state, sampleContext(SAMPLE_ACTORS[a], state.updatedAt)));
  };
  const reasonOf = (name: string, actor: SampleActorName): string => {
    const state = scenario(name);
    try {
      authorize('RecordCallback', SAMPLE_ACTORS[actor], state, sampleContext(SAMPLE_ACTORS[actor], state.updatedAt));
      return 'allowed';
    } catch (error) {
      if (!(error instanceof TicketRejection)) throw error;
      return `${error.kind}/${error.reason}`;
    }
  };

  it('by default only the first responder\'s unit records it; hotline staff may not', () => {
    expect(allowed('resolved')).toEqual(['townshipAdmin']);
    expect(reasonOf('resolved', 'countyHotline')).toBe('forbidden/callback_by_first_responder');
  });

  it('when it went to the hotline, only hotline staff whose jurisdiction contains the ticket record it', () => {
    expect(allowed('resolved, its callback to the hotline')).toEqual(['countyHotline']);
    expect(reasonOf('resolved, its callback to the hotline', 'townshipAdmin')).toBe('forbidden/callback_by_hotline');
    expect(reasonOf('resolved, its callback to the hotline', 'otherCountyHotline')).toBe('forbidden/outside_jurisdiction');
    expect(reasonOf('resolved, its callback to the hotline', 'countySupervisor')).toBe('forbidden/not_holder');
  });

  it('hotline staff hold no other grant', () => {
    for (const name of ['accepted by the township', 'resolved, its callback to the hotline']) {
      const state = scenario(name);
      const mayDo = TICKET_COMMAND_TYPES.filter((c) => isAllowed(c, SAMPLE_ACTORS.countyHotline, state, sampleContext(SAMPLE_ACTORS.countyHotline, state.updatedAt)));
      expect(mayDo).toEqual(name.includes('hotline') ? ['RecordCallback'] : []);
    }
  });
});

describe('authorize', () => {
  const state = scenario('accepted by the township');
  const reasonOf = (command: TicketCommandType, actor: SampleActorName): string => {
    try {
      authorize(command, SAMPLE_ACTORS[actor], state, sampleContext(SAMPLE_ACTORS[actor], state.updatedAt));
      return 'allowed';
    } catch (error) {
      if (!(error instanceof TicketRejection)) throw error;
      expect(error.kind).toBe('forbidden');
      return error.reason;
    }
  };

  it.each<[TicketCommandType, SampleActorName, string]>([
    ['ReplyToTicket', 'auditor', 'read_only_role'],
    ['AddInternalNote', 'auditor', 'read_only_role'],
    ['ReplyToTicket', 'otherTownshipAdmin', 'not_holder'],
    ['ResolveTicket', 'department', 'not_holder'],
    ['ReassignTicket', 'otherCountySupervisor', 'outside_jurisdiction'],
    ['EscalateTicket', 'otherCountySupervisor', 'outside_jurisdiction'],
    ['ReopenTicket', 'otherCitizen', 'not_reporter'],
    ['WithdrawTicket', 'townshipAdmin', 'not_reporter'],
    ['ReassignTicket', 'townshipAdmin', 'role_not_allowed'],
    ['RecordDeadlineBreach', 'countySupervisor', 'role_not_allowed'],
    ['ReplyToTicket', 'reporter', 'role_not_allowed'],
    ['ReplyToTicket', 'townshipAdmin', 'allowed'],
  ])('%s by %s → %s', (command, actor, reason) => {
    expect(reasonOf(command, actor)).toBe(reason);
  });

  it('auditors appear in no grant: they read, never write', () => {
    for (const command of TICKET_COMMAND_TYPES) expect(isAllowed(command, SAMPLE_ACTORS.auditor, state, sampleContext(SAMPLE_ACTORS.auditor, state.updatedAt))).toBe(false);
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...TICKET_COMMAND_TYPES].sort());
  });
});

describe('an Open311 client application acts for the reporters it submitted for', () => {
  const accepted = scenario('accepted by the township');
  const client = { kind: 'open311', id: 'fixmystreet' } as const;
  const viaClient: TicketState = { ...accepted, reporter: { ...accepted.reporter, deviceId: '', clientId: 'fixmystreet' } };
  const allowed = (actor: typeof client | { kind: 'open311'; id: string }, state: TicketState = viaClient) =>
    (['AddInformation', 'ReopenTicket', 'CloseTicket', 'RateTicket', 'WithdrawTicket'] as const)
      .filter((c) => isAllowed(c, actor, state, sampleContext(actor, state.updatedAt)));

  it('holds the reporter grant on its own submissions only', () => {
    expect(allowed(client)).toEqual(['AddInformation', 'ReopenTicket', 'CloseTicket', 'RateTicket', 'WithdrawTicket']);
    expect(allowed({ kind: 'open311', id: 'another-app' })).toEqual([]);
    // A ticket from the app (no client) is nobody's through Open311.
    expect(allowed(client, accepted)).toEqual([]);
  });

  it('may not act as staff', () => {
    for (const c of ['ReplyToTicket', 'ResolveTicket', 'AcceptTicket'] as const) expect(isAllowed(c, client, viaClient, sampleContext(client, viaClient.updatedAt))).toBe(false);
  });
});
