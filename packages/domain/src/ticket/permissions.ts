import type { ActorContext, DecideContext, TicketCommandType } from './commands';
import { reject } from './errors';
import type { TicketState } from './state';

/**
 * Who may run a command on a ticket. A grant names a relation between the actor and the ticket:
 * - reporter: the citizen device that submitted it, the officer who submitted it on someone's behalf, or
 *   the Open311 client application that submitted it (acting for its reporter);
 * - holder: admin or department staff of the unit that holds the ticket now;
 * - holderAdmin / holderDepartment: the same, restricted to that role;
 * - firstResponderUnit: admin of the first responder's unit (首问责任制: it stays accountable);
 * - supervisor: a supervisor whose jurisdiction (division subtree) contains the ticket's division;
 * - system: a service acting on its own authority (routing, deadline);
 * - submitter: anyone who may file a report (citizen, Open311 client, information officer, admin);
 * - returnReviewer: admin of the unit that transferred a ticket now returned (退单, issue 14 item 3);
 * - citizen: any citizen device (following a ticket, issue 14 item 5);
 * - callbackUnit: admin of the first responder's unit, when the ticket's callback (回访, issue 14 item 4) is the
 *   first responder's (the default; `callback.by` snapshotted at the resolution from TONGBAN_CALLBACK_BY);
 * - hotline: hotline staff whose jurisdiction contains the ticket, when its callback goes to the hotline.
 */
export type Grant =
  | 'reporter'
  | 'holder'
  | 'holderAdmin'
  | 'holderDepartment'
  | 'firstResponderUnit'
  | 'supervisor'
  | 'system'
  | 'submitter'
  | 'returnReviewer'
  | 'citizen'
  | 'callbackUnit'
  | 'hotline';

/** The permission table: command → grants. Auditors appear nowhere: they read, never write. */
export const PERMISSIONS: Readonly<Record<TicketCommandType, readonly Grant[]>> = {
  SubmitTicket: ['submitter'],
  RouteTicket: ['system'],
  // Accepting is signing for (签收): the receiving unit's admin, or its department staff after a transfer.
  AcceptTicket: ['holder'],
  ReplyToTicket: ['holder', 'firstResponderUnit'],
  AddInternalNote: ['holder', 'firstResponderUnit', 'supervisor'],
  TransferTicket: ['holderAdmin', 'firstResponderUnit'],
  HandBackTicket: ['holderDepartment'],
  RequestInformation: ['holder', 'firstResponderUnit'],
  AddInformation: ['reporter'],
  SetResolutionDeadline: ['holder', 'firstResponderUnit'],
  ResolveTicket: ['holder', 'firstResponderUnit'],
  VerifyResolution: ['holderAdmin', 'firstResponderUnit', 'supervisor'],
  CloseTicket: ['reporter', 'holderAdmin', 'firstResponderUnit', 'system'],
  ReopenTicket: ['reporter'],
  RateTicket: ['reporter'],
  AddAttachment: ['reporter', 'holder', 'firstResponderUnit'],
  RejectTicket: ['holderAdmin', 'firstResponderUnit'],
  MarkDuplicate: ['holderAdmin', 'firstResponderUnit'],
  WithdrawTicket: ['reporter'],
  ReassignTicket: ['supervisor'],
  EscalateTicket: ['supervisor', 'system'],
  // 退单 (issue 14 item 3): the receiving unit returns; the dispatching level (the transferring unit, or the
  // supervisors of the area) reviews.
  ReturnTicket: ['holder'],
  ReviewReturn: ['returnReviewer', 'supervisor'],
  // 回访 (issue 14 item 4): the first responder's unit calls the reporter back, or the hotline of the area
  // when the callback went to the hotline (TONGBAN_CALLBACK_BY=hotline, snapshotted at the resolution).
  RecordCallback: ['callbackUnit', 'hotline'],
  // 并单 / me too (issue 14 item 5): any citizen follows an open ticket instead of reporting it again.
  FollowTicket: ['citizen'],
  // 并单 (issue 14 item 5): the holding unit's admin, the first responder's unit or a supervisor of the area merges
  // a duplicate into its lead; the service then records it on the lead on its own authority.
  MergeTicket: ['holderAdmin', 'firstResponderUnit', 'supervisor'],
  RecordMergedDuplicate: ['system'],
  RecordCallbackOverdue: ['system'],
  IssueDeadlineWarning: ['system'],
  RecordDeadlineBreach: ['system'],
};

