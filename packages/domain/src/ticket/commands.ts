import type { events } from '@tongban/contracts';
import type { DivisionLevel } from '../reference/divisions';
import type { StaffRole, UnitKind } from '../reference/units';
import type { SlaLegName } from '../sla/legs';

/**
 * Commands of the ticket decider. Everything the decision needs arrives in the command or its context:
 * ids, time and resolved reference data (e.g. the unit a department type maps to) are supplied by the
 * executing service, so that decide stays pure.
 */
export type TicketCommand =
  | { type: 'SubmitTicket'; ticketId: string; reference: string; serviceCode: string; division: string; title: string; description: string;
      address: string; lat?: number; long?: number; channel: string; reporter: events.Reporter; onBehalfOf?: { name: string; contact: string };
      attributes: Record<string, string>; mediaUrl: string; policy: events.SlaPolicy;
      /** How the division was found (intake's location → division); absent: given. lat/long are WGS-84. */
      divisionDerivation?: events.DivisionDerivation;
      /** Issue 14 item 6: public | agency | confidential (VISIBILITIES); absent: agency. */
      visibility?: string }
  | { type: 'RouteTicket'; unitId: string; division: string; suggestedDepartment: string }
  | { type: 'AcceptTicket' }
  | { type: 'ReplyToTicket'; message: string; public: boolean }
  | { type: 'AddInternalNote'; text: string }
  | { type: 'TransferTicket'; toUnitId: string; department: string; reason: string }
  | { type: 'HandBackTicket'; findings: string }
  | { type: 'RequestInformation'; question: string }
  | { type: 'AddInformation'; text: string; channel: string }
  | { type: 'SetResolutionDeadline'; dueAt: string; reason: string }
  | { type: 'ResolveTicket'; resolution: string }
  | { type: 'VerifyResolution'; method: string; note: string }
  | { type: 'CloseTicket'; reason: string }
  | { type: 'ReopenTicket'; reason: string }
  /** Score 1–5 or `level` (one of RATING_LEVELS); a dissatisfied level reopens a resolved ticket for rectification. */
  | { type: 'RateTicket'; score: number; comment: string; level?: string }
  /** A callback (回访, issue 14 item 4): channel one of CALLBACK_CHANNELS; rating (a level) required when reached. */
  | { type: 'RecordCallback'; reached: boolean; channel: string; rating: string; comment: string }
  | { type: 'AddAttachment'; sha256: string; contentType: string; size: number; lat?: number; long?: number }
  | { type: 'RejectTicket'; category: string; reason: string }
  | { type: 'MarkDuplicate'; ofTicketId: string }
  /**
   * 并单 (issue 14 item 5): merge this ticket into the lead `intoTicketId`. The executing service resolves the
   * lead's reference and status (`intoStatus` '' when no such ticket exists), and whether the lead is a
   * confidential report (`intoConfidential`, issue 14 item 6).
   */
  | { type: 'MergeTicket'; intoTicketId: string; intoReference: string; intoStatus: string; intoConfidential?: boolean }
  /** On the lead, after TicketMerged on the duplicate: records the merge and makes its reporter a follower (system). */
  | { type: 'RecordMergedDuplicate'; mergedTicketId: string; mergedReference: string; reporterDeviceId: string; reporterLanguage: string; staffId: string; unitId: string }
  | { type: 'WithdrawTicket'; reason: string }
  | { type: 'ReassignTicket'; toUnitId: string; toUnitDivision: string; toStaffId: string; reason: string }
  | { type: 'EscalateTicket'; toUnitId: string; reason: string; automatic: boolean }
  /** 退单 (issue 14 item 3): reasonCode one of RETURN_REASON_CODES; `reason` required for `other`. */
  | { type: 'ReturnTicket'; reasonCode: string; reason: string; legalBasis: string }
  /** Review of a pending return: approve → reroute to `toUnitId` (division `toUnitDivision`); refuse → `reason` required. */
  | { type: 'ReviewReturn'; approve: boolean; toUnitId: string; toUnitDivision: string; reason: string }
  /** A citizen follows an open ticket ("me too", issue 14 item 5); the acting device is the follower. */
  | { type: 'FollowTicket' }
  | { type: 'IssueDeadlineWarning'; leg: SlaLegName; dueAt: string }
  /**
   * The deadline service (system), at the callback's due time: records `CallbackOverdue` when the callback task
   * of the current resolution (due `dueAt`, UTC ISO) is still not done (issue 14 item 4); otherwise no event.
   */
  | { type: 'RecordCallbackOverdue'; dueAt: string }
  /**
   * `toUnitId` (optional): the unit to escalate to at once (the level-1 automatic escalation, 督办) when this
   * breach is the ticket's first and nothing has escalated it yet — one append carries both events.
   */
  | { type: 'RecordDeadlineBreach'; leg: SlaLegName; dueAt: string; toUnitId?: string };

/** Command type names (also the action names of the permission table). */
export type TicketCommandType = TicketCommand['type'];

/** Who is acting, as the executing service resolved it from the verified token and reference data. */
export interface ActorContext {
  /** citizen (a device) | staff | system (a service on its own authority) | open311 (an API client). */
  kind: 'citizen' | 'staff' | 'system' | 'open311';
  /** Device id, staff id, service name or API client id. */
  id: string;
  role?: StaffRole;
  unitId?: string;
  unitKind?: UnitKind;
  /** Division of the actor's unit: its jurisdiction is this subtree. */
  unitDivision?: string;
  unitLevel?: DivisionLevel;
}

/** Settings of the workflow that a deployment may change. */
export interface WorkflowSettings {
  /** Days after resolution within which the reporter may reopen; then it closes automatically. */
  autoCloseDays: number;
  /** Cap on the total extension of the resolution deadline by announcements, hours. */
  maxExtensionHours: number;
  /** Issue 14 item 4: the callback is due this many working days after the resolution (default 3). */
  callbackDueWorkingDays?: number;
  /** Callback attempts before an unreached reporter's ticket closes as not reached (default 3). */
  callbackMaxAttempts?: number;
  /** Resolution leg of a rectification (发回重办), working days (default 15). */
  rectificationWorkingDays?: number;
  /**
   * Who owes the callback of a resolution (issue 14 item 4, a deployment setting): `first-responder` (default:
   * admins of the first responder's unit) or `hotline` (hotline staff whose jurisdiction contains the ticket).
   * Snapshotted into TicketResolved, so a later change of the setting leaves owed callbacks where they are.
   */
  callbackBy?: CallbackAssignee;
}

/** Who a callback task goes to (WorkflowSettings.callbackBy). */
export const CALLBACK_ASSIGNEES = ['first-responder', 'hotline'] as const;

/** first-responder | hotline. */
export type CallbackAssignee = (typeof CALLBACK_ASSIGNEES)[number];

/**
 * Default workflow settings: 7 days to object, extensions capped at 90 days; callbacks by the first responder's
 * unit in 3 working days, 3 attempts; rectification 15 working days.
 */
export const DEFAULT_WORKFLOW_SETTINGS: Required<WorkflowSettings> = {
  autoCloseDays: 7, maxExtensionHours: 90 * 24, callbackDueWorkingDays: 3, callbackMaxAttempts: 3, rectificationWorkingDays: 15,
  callbackBy: 'first-responder',
};

/** The context of a decision: the time (UTC), the actor, jurisdiction lookup and settings. */
export interface DecideContext {
  now: Date;
  actor: ActorContext;
  /** True when division `code` is `ancestor` or in its subtree. */
  isWithin: (code: string, ancestor: string) => boolean;
  settings?: WorkflowSettings;
}
