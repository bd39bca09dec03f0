import type { SlaLeg, SlaLegName } from '../sla/legs';

/**
 * Ticket statuses.
 * submitted: recorded, not yet routed; routed: held by an administration unit, not yet accepted;
 * in_progress: accepted and being handled (also after a transfer or reopen);
 * awaiting_information: waiting on the reporter (the resolution leg is paused);
 * resolved: the handler says it is solved (the reporter may confirm, reopen, or it closes automatically);
 * closed, rejected, duplicate, withdrawn: final.
 */
export type TicketStatus =
  | 'submitted'
  | 'routed'
  | 'in_progress'
  | 'awaiting_information'
  | 'resolved'
  | 'closed'
  | 'rejected'
  | 'duplicate'
  | 'withdrawn';

/** Statuses in which nothing but notes and ratings can happen. */
export const FINAL_STATUSES: readonly TicketStatus[] = ['closed', 'rejected', 'duplicate', 'withdrawn'];

/** The person accountable under first-inquiry responsibility (首问责任制). */
export interface FirstResponder {
  staffId: string;
  unitId: string;
  /** UTC ISO instant of the accept (or of the supervisor's reassignment). */
  since: string;
}

/** A recorded breach of an SLA leg. */
export interface Breach {
  leg: SlaLegName;
  dueAt: string;
  breachedAt: string;
}

/** A recorded escalation up the hierarchy. */
export interface Escalation {
  fromUnitId: string;
  toUnitId: string;
  level: number;
  automatic: boolean;
  at: string;
  reason: string;
}

/** The state of a ticket, evolved from its events. `revision` is -1 before the first event. */
export interface TicketState {
  exists: boolean;
  revision: number;
  ticketId: string;
  reference: string;
  serviceCode: string;
  division: string;
  title: string;
  description: string;
  address: string;
  /** WGS84 position given with the submission (Open311 lat/long), if any. */
  lat?: number;
  long?: number;
  /** URL of media given with the submission (Open311 media_url), if any. */
  mediaUrl?: string;
  channel: string;
  /**
   * Who reported it: the citizen device, the officer who submitted on someone's behalf, and for an
   * Open311 submission the client application (`clientId`, the API key's application) that acts for
   * its reporter.
   */
  reporter: { deviceId: string; staffId: string; unitId: string; clientId?: string };
  onBehalfOf?: { name: string; contact: string };
  status: TicketStatus;
  submittedAt: string;
  /** The administration unit the ticket was routed to. */
  routedUnitId: string;
  suggestedDepartment: string;
  /** The unit holding the work now. */
  holderUnitId: string;
  /** Units that accepted while holding the ticket (an accept is needed once per holder). */
  acceptedUnitIds: string[];
  /** The unit a transfer came from (where a hand-back returns to). */
  transferredFromUnitId: string;
  firstResponder?: FirstResponder;
  lastPublicReplyAt?: string;
  /** The latest public reply (Open311 status_notes). */
  lastPublicReply?: string;
  /** The unit supervising the ticket after an escalation (督办), if any. */
  supervisingUnitId?: string;
  resolvedAt?: string;
  /** The handler's account of the resolution, told to the reporter. */
  resolution?: string;
  closedAt?: string;
  duplicateOf?: string;
  rating?: { score: number; comment: string };
  verifications: number;
  /** Total time the resolution deadline was extended by announcements, ms (for the extension cap). */
  extendedMs: number;
  /** The SLA policy snapshot from TicketSubmitted (hours counted on `calendar`; absent = calendar hours). */
  policy: { firstResponseHours: number; resolutionHours: number; warnAtFraction: number; calendar?: string };
  sla: { firstResponse?: SlaLeg; resolution?: SlaLeg };
  breaches: Breach[];
  warnings: { leg: SlaLegName; dueAt: string }[];
  escalations: Escalation[];
  updatedAt: string;
}

/** The state of a ticket that does not exist yet. */
export function initialTicketState(): TicketState {
  return {
    exists: false,
    revision: -1,
    ticketId: '',
    reference: '',
    serviceCode: '',
    division: '',
    title: '',
    description: '',
    address: '',
    channel: '',
    reporter: { deviceId: '', staffId: '', unitId: '' },
    status: 'submitted',
    submittedAt: '',
    routedUnitId: '',
    suggestedDepartment: '',
    holderUnitId: '',
    acceptedUnitIds: [],
    transferredFromUnitId: '',
    verifications: 0,
    extendedMs: 0,
    policy: { firstResponseHours: 24, resolutionHours: 72, warnAtFraction: 0.75 },
    sla: {},
    breaches: [],
    warnings: [],
    escalations: [],
    updatedAt: '',
  };
}
