import { SHANGHAI_ZONE, formatShanghai } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import type { OpenedTicketState } from '@tongban/runtime';
import { REDACTED, type ReporterDisclosure, isPublicTicket, mask } from '../access';

/** The path of an attached file: `/api/v1/attachments/<sha256>?ticket=<id>`. */
function attachmentUrl(sha256: string, ticketId: string): string {
  return `/api/v1/attachments/${sha256}?ticket=${encodeURIComponent(ticketId)}`;
}

/** Formats a UTC instant for display in Asia/Shanghai (ISO-8601 with +08:00). */
function shanghaiTime(instant: string | undefined): string | undefined {
  if (!instant) return undefined;
  return formatShanghai(Date.parse(instant));
}

/**
 * The ticket view served by GET /api/v1/tickets/{id}: current status, who holds it, who is accountable
 * (firstResponder), SLA due times (UTC, with an Asia/Shanghai rendering), breaches and escalations. The
 * reporter's identity as `disclosure` says (access.ts): `hidden` leaves out the reporting device and replaces the
 * proxy's person and contact by REDACTED (a confidential ticket's readers outside its circle, issue 14 item 6).
 * `s` has its sealed reporter opened (reporter-open.ts): `reporter.id` names the reporter to erase (not shown
 * when hidden), `reporter.erased` says the reporter's personal data was erased (the proxy's person then empty).
 */
export function ticketView(s: OpenedTicketState, ref: ReferenceData, disclosure: ReporterDisclosure) {
  const unit = (id: string | undefined) => (id ? { id, name: ref.unitsById.get(id)?.name ?? id } : null);
  const fr = s.sla.firstResponse;
  const res = s.sla.resolution;
  const sf = s.sla.signFor;
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
    // Open311 media_url: the client's own URL, else the first photo of a public ticket.
    media_url: s.mediaUrl || (isPublicTicket(s) && s.attachments?.[0] ? attachmentUrl(s.attachments[0].sha256, s.ticketId) : undefined),
    // The reporter's answers to the category's questions (the division attribute is `division` above);
    // the gateway adds each question's and answer's text in the reader's language.
    answers: Object.entries(s.attributes ?? {}).filter(([code]) => code !== 'division').map(([code, value]) => ({ code, value })),
    attachments: (s.attachments ?? []).map((a) => ({ ...a, url: attachmentUrl(a.sha256, s.ticketId) })),
    channel: s.channel,
    reporter: {
      deviceId: disclosure === 'hidden' ? undefined : s.reporter.deviceId || undefined, staffId: s.reporter.staffId || undefined,
      id: disclosure === 'hidden' ? undefined : s.reporter.reporterId, erased: s.reporterErased,
    },
    onBehalfOf: s.onBehalfOf ? onBehalfOfView(s.onBehalfOf, disclosure) : undefined,
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
    // Issue 14 items 1–2: the urgency class, policy set and request type of the snapshot; the receiving unit's sign-for (签收).
    urgencyClass: s.policy.urgencyClass,
    policySet: s.policy.policySet,
    requestType: s.policy.requestType,
    signFor: sf ? { unit: unit(sf.unitId), startedAt: sf.startedAt, dueAt: sf.dueAt, signedAt: sf.signedAt ?? null, breachedAt: sf.breachedAt ?? null } : null,
    signForBreaches: s.signForBreaches ?? [],
    // Issue 14 item 3: a return (退单) waiting for review, and every return with its outcome.
    pendingReturn: s.pendingReturn ? { ...s.pendingReturn, fromUnit: unit(s.pendingReturn.fromUnitId), reviewUnit: unit(s.pendingReturn.reviewUnitId) } : null,
    returns: s.returns ?? [],
    // Issue 14 item 4: the callback owed after the resolution (`by`: first-responder | hotline; `overdueAt` once
    // recorded overdue), every callback, every overdue callback task (CallbackOverdue), rectifications (发回重办).
    callback: s.callback ?? null,
    callbacks: s.callbacks ?? [],
    callbackOverdues: s.callbackOverdues ?? [],
    rectifications: s.rectifications ?? 0,
    closedBy: s.closedBy,
    // Issue 14 item 5: how many citizens follow it ("me too"), never who.
    followers: (s.followers ?? []).length,
    // Issue 14 item 5 (并单): the lead this ticket was merged into, and how many duplicates were merged into it.
    mergedInto: s.mergedInto ? { id: s.mergedInto.ticketId, reference: s.mergedInto.reference } : null,
    merged: (s.merged ?? []).length,
    // Issue 14 item 6: the reporter's choice (agency when none was made).
    visibility: s.visibility ?? 'agency',
    displayTimeZone: SHANGHAI_ZONE,
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

/** The person a proxy submission was made for, as a reader may see it (see ReporterDisclosure). */
function onBehalfOfView(p: { name: string; contact: string }, disclosure: ReporterDisclosure): { name: string; contact: string } {
  if (disclosure === 'full') return p;
  if (disclosure === 'masked') return { name: p.name, contact: mask(p.contact) };
  return { name: p.name ? REDACTED : '', contact: p.contact ? REDACTED : '' };
}
