import { type Catalogue, type CatalogueService, type TicketStatus, formatShanghai } from '@tongban/domain';
import { type Language, translator } from '@tongban/i18n';
import type { ReferenceData } from '@tongban/reference-data';
import { type AttributeDefinition, type Bilingual, attributesOf } from './definitions';
import { type Open311Object, list } from './format';
import { CONTENT_LANGUAGE, type Open311Language } from './locale';
import { type Answer, nameAnswer } from '../answers';

/**
 * How Tongban's tickets read in Open311 (documented in services/gateway/README.md, "Open311"):
 * statuses, the request element, service lists and definitions, and service request updates.
 * Pure functions over the query service's JSON views; no I/O.
 */

/** Internal statuses that are `open` in Open311; every other status is `closed`. */
export const OPEN_STATUSES: readonly TicketStatus[] = ['submitted', 'routed', 'in_progress', 'awaiting_information'];

/** Internal statuses that are `closed` in Open311 (resolved included: the handler says it is solved). */
export const CLOSED_STATUSES: readonly TicketStatus[] = ['resolved', 'closed', 'rejected', 'duplicate', 'withdrawn'];

/** The Open311 status of an internal status. */
export function open311Status(status: string): 'open' | 'closed' {
  return (OPEN_STATUSES as readonly string[]).includes(status) ? 'open' : 'closed';
}

/** The FixMyStreet extended status (servicerequestupdates) of an internal status. */
export function extendedStatus(status: string): string {
  switch (status) {
    case 'submitted':
    case 'routed': return 'OPEN';
    case 'in_progress': return 'IN_PROGRESS';
    case 'awaiting_information': return 'INVESTIGATING';
    case 'resolved': return 'FIXED';
    case 'duplicate': return 'DUPLICATE';
    case 'rejected': return 'NO_FURTHER_ACTION';
    default: return 'CLOSED';
  }
}

/**
 * Formats a UTC instant as a W3C datetime in Asia/Shanghai: `2026-03-01T08:00:00+08:00` (seconds
 * precision, as GeoReport v2's examples). Undefined or unparsable → undefined.
 */
export function shanghaiDatetime(instant: string | undefined): string | undefined {
  if (!instant) return undefined;
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) return undefined;
  return formatShanghai(ms, 's');
}

function pick(text: Bilingual, lang: Open311Language): string {
  return lang === 'en' ? text.en : text.zh;
}

/** The service notice (the time-limit promise) in a language, from the SLA policy. */
export function serviceNotice(policy: Catalogue['slaPolicy'], lang: Open311Language): string {
  const days = policy.resolutionHours / 24;
  const resolution = Number.isInteger(days)
    ? { zh: `${days} 日`, en: `${days} day${days === 1 ? '' : 's'}` }
    : { zh: `${policy.resolutionHours} 小时`, en: `${policy.resolutionHours} hours` };
  return lang === 'en'
    ? `First reply within ${policy.firstResponseHours} hours, resolution within ${resolution.en}; where that cannot be done, a resolution deadline is announced.`
    : `${policy.firstResponseHours} 小时内首次答复，${resolution.zh}内办结；不能按期办结的，将公布办结期限。`;
}

/** The service's name in a language. */
export function serviceName(service: CatalogueService, lang: Open311Language): string {
  return lang === 'en' ? service.en : service.zh;
}

/** A service of GET services. */
export function serviceElement(service: CatalogueService, catalogue: Catalogue, lang: Open311Language): Open311Object {
  const department = catalogue.departmentTypes.find((d) => d.code === service.department);
  const description = lang === 'en'
    ? `${service.en}.${department ? ` Usually handled by the ${department.en}.` : ''}`
    : `${service.zh}。${department ? `通常由${department.zh}办理。` : ''}`;
  return {
    service_code: service.service_code,
    service_name: serviceName(service, lang),
    description,
    metadata: true,
    type: 'realtime',
    keywords: service.keywords.join(', '),
    group: service.group,
  };
}

/** An attribute of a service definition. */
function attributeElement(a: AttributeDefinition, lang: Open311Language): Open311Object {
  return {
    variable: a.variable,
    code: a.code,
    datatype: a.datatype,
    required: a.required,
    datatype_description: pick(a.datatypeDescription, lang),
    order: a.order,
    description: pick(a.description, lang),
    ...(a.values ? { values: list('value', a.values.map((v) => ({ key: v.key, name: pick(v.name, lang) }))) } : {}),
  };
}

/** The service_definition of a service. */
export function serviceDefinition(service: CatalogueService, ref: ReferenceData, lang: Open311Language): Open311Object {
  return {
    service_code: service.service_code,
    attributes: list('attribute', attributesOf(service, ref).map((a) => attributeElement(a, lang))),
  };
}

