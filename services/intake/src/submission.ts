import type { Principal } from '@tongban/auth';
import { isLanguage } from '@tongban/i18n';
import type { intake } from '@tongban/contracts';
import { DEFAULT_SLA_CONFIG, REQUEST_TYPES, TicketRejection, isRequestType, decide, findService, initialTicketState, slaPolicyFor, type Clock, type SlaConfig, type TicketCommand } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { type ReporterKeyStore, SealError, type TicketExecutor, actorContext, fail, handlingContext, initialRoutingFollowUp } from '@tongban/runtime';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { type PlacedSubmission, placeSubmission } from './location';
import { type ClaimedIds, claimRetryWindow } from './open311-retries';
import { REFERENCE_SQL, nextReference, shanghaiYear } from './reference-number';
import { open311DeviceHash, sealSubmission } from './reporter-sealing';
import { requestDigest } from './request-digest';

/** Dependencies of the submission use case. */
export interface SubmissionDeps {
  pool: pg.Pool;
  executor: TicketExecutor;
  /** The reporters' data keys: personal data is sealed before it is appended (issue 14 item 6, reporter-sealing.ts). */
  reporters: ReporterKeyStore;
  ref: ReferenceData;
  clock: Clock;
  /** Retry window of Open311 submissions, seconds (see open311-retries.ts); 0 or absent: off. */
  open311RetryWindowSeconds?: number;
  /** Calendars and hours for new tickets (TONGBAN_SLA_CONFIG, `host.slaConfig`); absent: the shipped configuration. */
  slaConfig?: SlaConfig;
}

type Submit = NonNullable<intake.SubmitTicketRequest['ticket']>;

/**
 * SubmitTicket: validates service_code, places the report in its division (given, or derived from
 * lat/long and the address: location.ts), validates the division, allocates id and reference, and appends
 * TicketSubmitted with its initial routing (TicketRouted by the routing system actor, initialRoutingFollowUp)
 * in one append: a new ticket's answer has revision 1. Idempotent per caller and Idempotency-Key: the same key
 * and body returns the same ticket at its current revision, writing nothing (replayed=true); the same key with another body fails ALREADY_EXISTS
 * (reason idempotency_key_reused). Without a key, an Open311 submission with a device id is merged
 * with the same client's, device's and body's submission inside the retry window (replayed=true).
 * @throws ServiceFailure INVALID_ARGUMENT (missing_field, unknown_service_code, unknown_division, invalid_coordinate_system,
 *   location_outside_jurisdiction, division_not_derivable, on_behalf_of_requires_staff),
 *   PERMISSION_DENIED (outside_jurisdiction), ALREADY_EXISTS; TicketRejection from the decider.
 */
