import type { TokenSubject } from '@tongban/auth';
import type { intake } from '@tongban/contracts';
import { isTicketId } from '@tongban/domain';
import type { EventStore } from '@tongban/eventstore';
import { type ErasureActor, ID_NAMESPACES, type ReporterKeyStore, fail, handlingContext, uuidV5 } from '@tongban/runtime';

/** The stream of a reporter's erasure: `reporter-<reporter id>` (one ReporterErased, revision 0). */
export function reporterStream(reporterId: string): string {
  return `reporter-${reporterId}`;
}

/** Longest reason accepted, characters. */
const MAX_REASON_LENGTH = 2000;

/** What erasing needs. */
export interface ErasureDeps {
  reporters: ReporterKeyStore;
  store: EventStore;
  clock: { now(): Date };
  /**
   * Whether the caller holds a directory-admin role (identity's GetMe with the caller's token; an account
   * that is disabled or must still change its one-time password holds none).
   */
  isDirectoryAdmin(): Promise<boolean>;
}

/**
 * EraseReporter (issue 14 item 6, the Personal Information Protection Law's deletion right): destroys the
 * reporter's data key — every value sealed with it, in every ticket event, read model and copy, can no
 * longer be opened — and appends ReporterErased {reporterId, by, reason, at} to `reporter-<id>`. The key goes
 * first: a failure between the two leaves the key destroyed, and the retry (answered `already_erased`)
 * appends the same event (its id derived from the reporter id, its data from the first erasure), so the
 * event is written exactly once. Hash chains are untouched: they cover the ciphertext.
 * Who: supervisors (a staff token in that role) and directory-admins (any signed-in person holding the role).
 * @throws ServiceFailure PERMISSION_DENIED (not_allowed_to_erase), INVALID_ARGUMENT (missing_reason,
 *   reason_too_long), NOT_FOUND (reporter_not_found).
 */
export async function eraseReporter(deps: ErasureDeps, req: intake.EraseReporterRequest, subject: TokenSubject): Promise<intake.EraseReporterResponse> {
  const supervisor = subject.kind === 'staff' && subject.role === 'supervisor';
  if (!supervisor && !((subject.kind === 'staff' || subject.kind === 'person') && await deps.isDirectoryAdmin())) {
    throw fail.forbidden('not_allowed_to_erase', 'only supervisors and directory-admins may erase a reporter');
  }
  const reason = req.reason.trim();
  if (!reason) throw fail.invalid('missing_reason', 'reason is required (why the reporter is erased, e.g. their request)');
  if ([...reason].length > MAX_REASON_LENGTH) throw fail.invalid('reason_too_long', `reason must be at most ${MAX_REASON_LENGTH} characters`);
  const reporterId = req.reporterId.toLowerCase();
  if (!isTicketId(reporterId)) throw fail.notFound('reporter_not_found', `no reporter ${req.reporterId}`);
  // Who acted, in the role that allowed it.
  const actor: ErasureActor = supervisor && subject.kind === 'staff'
    ? { kind: 'staff', id: subject.id, ...(subject.unitId ? { unitId: subject.unitId } : {}), role: 'supervisor' }
    : { kind: 'staff', id: subject.id, role: 'directory-admin' };
  const id = uuidV5(reporterId, ID_NAMESPACES.reporterErased);
  const erasure = await deps.reporters.erase(reporterId, { actor, reason, correlationId: handlingContext()?.correlationId ?? id, at: deps.clock.now() });
  if (!erasure) throw fail.notFound('reporter_not_found', `no reporter ${req.reporterId}`);
  // The event names the first erasure in data and metadata alike (kept with the key's row), so a retry or a
  // concurrent second request appends exactly the first one's event; an erasure recorded before the actor was
  // kept names the caller in metadata, as it did.
  await deps.store.append(reporterStream(reporterId), [{
    id,
    type: 'ReporterErased',
    data: { reporterId, by: erasure.by, reason: erasure.reason, at: erasure.erasedAt },
    metadata: {
      actor: erasure.actor ?? actor,
      channel: 'web', correlationId: erasure.correlationId ?? handlingContext()?.correlationId ?? id, service: 'intake', schemaVersion: 1,
      occurredAt: erasure.erasedAt,
    },
  }], 'no_stream');
  return { reporterId, by: erasure.by, reason: erasure.reason, erasedAt: erasure.erasedAt, alreadyErased: erasure.alreadyErased };
}