/** The parts of the query service's ticket view (services/query/src/read-models/view.ts) that Open311 shows. */
export interface TicketViewForOpen311 {
  id: string;
  status: string;
  service_code: string;
  division: string;
  description: string;
  address?: string;
  lat?: number;
  long?: number;
  media_url?: string;
  holder?: { id: string; name: string } | null;
  routedUnit?: { id: string; name: string } | null;
  lastPublicReply?: string;
  submittedAt: string;
  updatedAt: string;
  resolutionDueAt?: string;
  /** The reporter's answers to the category's questions. */
  answers?: Answer[];
  /** public | agency | confidential (issue 14 item 6); absent: agency. */
  visibility?: string;
}

/**
 * `extended_attributes` of a request (the GeoReport v2 extension Chicago and others serve with
 * `extensions=true`; the core spec has no place for them): the reporter's answers to the service
 * definition's attributes, each `{code, description, value, value_name}` (texts in `lang`).
 */
function extendedAttributes(view: TicketViewForOpen311, lang: Open311Language): Open311Object {
  const answers = (view.answers ?? []).map((a) => nameAnswer(a, lang === 'en' ? 'en' : 'zh-Hans'));
  return {
    attributes: list('attribute', answers.map((a) => ({ code: a.code, description: a.question, value: a.value, value_name: a.answer }))),
  };
}

/**
 * A request element of GET requests, GET requests/{id}. A `media_url` that is a path on this platform
 * (the photo of a public ticket, `/api/v1/attachments/…`) is made absolute with `origin` (e.g. `https://host`).
 */
export function requestElement(view: TicketViewForOpen311, catalogue: Catalogue, lang: Open311Language, origin = '', extensions = false): Open311Object {
  if (view.visibility === 'confidential') return requestElementOf(confidentialView(view, lang), catalogue, lang, origin, extensions);
  return requestElementOf(view, catalogue, lang, origin, extensions);
}

/**
 * What Open311 shows of a confidential report (issue 14 item 6, GB/T 33358 保密: the content can identify the
 * person who reported it, e.g. a neighbour's dispute): the description replaced by the catalogue's
 * `open311.confidentialDescription`, no address, position, photo or answers — the category, the division,
 * the status and the unit's public replies stay, so the request can still be followed.
 */
function confidentialView(view: TicketViewForOpen311, lang: Open311Language): TicketViewForOpen311 {
  const { address: _address, lat: _lat, long: _long, media_url: _media, answers: _answers, ...rest } = view;
  return { ...rest, description: translator(CONTENT_LANGUAGE[lang] as Language)('open311.confidentialDescription') };
}

function requestElementOf(view: TicketViewForOpen311, catalogue: Catalogue, lang: Open311Language, origin: string, extensions: boolean): Open311Object {
  const service = catalogue.services.find((s) => s.service_code === view.service_code);
  const agency = view.holder ?? view.routedUnit;
  return {
    service_request_id: view.id,
    status: open311Status(view.status),
    status_notes: view.lastPublicReply ?? null,
    service_name: service ? serviceName(service, lang) : view.service_code,
    service_code: view.service_code,
    description: view.description,
    agency_responsible: agency?.name ?? null,
    service_notice: serviceNotice(catalogue.slaPolicy, lang),
    requested_datetime: shanghaiDatetime(view.submittedAt) ?? null,
    updated_datetime: shanghaiDatetime(view.updatedAt) ?? null,
    expected_datetime: shanghaiDatetime(view.resolutionDueAt) ?? null,
    address: view.address || null,
    address_id: view.division,
    zipcode: null,
    lat: typeof view.lat === 'number' ? view.lat : null,
    long: typeof view.long === 'number' ? view.long : null,
    media_url: view.media_url ? (view.media_url.startsWith('/') ? `${origin}${view.media_url}` : view.media_url) : null,
    ...(extensions ? { extended_attributes: extendedAttributes(view, lang) } : {}),
  };
}

/** One public change as the query service lists it (services/query/src/public/updates.ts). */
export interface TicketUpdateForOpen311 {
  ticketId: string;
  eventId: string;
  revision: number;
  type: string;
  occurredAt: string;
  status: string;
  holderUnitId: string;
  data: Record<string, unknown>;
  /** True when the ticket is confidential and the query service withheld the reporter's words. */
  confidential?: boolean;
}