export async function submitTicket(deps: SubmissionDeps, request: intake.SubmitTicketRequest, principal: Principal): Promise<intake.SubmitTicketResponse> {
  const ticket = request.ticket;
  if (!ticket) throw fail.invalid('missing_ticket', 'ticket is required');
  checkServiceCode(deps.ref, ticket);
  // The division: given, or derived from lat/long and the address (location.ts).
  const placed = placeSubmission(deps.ref, ticket);
  validateAgainstReference(deps.ref, placed.ticket, principal);
  const actor = actorContext(principal, deps.ref);
  // Validate the whole command before an idempotency key is claimed or a reference allocated; the command is
  // built once (its SLA policy snapshot included) and given the claimed id and reference below.
  const unclaimed = toCommand(deps, placed, principal, 'validation', 'validation');
  decide(unclaimed, initialTicketState(), {
    now: deps.clock.now(), actor, isWithin: (c, a) => deps.ref.divisions.isWithin(c, a),
  });
  const key = request.idempotencyKey.trim();
  const window = deps.open311RetryWindowSeconds ?? 0;
  // The retry window matches the device by its keyed hash (reporter-sealing.ts), never the device_id itself.
  const retryDevice = window > 0 ? open311DeviceHash(deps.reporters, principal) : '';
  // Claimed ids may already be taken by an earlier (possibly failed) attempt: appending again is then
  // either the recovery of that attempt or an already_exists answered as a replay below.
  const claimed = key !== '' || retryDevice !== '';
  const ids: ClaimedIds = key
    ? await claimIdempotencyKey(deps, principal, key, ticket)
    : retryDevice
      ? await claimRetryWindow(deps, claimOwner(principal), retryDevice, requestDigest(ticket), window)
      : { ticketId: uuidv7(), reference: await nextReference(deps.pool, deps.clock.now()), replayed: false };
  const plain = { ...unclaimed, ticketId: ids.ticketId, reference: ids.reference };
  const command = await sealSubmission(deps.reporters, plain, principal, deps.clock.now()).catch((err: unknown) => {
    // A retry (same Idempotency-Key) of a report whose own reporter was erased since: the ticket exists, and
    // nothing may be sealed for that reporter again; answered as the replay it is (was: 500).
    if (ids.replayed && err instanceof SealError) return undefined;
    throw err;
  });
  // A replay answers the ticket's current revision (1 after intake's own routing), as the claimed retry below does.
  const replay = async (): Promise<intake.SubmitTicketResponse> => {
    const { revision, state } = await deps.executor.execute(ids.ticketId, () => undefined, actor, { correlationId: ids.ticketId });
    // (No stream: the claim's first attempt never appended, and nothing can be sealed now: 0 and submitted, as before.)
    return { ticketId: ids.ticketId, reference: ids.reference, revision: Math.max(revision, 0), replayed: true, status: state.status };
  };
  if (!command) return replay();
  // Issue 13: the ticket is routed in the same append (TicketSubmitted, then TicketRouted exactly as routing's
  // consumer would write it: initial-routing.ts); no responsible unit (cannot happen after validation): submitted
  // unrouted, and routing's consumer reports it.
  const routing = initialRoutingFollowUp(deps.ref, command);
  try {
    // The person a proxy submission is for is sealed in the event, so the metadata no longer names them (onBehalfOf).
    // A claimed ticket whose stream exists (the claim's earlier attempt appended) writes nothing: a replay, at the stream's revision.
    const result = await deps.executor.execute(ids.ticketId, claimed ? (state) => (state.exists ? undefined : command) : command, actor, {
      // The caller's (gateway request's) correlation id; the ticket id only outside a call (tests).
      correlationId: handlingContext()?.correlationId ?? ids.ticketId,
      channel: channelOf(ticket, principal),
      eventId: () => ids.ticketId,
      // A new claim's id is fresh: nothing to read (a replayed claim's stream may hold the earlier attempt).
      newStream: !ids.replayed,
      ...(routing ? { then: routing } : {}),
    });
    const replayed = ids.replayed || result.eventTypes.length === 0;
    // The status the append made (routed; submitted without a unit), or the replayed stream's.
    return { ticketId: ids.ticketId, reference: ids.reference, revision: result.revision, replayed, status: result.state.status };
  } catch (err) {
    if (claimed && err instanceof TicketRejection && err.reason === 'already_exists') return replay();
    throw err;
  }
}

function checkServiceCode(ref: ReferenceData, t: Submit): void {
  if (!t.serviceCode) throw fail.invalid('missing_field', 'service_code is required');
  if (!findService(ref.catalogue, t.serviceCode)) throw fail.invalid('unknown_service_code', `unknown service_code ${t.serviceCode}`);
  if (t.requestType && !isRequestType(t.requestType)) throw fail.invalid('unknown_request_type', `request_type must be one of ${REQUEST_TYPES.join(', ')}`);
}

/** Checks a placed submission: a known division, and who may submit for it. */
function validateAgainstReference(ref: ReferenceData, t: Submit, principal: Principal): void {
  if (!ref.divisions.get(t.division)) throw fail.invalid('unknown_division', `unknown division ${t.division}`);
  if (t.onBehalfOf?.name && principal.kind !== 'staff') {
    throw fail.invalid('on_behalf_of_requires_staff', 'only an officer can submit on behalf of someone');
  }
  if (principal.kind === 'staff' && principal.role === 'information-officer' && !ref.divisions.isWithin(t.division, principal.division)) {
    throw fail.forbidden('outside_jurisdiction', `division ${t.division} is outside your jurisdiction`);
  }
}

function channelOf(t: Submit, principal: Principal): string {
  if (t.channel) return t.channel;
  if (principal.kind === 'open311') return 'open311';
  if (principal.kind === 'staff') return t.onBehalfOf?.name ? 'proxy' : 'web';
  return 'app';
}

