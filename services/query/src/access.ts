import type { Principal } from '@tongban/auth';
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
 * True when the reader sees reporters' personal data unmasked: the holding unit and auditors; hotline staff of the
 * ticket's area while its callback is theirs (they call the reporter back, issue 14 item 4).
 */
export function seesPersonalData(principal: Principal, s: TicketState): boolean {
  if (principal.kind === 'citizen') return principal.id === s.reporter.deviceId;
  if (principal.kind !== 'staff') return false;
  if (principal.role === 'hotline') return s.callback?.by === 'hotline' && s.division.startsWith(principal.division);
  return principal.role === 'auditor' || principal.unitId === s.holderUnitId || principal.id === s.reporter.staffId;
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
