import {
  DEFAULT_WORKFLOW_SETTINGS, FINAL_STATUSES, NEW_TICKET, NOBODY_ALLOWED, TICKET_COMMAND_TYPES, TICKET_STATUSES, allowedTransitions, deriveTransitions,
  type Grant, type TicketCommandType, type TicketStatus, type Transition, type TransitionOutcome,
} from '@tongban/domain';

/*
 * docs/ticket-lifecycle.md, rendered from the transition table that the domain derives from the decider
 * (deriveTransitions, packages/domain/src/ticket/transitions.ts), with what only the documentation needs:
 * the statuses in words, who a grant names, and the HTTP route of each command. Pure: returns the text;
 * scripts/gen-transitions.ts writes the file.
 */

/** What each status means (rendered into the docs). */
const STATUS_DESCRIPTIONS: Readonly<Record<TicketStatus, string>> = {
  submitted: 'Recorded (from the app, an Open311 client, the web or an officer submitting on someone\'s behalf), not yet routed. Intake routes a submission in the same append (`TicketRouted` right after `TicketSubmitted`), so a ticket stays here only when it was submitted without its routing (e.g. by an older intake), until routing\'s consumer routes it. Both SLA legs run from the submission time.',
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
  RouteTicket: 'internal (intake, in the submission\'s append; routing\'s consumer for a ticket submitted without it)',
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