/** The update_id of a ticket's change at a revision: `<service_request_id>-<revision>`. */
export function updateId(ticketId: string, revision: number): string {
  return `${ticketId}-${revision}`;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The extended status an update announces. */
export function updateStatus(u: TicketUpdateForOpen311): string {
  switch (u.type) {
    case 'TicketRouted': return 'OPEN';
    case 'TicketAccepted': return 'IN_PROGRESS';
    case 'TicketTransferred':
    case 'TicketHandedBack':
    case 'TicketReassigned': return 'INTERNAL_REFERRAL';
    case 'TicketEscalated': return u.data['automatic'] === true ? extendedStatus(u.status) : 'INTERNAL_REFERRAL';
    case 'InformationRequested': return 'INVESTIGATING';
    case 'ResolutionDeadlineSet': return 'ACTION_SCHEDULED';
    case 'TicketResolved': return 'FIXED';
    case 'TicketClosed':
    case 'TicketWithdrawn': return 'CLOSED';
    case 'TicketReopened': return 'REOPEN';
    case 'TicketRejected': return u.data['category'] === 'out-of-scope' ? 'NOT_COUNCILS_RESPONSIBILITY' : 'NO_FURTHER_ACTION';
    case 'TicketMarkedDuplicate': return 'DUPLICATE';
    default: return extendedStatus(u.status);
  }
}

/**
 * The description of an update in a language (replies and resolutions are the handler's own words, added
 * information the reporter's).
 */
function updateDescription(u: TicketUpdateForOpen311, ref: ReferenceData, lang: Open311Language): string {
  const unitName = (key: string) => {
    const id = text(u.data[key]) || u.holderUnitId;
    return ref.unitsById.get(id)?.name ?? id;
  };
  const en = lang === 'en';
  switch (u.type) {
    case 'TicketRouted': return en ? `Assigned to ${unitName('unitId')}.` : `已分派至${unitName('unitId')}。`;
    case 'TicketAccepted': return en ? `Accepted by ${unitName('unitId')}.` : `${unitName('unitId')}已受理。`;
    case 'TicketReplied': return text(u.data['message']);
    case 'TicketTransferred': return en ? `Transferred to ${unitName('toUnitId')}.` : `已转交${unitName('toUnitId')}办理。`;
    case 'TicketHandedBack': return en ? `Handed back to ${unitName('toUnitId')}.` : `已交回${unitName('toUnitId')}。`;
    case 'TicketReassigned': return en ? `Reassigned to ${unitName('toUnitId')}.` : `已改派${unitName('toUnitId')}。`;
    case 'TicketEscalated':
      return u.data['automatic'] === true
        ? (en ? `Overdue: now supervised by ${unitName('toUnitId')}.` : `超时未办结，已由${unitName('toUnitId')}督办。`)
        : (en ? `Escalated to ${unitName('toUnitId')}.` : `已提级至${unitName('toUnitId')}办理。`);
    case 'InformationRequested': return en ? `More information needed: ${text(u.data['question'])}` : `请补充信息：${text(u.data['question'])}`;
    // The reporter's words, public as the report's description is (and, like it, not for a confidential request).
    case 'InformationAdded':
      return u.confidential ? translator(CONTENT_LANGUAGE[lang] as Language)('open311.confidentialDescription')
        : text(u.data['text']); // required by the domain: never empty
    case 'ResolutionDeadlineSet': {
      const due = shanghaiDatetime(text(u.data['dueAt'])) ?? text(u.data['dueAt']);
      const reason = text(u.data['reason']);
      return en ? `Resolution expected by ${due}.${reason ? ` ${reason}` : ''}` : `办结期限：${due}。${reason}`;
    }
    case 'TicketResolved': return text(u.data['resolution']) || (en ? 'Resolved.' : '已办结。');
    case 'TicketClosed':
      return u.data['closedBy'] === 'automatic'
        ? (en ? 'Closed: no objection within the objection period.' : '异议期满，自动办结。')
        : (en ? 'Closed.' : '已办结。');
    case 'TicketReopened': return en ? 'Reopened at the reporter\'s request.' : '报告人不满意，已重新办理。';
    case 'TicketRejected': return en ? `Not accepted: ${text(u.data['reason'])}` : `不予受理：${text(u.data['reason'])}`;
    case 'TicketMarkedDuplicate': return en ? `Duplicate of ${text(u.data['ofTicketId'])}.` : `与 ${text(u.data['ofTicketId'])} 重复。`;
    case 'TicketWithdrawn': return en ? 'Withdrawn by the reporter.' : '报告人已撤回。';
    default: return '';
  }
}

/** A request_update element of GET servicerequestupdates. */
export function updateElement(u: TicketUpdateForOpen311, ref: ReferenceData, lang: Open311Language): Open311Object {
  return {
    update_id: updateId(u.ticketId, u.revision),
    service_request_id: u.ticketId,
    status: updateStatus(u),
    updated_datetime: shanghaiDatetime(u.occurredAt) ?? null,
    description: updateDescription(u, ref, lang),
    media_url: null,
  };
}
