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
      attributes: Record<string, string>; mediaUrl: string; policy: events.SlaPolicy }
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
  | { type: 'RateTicket'; score: number; comment: string }
  | { type: 'RejectTicket'; category: string; reason: string }
  | { type: 'MarkDuplicate'; ofTicketId: string }
  | { type: 'WithdrawTicket'; reason: string }
  | { type: 'ReassignTicket'; toUnitId: string; toUnitDivision: string; toStaffId: string; reason: string }
  | { type: 'EscalateTicket'; toUnitId: string; reason: string; automatic: boolean }
  | { type: 'IssueDeadlineWarning'; leg: SlaLegName; dueAt: string }
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
}

/** Default workflow settings: 7 days to object, extensions capped at 90 days. */
export const DEFAULT_WORKFLOW_SETTINGS: WorkflowSettings = { autoCloseDays: 7, maxExtensionHours: 90 * 24 };

/** The context of a decision: the time (UTC), the actor, jurisdiction lookup and settings. */
export interface DecideContext {
  now: Date;
  actor: ActorContext;
  /** True when division `code` is `ancestor` or in its subtree. */
  isWithin: (code: string, ancestor: string) => boolean;
  settings?: WorkflowSettings;
}
