/**
 * Where the auditor CLI reads from: the database directly (a read-only role is enough, see
 * docs/audit.md) or the API with an auditor token. Both give the same shapes.
 */
import type { AnchorStreamVerification } from '../audit/anchors';
import type { ExportRow } from '../audit/export';
import type { AnchoredHead } from '../audit/verify';
import type { TimelineEvent } from './timeline';

/** The outcome for one ticket. */
export interface TicketVerification {
  ticketId: string;
  stream: string;
  intact: boolean;
  checkedEvents: number;
  firstBadRevision?: number;
  reason?: string;
  lastRevision: number;
  anchor?: AnchoredHead;
}

/** What an export page request names. */
export interface ExportRequest {
  division: string;
  from?: string;
  to?: string;
  unmasked: boolean;
  reason?: string;
  format: string;
  afterStream?: string;
  limit: number;
  /** The disclosure recorded for the first page of an unmasked export. */
  disclosureId?: string;
}

/** The reading operations of the CLI. */
export interface AuditSource {
  /** Human label: the database host/name or the API URL. */
  readonly description: string;
  verifyTicket(ticketId: string): Promise<TicketVerification>;
  /** One page of tickets (a division's, or all) in ticket id order. */
  verifyPage(division: string | undefined, after: string | undefined, limit: number): Promise<{ results: TicketVerification[]; next?: string; total: number }>;
  /** Verifies the anchors stream itself (database only: the API has no such call yet). */
  verifyAnchors?(onProgress: (checked: number) => void): Promise<AnchorStreamVerification>;
  history(ticketId: string): Promise<TimelineEvent[]>;
  exportPage(req: ExportRequest): Promise<{ rows: ExportRow[]; next?: string; disclosureId?: string }>;
  /** Tickets an export of the division will visit (for progress), when known. */
  exportTotal?(division: string): Promise<number>;
  close(): Promise<void>;
}

/** A failure the CLI reports without a stack trace (exit 2). */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'cli_error';
}
