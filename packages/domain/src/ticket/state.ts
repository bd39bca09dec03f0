import type { SignForLeg, SlaLeg, SlaLegName } from '../sla/legs';

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

/** The callback owed after a resolution: due time, attempts so far, and how it ended. */
export interface CallbackTask {
  dueAt: string;
  attempts: number;
  /** True after a rectification: the ticket does not close automatically until the callback is done. */
  mandatory: boolean;
  /** reached | not_reached once done. */
  outcome?: 'reached' | 'not_reached';
  /** Who owes it: first-responder | hotline (absent: first-responder; snapshotted at the resolution). */
  by?: string;
  /** When the deadline service recorded it overdue (CallbackOverdue), if it was not done by `dueAt`. */
  overdueAt?: string;
}

/** A callback recorded overdue (CallbackOverdue): not done by its due time. Kept across rectifications for the statistics. */
export interface CallbackOverdueRecord {
  dueAt: string;
  overdueAt: string;
  /** first-responder | hotline */
  by: string;
  /** The first responder's unit. */
  unitId: string;
}

/** One recorded callback. */
export interface CallbackRecord {
  reached: boolean;
  channel: string;
  rating: string;
  attempt: number;
  at: string;
  unitId: string;
}

/** A return waiting for the dispatching level's review. */
export interface PendingReturn {
  fromUnitId: string;
  reasonCode: string;
  reason: string;
  legalBasis: string;
  /** Admin unit that reviews it ('' = the supervisors of the ticket's area). */
  reviewUnitId: string;
  at: string;
}

/** A return and how it was reviewed. */
export interface ReturnRecord {
  fromUnitId: string;
  reasonCode: string;
  at: string;
  /** pending | approved | refused */
  outcome: 'pending' | 'approved' | 'refused';
  toUnitId?: string;
  reviewedAt?: string;
}

/** A sign-for (签收) done: the unit, when the leg started and was due, and when the unit signed for it. */
export interface SignForRecord {
  unitId: string;
  startedAt: string;
  dueAt: string;
  signedAt: string;
}

/** A recorded missed sign-for: the unit that did not sign for the ticket in time. */
export interface SignForBreach {
  unitId: string;
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
  /**
   * The reporter's answers to the category's questions (Open311 attributes: code → value; a
   * multivaluelist's keys comma-joined), as submitted; absent when none were given.
   */
  attributes?: Readonly<Record<string, string>>;
  channel: string;
  /**
   * Who reported it: the citizen device, the officer who submitted on someone's behalf, and for an
   * Open311 submission the client application (`clientId`, the API key's application) that acts for
   * its reporter.
   */
  reporter: {
    deviceId: string; staffId: string; unitId: string; clientId?: string;
    /**
     * Issue 14 item 6: the reporter whose data key sealed the personal data (`sealed`: name, phone, e-mail,
     * account, the proxy's person and contact), see TicketSubmitted.reporter; absent on unsealed reports.
     * While sealed, `onBehalfOf` holds empty strings: readers open `sealed` with the key (or learn it is erased).
     */
    reporterId?: string;
    sealed?: string;
  };
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
  /** The reporter's rating: score 1–5, its five-level name (issue 14 item 4) and when it was given. */
  rating?: { score: number; comment: string; level?: string; at?: string };
  /** Who closed it: reporter | automatic | staff | callback | not_reached (absent on older states). */
  closedBy?: string;
  /** The callback task of the latest resolution (issue 14 item 4); absent when none is owed. */
  callback?: CallbackTask;
  /** Every callback recorded, in order. */
  callbacks?: CallbackRecord[];
  /** Every callback task that was not done by its due time (CallbackOverdue), in order. */
  callbackOverdues?: CallbackOverdueRecord[];
  /** The reporter's choice of visibility (issue 14 item 6): public | agency | confidential; absent: agency. */
  visibility?: string;
  /** Devices following the ticket instead of reporting it again ("me too", issue 14 item 5). */
  followers?: string[];
  /** The lead ticket this one was merged into (并单, issue 14 item 5); its status is then `duplicate`. */
  mergedInto?: { ticketId: string; reference: string };
  /** Duplicates merged into this ticket (并单): counted once, here, as its me-too count with the followers. */
  merged?: { ticketId: string; reference: string; at: string }[];
  /** Languages of followers who came with a merged duplicate (device id → zh-Hans | en | ii), for their notices. */
  followerLanguages?: Record<string, string>;
  /** Rectifications (发回重办) after a dissatisfied rating or callback. */
  rectifications?: number;
  /** Photos attached, in order (absent in states stored before attachments existed). */
  attachments?: TicketAttachment[];
  verifications: number;
  /** Total time the resolution deadline was extended by announcements, ms (for the extension cap). */
  extendedMs: number;
  /**
   * The SLA policy snapshot from TicketSubmitted (hours counted on `calendar`; absent = calendar hours), with
   * the urgency class, policy set, request type and sign-for limit (issue 14 items 1–2) when it has them.
   */
  policy: {
    firstResponseHours: number; resolutionHours: number; warnAtFraction: number; calendar?: string;
    urgencyClass?: string; policySet?: string; requestType?: string; signForHours?: number; signForCalendar?: string;
  };
  /**
   * The legs: the citizen's clocks (first response, resolution) run from the submission whatever the units
   * do; `signFor` is the current receiving unit's sign-for (签收) leg, when the policy has a sign-for limit.
   */
  sla: { firstResponse?: SlaLeg; resolution?: SlaLeg; signFor?: SignForLeg };
  /** When the holding unit received the ticket (routed, transferred, escalated, reassigned, handed back, reopened). */
  holderSince?: string;
  /** A return (退单) waiting for review, if any. */
  pendingReturn?: PendingReturn;
  /** Every return and its outcome, in order (issue 14 item 3; counted per unit in the statistics). */
  returns?: ReturnRecord[];
  /**
   * Sign-fors (签收) done: each receiving unit's accept that met its sign-for leg, on time or late (issue 14 item 7:
   * 签收及时率 = those at or before their due time over those done plus those missed and never signed).
   */
  signFors?: SignForRecord[];
  /** Missed sign-fors (SignForBreached), kept apart from the citizen's breaches (absent in older states). */
  signForBreaches?: SignForBreach[];
  breaches: Breach[];
  warnings: { leg: SlaLegName; dueAt: string }[];
  escalations: Escalation[];
  updatedAt: string;
}

/** A file attached to a ticket: the SHA-256 of its stored bytes (lower-case hex), its type and size in bytes. */
export interface TicketAttachment {
  sha256: string;
  contentType: string;
  size: number;
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
