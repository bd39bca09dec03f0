// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import type { Principal } from '@tongban/auth';
import { isAllowed, isTicketId, ticketStream, type TicketState } from '@tongban/domain';
import { casework } from '@tongban/contracts';
import { createPool } from '@tongban/eventstore';
import type pg from 'pg';
import type { ReferenceData } from '@tongban/reference-data';
import { TicketExecutor, actorContext, correlationId, executeTicketRpc, fail, loadTicket, runService, serveGrpc, unary } from '@tongban/runtime';
import { caseworkCommand } from './commands';

runService('casework', async (host) => {
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'casework', settings: host.settings });
  const deps = { executor, ref: host.ref };
  // Merges hold an advisory lock on their two tickets (see withMergeLock) on connections of their own, so
  // that merges waiting for one never take the connections the appends need.
  const mergeLocks = createPool(host.config.databaseUrl, { max: 2, onError: (err) => host.log.warn({ err: err.message }, 'PostgreSQL connection lost (merge locks)') });
  host.onStop(() => mergeLocks.end());
  const grpc = await serveGrpc(host, 'casework', casework.CaseworkServiceService, {
    executeCaseworkCommand: unary(host.keys, host.log, async (req: casework.ExecuteCaseworkCommandRequest, principal, md) => {
      const command = caseworkCommand(req);
      if (command.type === 'MarkDuplicate' && command.ofTicketId !== req.ticketId) {
        // Who may not mark this ticket at all hears so (403 from the decider) before anything about the original.
        const self = await loadTicket(host.store, req.ticketId.toLowerCase());
        const within = { isWithin: (division: string, root: string) => host.ref.divisions.isWithin(division, root) };
        if (!self.exists || !isAllowed('MarkDuplicate', actorContext(principal, host.ref), self, within)) return executeTicketRpc(deps, req, principal, md, command);
        // Under the merge lock too: A duplicate of B and B of A at once would both find the other open.
        return withMergeLock(mergeLocks, [req.ticketId.toLowerCase(), command.ofTicketId.toLowerCase()], async () => {
          const original = isTicketId(command.ofTicketId) ? await loadTicket(host.store, command.ofTicketId) : undefined;
          if (!original?.exists || !mayName(principal, original, host.ref)) throw fail.invalid('duplicate_target_not_found', `no ticket ${command.ofTicketId} to be a duplicate of`);
          // A duplicate of a duplicate would close both with nobody handling the problem when they point at each other.
          if (original.status === 'duplicate') {
            throw fail.precondition('duplicate_target_duplicate', `ticket ${original.reference} is itself a duplicate (of ${original.duplicateOf ?? original.mergedInto?.ticketId ?? 'another ticket'}); name that one`);
          }
          return executeTicketRpc(deps, req, principal, md, command);
        });
      }
      if (command.type !== 'MergeTicket') return executeTicketRpc(deps, req, principal, md, command);

      // 并单 (issue 14 item 5): the decider checks the lead's status, so it gets the lead as it is now; then the
      // merge is recorded on the lead. Not one transaction: a crash between the two appends leaves the lead
      // without the record until the merge is requested again (which records nothing more on this ticket
      // and completes the lead). Merges sharing a ticket run one at a time (withMergeLock): no two tickets merged into each other.
      const into = command.intoTicketId.toLowerCase();
      return withMergeLock(mergeLocks, [req.ticketId.toLowerCase(), into], async () => {
        const lead = isTicketId(into) && into !== req.ticketId.toLowerCase() ? await loadTicket(host.store, into) : undefined;
        // A lead the caller may not name is answered as missing (merge_target_not_found): no merge across jurisdictions.
        const known = lead?.exists === true && mayName(principal, lead, host.ref);
        const checked = {
          ...command, intoTicketId: into, intoReference: known ? lead.reference : '', intoStatus: known ? lead.status : '',
          intoConfidential: known && lead.visibility === 'confidential',
        };
        const answer = await executeTicketRpc(deps, req, principal, md, checked);
        const ticketId = req.ticketId.toLowerCase();
        const merged = await loadTicket(host.store, ticketId);
        if (merged.mergedInto?.ticketId !== into) return answer;
        const submitted = (await host.store.readStream(ticketStream(ticketId), { toRevision: 0 }))[0];
        const language = (submitted?.data as { reporter?: { language?: string } } | undefined)?.reporter?.language ?? '';
        const actor = actorContext(principal, host.ref);
        await executor.execute(into, {
          type: 'RecordMergedDuplicate', mergedTicketId: ticketId, mergedReference: merged.reference, reporterDeviceId: merged.reporter.deviceId,
          reporterLanguage: language, staffId: actor.id, unitId: actor.unitId ?? '',
        }, { kind: 'system', id: 'casework' }, { correlationId: correlationId(md), channel: 'system' });
        return answer;
      });
    }),
  });
  host.log.info({ port: grpc.port }, 'casework gRPC listening');
});

/**
 * Whether the caller may name `other` as the original of a duplicate or the lead of a merge: a ticket it could
 * find by reference, i.e. one in its jurisdiction (supervisors, admins, hotline: the division subtree of the
 * token), one its unit holds, is accountable for or was routed, or any ticket for auditors and the system.
 * Anything else is answered as if it did not exist, so no ticket is tied to one of another county (and its
 * reporter does not come to follow it) and no existence leaks.
 */
function mayName(principal: Principal, other: TicketState, ref: ReferenceData): boolean {
  if (principal.kind !== 'staff') return principal.kind === 'system';
  if (principal.role === 'auditor') return true;
  const units = [other.holderUnitId, other.firstResponder?.unitId, other.routedUnitId];
  if (units.includes(principal.unitId) && principal.role !== 'information-officer') return true;
  return (principal.role === 'supervisor' || principal.role === 'admin' || principal.role === 'hotline') && ref.divisions.isWithin(other.division, principal.division);
}

/** Advisory lock class of merges: "merg". */
const MERGE_LOCK_CLASS = 0x6d657267;

/**
 * Runs a merge holding a transaction-level advisory lock on each of its two tickets (taken in id order, so two
 * merges never wait for each other in a circle). Two merges sharing a ticket run one after the other, so the
 * second sees what the first wrote: A→B and B→A at once can no longer both pass the lead check and leave two
 * tickets merged into each other (counted nowhere); the later one finds its lead final (409 merge_target_final).
 */
async function withMergeLock<T>(locks: pg.Pool, ticketIds: readonly string[], work: () => Promise<T>): Promise<T> {
  const client = await locks.connect();
  try {
    await client.query('BEGIN');
    for (const id of [...new Set(ticketIds)].sort()) await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MERGE_LOCK_CLASS, id]);
    return await work();
  } finally {
    await client.query('COMMIT').catch(() => undefined);
    client.release();
  }
}