function toCommand(deps: Pick<SubmissionDeps, 'ref' | 'slaConfig'>, placed: PlacedSubmission, principal: Principal, ticketId: string, reference: string): Extract<TicketCommand, { type: 'SubmitTicket' }> {
  const ref = deps.ref;
  const t = placed.ticket;
  const policy = ref.catalogue.slaPolicy;
  return {
    type: 'SubmitTicket',
    ticketId,
    reference,
    serviceCode: t.serviceCode,
    division: t.division,
    title: t.title,
    description: t.description,
    address: t.address,
    ...(t.lat !== undefined ? { lat: t.lat } : {}),
    ...(t.long !== undefined ? { long: t.long } : {}),
    channel: channelOf(t, principal),
    reporter: {
      deviceId: principal.kind === 'citizen' ? principal.id : principal.kind === 'open311' ? (principal.deviceId ?? '') : '',
      staffId: principal.kind === 'staff' ? principal.id : '',
      unitId: principal.kind === 'staff' ? principal.unitId : '',
      accountId: t.accountId,
      name: t.reporterName,
      phone: t.reporterPhone,
      email: t.reporterEmail,
      ...(isLanguage(t.reporterLanguage) ? { language: t.reporterLanguage } : {}),
    },
    ...(t.onBehalfOf?.name ? { onBehalfOf: { name: t.onBehalfOf.name, contact: t.onBehalfOf.contact } } : {}),
    attributes: t.attributes,
    mediaUrl: t.mediaUrl,
    divisionDerivation: placed.derivation,
    ...(t.visibility ? { visibility: t.visibility } : {}),
    // The catalogue's hours on the calendar configured for the category or the responsible unit (issue 4).
    // Issue 14 item 1: the urgency class of the category and the request type choose the limits of the policy set.
    policy: slaPolicyFor(policy, deps.slaConfig ?? DEFAULT_SLA_CONFIG, {
      serviceCode: t.serviceCode, unitId: ref.responsibleUnit(t.division)?.id, ...(t.requestType ? { requestType: t.requestType } : {}),
    }),
  };
}

/** The owner of a claim (idempotency key, retry window): `<kind>:<id>` of the caller. */
function claimOwner(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

/**
 * Claims the ticket id for an Idempotency-Key: the earlier claim's when the key was used (replayed; the
 * same body only), else a new id and reference — in one statement (look up, allocate the reference only
 * when the key is new, insert). Concurrent claims race on the row; the loser gets the winner's ticket.
 */
async function claimIdempotencyKey(deps: SubmissionDeps, principal: Principal, key: string, t: Submit): Promise<ClaimedIds> {
  const owner = claimOwner(principal);
  const hash = requestDigest(t);
  const now = deps.clock.now();
  // A named (prepared) statement: parsed and planned once per connection (issue 13).
  const { rows: [claimed] } = await deps.pool.query<{ request_hash: string; ticket_id: string; reference: string; inserted: boolean }>({
    name: 'intake_claim_key',
    text: `WITH existing AS (
       SELECT request_hash, ticket_id, reference FROM intake_idempotency WHERE principal = $1 AND idempotency_key = $2
     ), inserted AS (
       INSERT INTO intake_idempotency (principal, idempotency_key, request_hash, ticket_id, reference, created_at)
       SELECT $1, $2, $3, $4, ${REFERENCE_SQL('$6')}, $5 WHERE NOT EXISTS (SELECT 1 FROM existing)
       ON CONFLICT DO NOTHING
       RETURNING request_hash, ticket_id, reference
     )
     SELECT request_hash, ticket_id::text AS ticket_id, reference, true AS inserted FROM inserted
     UNION ALL SELECT request_hash, ticket_id::text, reference, false FROM existing`,
    values: [owner, key, hash, uuidv7(), now, shanghaiYear(now)],
  });
  let row = claimed;
  if (!row) {
    // A concurrent claim of the same key committed first: its ticket.
    row = (await deps.pool.query<{ request_hash: string; ticket_id: string; reference: string; inserted: boolean }>(
      'SELECT request_hash, ticket_id::text AS ticket_id, reference, false AS inserted FROM intake_idempotency WHERE principal = $1 AND idempotency_key = $2', [owner, key],
    )).rows[0];
    if (!row) throw new Error('idempotency row vanished');
  }
  if (row.inserted) return { ticketId: row.ticket_id, reference: row.reference, replayed: false };
  if (row.request_hash !== hash) {
    throw fail.alreadyExists('idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
  }
  return { ticketId: row.ticket_id, reference: row.reference, replayed: true };
}