/** True when the actor holds the grant on this ticket. */
export function holdsGrant(grant: Grant, actor: ActorContext, state: TicketState, ctx: Pick<DecideContext, 'isWithin'>): boolean {
  const staff = actor.kind === 'staff';
  switch (grant) {
    case 'system':
      return actor.kind === 'system';
    case 'submitter':
      return actor.kind === 'citizen' || actor.kind === 'open311' || (staff && (actor.role === 'information-officer' || actor.role === 'admin'));
    case 'reporter':
      return (actor.kind === 'citizen' && state.reporter.deviceId !== '' && actor.id === state.reporter.deviceId)
        || (staff && state.reporter.staffId !== '' && actor.id === state.reporter.staffId)
        || (actor.kind === 'open311' && !!state.reporter.clientId && actor.id === state.reporter.clientId);
    case 'holder':
      return staff && (actor.role === 'admin' || actor.role === 'department') && actor.unitId === state.holderUnitId;
    case 'holderAdmin':
      return staff && actor.role === 'admin' && actor.unitId === state.holderUnitId;
    case 'holderDepartment':
      return staff && actor.role === 'department' && actor.unitId === state.holderUnitId;
    case 'firstResponderUnit': {
      const accountable = state.firstResponder?.unitId ?? state.routedUnitId;
      return staff && actor.role === 'admin' && accountable !== '' && actor.unitId === accountable;
    }
    case 'supervisor':
      return staff && actor.role === 'supervisor' && !!actor.unitDivision && ctx.isWithin(state.division, actor.unitDivision);
    case 'citizen':
      return actor.kind === 'citizen' && actor.id !== '';
    case 'returnReviewer':
      return staff && actor.role === 'admin' && !!state.pendingReturn?.reviewUnitId && actor.unitId === state.pendingReturn.reviewUnitId;
    case 'callbackUnit':
      return !callbackByHotline(state) && holdsGrant('firstResponderUnit', actor, state, ctx);
    case 'hotline':
      return staff && actor.role === 'hotline' && callbackByHotline(state) && !!actor.unitDivision && ctx.isWithin(state.division, actor.unitDivision);
  }
}

/** True when the ticket's callback task goes to the hotline (issue 14 item 4; else to the first responder's unit). */
export function callbackByHotline(state: TicketState): boolean {
  return state.callback?.by === 'hotline';
}

/** True when the actor may run the command on the ticket (see PERMISSIONS). */
export function isAllowed(command: TicketCommandType, actor: ActorContext, state: TicketState, ctx: Pick<DecideContext, 'isWithin'>): boolean {
  return PERMISSIONS[command].some((g) => holdsGrant(g, actor, state, ctx));
}

/**
 * Throws a `forbidden` TicketRejection unless the actor may run the command.
 * Reasons: read_only_role (auditor), not_holder (staff of another unit), not_reporter, outside_jurisdiction,
 * callback_by_hotline / callback_by_first_responder (the callback is the other's, issue 14 item 4), role_not_allowed.
 */
export function authorize(command: TicketCommandType, actor: ActorContext, state: TicketState, ctx: Pick<DecideContext, 'isWithin'>): void {
  if (isAllowed(command, actor, state, ctx)) return;
  if (actor.role === 'auditor') throw reject.forbidden('read_only_role', 'auditors read; they do not write');
  const grants = PERMISSIONS[command];
  if (actor.role === 'supervisor' && grants.includes('supervisor')) {
    throw reject.forbidden('outside_jurisdiction', 'the ticket lies outside your jurisdiction');
  }
  if (grants.length === 1 && grants[0] === 'reporter') throw reject.forbidden('not_reporter', 'only the reporter may do this');
  if (grants.includes('hotline') && actor.kind === 'staff') {
    if (actor.role === 'hotline' && callbackByHotline(state)) throw reject.forbidden('outside_jurisdiction', 'the ticket lies outside your jurisdiction');
    if (actor.role === 'hotline') throw reject.forbidden('callback_by_first_responder', 'the callback of this ticket is the first responder\'s unit\'s');
    if (callbackByHotline(state) && holdsGrant('firstResponderUnit', actor, state, ctx)) {
      throw reject.forbidden('callback_by_hotline', 'the callback of this ticket goes to the hotline (TONGBAN_CALLBACK_BY=hotline)');
    }
  }
  if (actor.kind === 'staff' && grants.some((g) => g.startsWith('holder') || g === 'firstResponderUnit' || g === 'callbackUnit' || g === 'returnReviewer')) {
    throw reject.forbidden('not_holder', 'your unit does not hold this ticket');
  }
  throw reject.forbidden('role_not_allowed', `a ${actor.role ?? actor.kind} may not ${command}`);
}
