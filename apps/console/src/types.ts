/** The shapes of the API answers the console reads (see services/query/src/read-models/view.ts and history.ts). */
import type { ClockFields } from './sla';

/** A unit reference in a ticket view. */
interface UnitRef {
  id: string;
  name: string;
}

/** GET /api/v1/tickets/{id} (and each row of GET /api/v1/tickets). Instants are UTC ISO strings. */
export interface TicketView extends ClockFields {
  id: string;
  reference: string;
  revision: number;
  /** The lead ticket this one was merged into (并单), when it was. */
  mergedInto?: { id: string; reference: string } | null;
  /** How many tickets were merged into this one. */
  merged?: number;
  service_code: string;
  division: string;
  divisionName: string;
  title: string;
  description: string;
  address?: string;
  lat?: number;
  long?: number;
  channel?: string;
  /** `staffName`: the submitting officer's display name (the staff directory's; absent for others). */
  /** `id`: the reporter to erase (issue 14 item 6); `erased`: their personal data was erased. */
  reporter?: { deviceId?: string; staffId?: string; staffName?: string; id?: string; erased?: boolean };
  onBehalfOf?: { name: string; contact?: string };
  routedUnit: UnitRef | null;
  holder: UnitRef | null;
  suggestedDepartment?: string;
  /** `staffName`: the directory's display name of the first responder, when the gateway found one. */
  firstResponder: { staffId?: string; staffName?: string; unitId: string; unitName?: string; acceptedAt?: string } | null;
  supervisingUnit: UnitRef | null;
  updatedAt?: string;
  resolutionDeadlineAnnounced?: boolean;
  lastPublicReply?: string;
  resolution?: string;
  closedAt?: string;
  duplicateOf?: string;
  rating?: { score: number; comment?: string };
  breaches?: { leg?: string; dueAt?: string; at?: string; breachedAt?: string }[];
  warnings?: { leg?: string }[];
  escalations?: { toUnitId?: string; reason?: string; at?: string }[];
  attachments?: { sha256: string; contentType: string; url: string }[];
}

/** One entry of GET /api/v1/tickets/{id}/history. */
export interface HistoryEntry {
  eventId: string;
  revision: number;
  type: string;
  occurredAt: string;
  recordedAt: string;
  /** `staffName`: a staff actor's display name (the staff directory's), when the gateway found one. */
  actor: { kind: string; id?: string; role?: string; unitId?: string; staffName?: string };
  onBehalfOf?: unknown;
  channel?: string;
  service?: string;
  data: Record<string, unknown>;
  hash?: string;
}
