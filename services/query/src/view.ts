import type { TicketState } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { mask } from './access';

/** Formats a UTC instant for display in Asia/Shanghai (ISO-8601 with +08:00). */
export function shanghaiTime(instant: string | undefined): string | undefined {
  if (!instant) return undefined;
  return new Date(Date.parse(instant) + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
}

/**
 * The ticket view served by GET /api/v1/tickets/{id}: current status, who holds it, who is accountable
 * (firstResponder), SLA due times (UTC, with an Asia/Shanghai rendering), breaches and escalations.
 */
export function ticketView(s: TicketState, ref: ReferenceData, showPersonalData: boolean) {
  const unit = (id: string | undefined) => (id ? { id, name: ref.unitsById.get(id)?.name ?? id } : null);
  const fr = s.sla.firstResponse;
  const res = s.sla.resolution;
  return {
    id: s.ticketId,
    reference: s.reference,
    revision: s.revision,
    status: s.status,
    service_code: s.serviceCode,
    division: s.division,
    divisionName: ref.divisions.get(s.division)?.name ?? s.division,
    title: s.title,
    description: s.description,
    address: s.address,
    lat: s.lat,
    long: s.long,
    media_url: s.mediaUrl || undefined,
    channel: s.channel,
    reporter: { deviceId: s.reporter.deviceId || undefined, staffId: s.reporter.staffId || undefined },
    onBehalfOf: s.onBehalfOf ? { name: s.onBehalfOf.name, contact: showPersonalData ? s.onBehalfOf.contact : mask(s.onBehalfOf.contact) } : undefined,
    routedUnit: unit(s.routedUnitId),
    holder: unit(s.holderUnitId),
    suggestedDepartment: s.suggestedDepartment || undefined,
    firstResponder: s.firstResponder ? { ...s.firstResponder, unitName: ref.unitsById.get(s.firstResponder.unitId)?.name } : null,
    supervisingUnit: unit(s.supervisingUnitId),
    submittedAt: s.submittedAt,
    updatedAt: s.updatedAt,
    firstResponseDueAt: fr?.dueAt,
    firstRespondedAt: fr?.stoppedAt,
    resolutionDueAt: res?.dueAt,
    resolutionDeadlineAnnounced: res?.announced ?? false,
    resolutionPaused: !!res?.pausedAt,
    displayTimeZone: 'Asia/Shanghai',
    local: { submittedAt: shanghaiTime(s.submittedAt), firstResponseDueAt: shanghaiTime(fr?.dueAt), resolutionDueAt: shanghaiTime(res?.dueAt) },
    lastPublicReply: s.lastPublicReply,
    resolvedAt: s.resolvedAt,
    resolution: s.resolution,
    closedAt: s.closedAt,
    duplicateOf: s.duplicateOf,
    rating: s.rating,
    verifications: s.verifications,
    breaches: s.breaches,
    warnings: s.warnings,
    escalations: s.escalations,
  };
}
