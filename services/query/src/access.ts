import type { Principal, StaffPrincipal } from '@tongban/auth';
import type { TicketState } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';

/**
 * Who may read a ticket: auditors everything; supervisors, admins and hotline staff their jurisdiction (division
 * subtree); admins and department staff also every ticket their unit has held or is accountable for;
 * the reporter (device or submitting officer) their own; Open311 clients the public view.
 */
export function mayRead(principal: Principal, s: TicketState, involvedUnits: readonly string[], ref: ReferenceData): boolean {
  switch (principal.kind) {
    case 'system':
    case 'open311':
      return true;
    case 'citizen':
      // The reporter, and the devices following the ticket ("me too", issue 14 item 5; never its reporter's identity).
      return (s.reporter.deviceId !== '' && s.reporter.deviceId === principal.id) || (s.followers ?? []).includes(principal.id);
    case 'staff':
      if (principal.role === 'auditor') return true;
      if (s.reporter.staffId === principal.id) return true;
      if (involvedUnits.includes(principal.unitId)) return principal.role !== 'information-officer';
      if (principal.role === 'supervisor' || principal.role === 'admin' || principal.role === 'hotline') return ref.divisions.isWithin(s.division, principal.division);
      return false;
  }
}

/**
 * True when anyone may see a ticket without signing in (Open311 `media_url`, public attachments): its
 * reporter chose to make it public (visibility `public`, see the privacy rules of issue 14).
 */
export function isPublicTicket(s: TicketState): boolean {
  return s.visibility === 'public';
}

/**
 * How much of a reporter's identity (name, phone, e-mail, account, device id; a proxy submission's person and
 * contact) a reader gets (issue 14 item 6):
 * - `full`: unmasked;
 * - `masked`: name, phone, e-mail and the proxy's contact show their first character only; the device id stays;
 * - `hidden`: every identifying value is replaced by {@link REDACTED}, device ids (also as the actor of the
 *   reporter's own events) included.
 * An `agency` or `public` ticket: `full` for the holding unit, auditors, the reporter, and hotline staff of its
 * area while its callback is theirs (they call the reporter back, issue 14 item 4); `masked` for everyone else.
 * A `confidential` ticket (保密, GB/T 33358): `full` only for the reporter, the holding unit, the first
 * responder's unit, supervisors whose jurisdiction contains it (and the hotline while the callback is theirs);
 * `hidden` for everyone else — auditors, other units that may read it, followers, Open311 clients.
 */
export type ReporterDisclosure = 'full' | 'masked' | 'hidden';

/** What replaces an identifying value that a reader may not see (a confidential ticket's reporter). */
export const REDACTED = '***';

/** The reporter disclosure of a ticket for a reader (see {@link ReporterDisclosure}). */
export function reporterDisclosure(principal: Principal, s: TicketState, ref: ReferenceData): ReporterDisclosure {
  if (s.visibility === 'confidential') return inConfidentialCircle(principal, s, ref) ? 'full' : 'hidden';
  return seesPersonalData(principal, s, ref) ? 'full' : 'masked';
}

/** The holding unit, auditors, the reporter, and the hotline while the callback is theirs. */
function seesPersonalData(principal: Principal, s: TicketState, ref: ReferenceData): boolean {
  if (principal.kind === 'citizen') return principal.id === s.reporter.deviceId;
  if (principal.kind !== 'staff') return false;
  if (principal.role === 'hotline') return callsBack(principal, s, ref);
  return principal.role === 'auditor' || principal.unitId === s.holderUnitId || principal.id === s.reporter.staffId;
}

/** GB/T 33358 保密: the reporter, the holder, the first responder's unit, the area's supervisors (and the hotline calling back). */
function inConfidentialCircle(principal: Principal, s: TicketState, ref: ReferenceData): boolean {
  if (principal.kind === 'citizen') return principal.id === s.reporter.deviceId;
  if (principal.kind !== 'staff') return false;
  if (principal.id === s.reporter.staffId) return true;
  switch (principal.role) {
    case 'supervisor': return ref.divisions.isWithin(s.division, principal.division);
    case 'hotline': return callsBack(principal, s, ref);
    case 'admin': case 'department': return principal.unitId === s.holderUnitId || principal.unitId === (s.firstResponder?.unitId || s.routedUnitId);
    default: return false;
  }
}

/** True for hotline staff of the ticket's area while its callback is theirs (issue 14 item 4). */
function callsBack(principal: StaffPrincipal, s: TicketState, ref: ReferenceData): boolean {
  return s.callback?.by === 'hotline' && ref.divisions.isWithin(s.division, principal.division);
}

/** True when the reader is the reporter (who never sees internal notes or non-public replies). */
export function isReporter(principal: Principal, s: TicketState): boolean {
  if (principal.kind === 'citizen') return principal.id === s.reporter.deviceId;
  return principal.kind === 'staff' && principal.id === s.reporter.staffId && principal.role === 'information-officer';
}

/** Masks personal data: keeps the first character, replaces the rest. */
export function mask(value: string): string {
  if (!value) return value;
  const chars = [...value];
  return chars[0] + '*'.repeat(Math.max(2, chars.length - 1));
}
