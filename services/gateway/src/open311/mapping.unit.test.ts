import { loadReferenceData } from '@tongban/reference-data';
import { toJsonValue } from './format';
import {
  extendedStatus, open311Status, requestElement, serviceDefinition, serviceElement, serviceNotice, shanghaiDatetime,
  type TicketUpdateForOpen311, updateElement, updateStatus,
} from './mapping';

const ref = loadReferenceData();
const { catalogue } = ref;

const view = {
  id: '01900000-0000-7000-8000-000000000001', status: 'in_progress', service_code: 'dangerous-structure', division: '513437100001',
  description: '西街30号围墙成危墙', address: '雷波县锦城镇西街30号', lat: 28.26, long: 103.57,
  holder: { id: 'adm-513437100', name: '锦城镇' }, routedUnit: { id: 'adm-513437100', name: '锦城镇' }, lastPublicReply: '已派人查看。',
  submittedAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-01T02:30:15.123Z', resolutionDueAt: '2026-03-04T00:00:00.000Z',
};

describe('statuses', () => {
  it.each([
    ['submitted', 'open'], ['routed', 'open'], ['in_progress', 'open'], ['awaiting_information', 'open'],
    ['resolved', 'closed'], ['closed', 'closed'], ['rejected', 'closed'], ['duplicate', 'closed'], ['withdrawn', 'closed'],
  ])('%s is %s', (internal, open311) => expect(open311Status(internal)).toBe(open311));

  it.each([
    ['routed', 'OPEN'], ['in_progress', 'IN_PROGRESS'], ['awaiting_information', 'INVESTIGATING'], ['resolved', 'FIXED'],
    ['closed', 'CLOSED'], ['duplicate', 'DUPLICATE'], ['rejected', 'NO_FURTHER_ACTION'], ['withdrawn', 'CLOSED'],
  ])('%s is %s among the extended statuses', (internal, extended) => expect(extendedStatus(internal)).toBe(extended));
});

describe('the request element', () => {
  it('maps the ticket view: open/closed, status_notes, agency, +08:00 datetimes, division as address_id, numbers for lat/long', () => {
    expect(requestElement(view, catalogue, 'zh')).toEqual({
      service_request_id: view.id,
      status: 'open',
      status_notes: '已派人查看。',
      service_name: '危房危墙',
      service_code: 'dangerous-structure',
      description: '西街30号围墙成危墙',
      agency_responsible: '锦城镇',
      service_notice: '24 小时内首次答复，3 日内办结；不能按期办结的，将公布办结期限。',
      requested_datetime: '2026-03-01T08:00:00+08:00',
      updated_datetime: '2026-03-01T10:30:15+08:00',
      expected_datetime: '2026-03-04T08:00:00+08:00',
      address: '雷波县锦城镇西街30号',
      address_id: '513437100001',
      zipcode: null,
      lat: 28.26,
      long: 103.57,
      media_url: null,
    });
    expect(requestElement(view, catalogue, 'en')).toMatchObject({ service_name: 'Dangerous building or wall', service_notice: expect.stringMatching(/^First reply within 24 hours, resolution within 3 days/) });
  });

  it('shows a confidential report without its content, address, position, photo or answers (issue 14 item 6, GB/T 33358)', () => {
    const secret = { ...view, visibility: 'confidential', media_url: 'https://cdn.example/p.jpg', answers: [{ code: 'at_risk', value: 'yes' }] };
    const element = requestElement(secret, catalogue, 'zh', '', true);
    expect(element).toMatchObject({
      description: '保密反映：内容与地址不公开', address: null, lat: null, long: null, media_url: null,
      service_code: 'dangerous-structure', address_id: '513437100001', status: 'open', status_notes: '已派人查看。',
    });
    expect(JSON.stringify(element)).not.toMatch(/西街|28\.26|at_risk/);
    expect(requestElement(secret, catalogue, 'en').description).toBe('Confidential report: its content and address are not published');
    expect(requestElement({ ...view, visibility: 'agency' }, catalogue, 'zh').description).toBe(view.description);
  });

  it('leaves out what the view does not know as empty elements', () => {
    const bare = { ...view, lat: undefined, long: undefined, address: '', lastPublicReply: undefined, holder: null, routedUnit: null, resolutionDueAt: undefined };
    expect(toJsonValue(requestElement(bare, catalogue, 'zh'))).toMatchObject({ lat: null, long: null, address: null, status_notes: null, agency_responsible: null, expected_datetime: null });
  });

  it('formats instants in Asia/Shanghai with an offset', () => {
    expect(shanghaiDatetime('2026-12-31T16:00:00.000Z')).toBe('2027-01-01T00:00:00+08:00');
    expect(shanghaiDatetime(undefined)).toBeUndefined();
    expect(shanghaiDatetime('nonsense')).toBeUndefined();
  });

  it('states the time limits of the policy', () => {
    expect(serviceNotice({ firstResponseHours: 24, resolutionHours: 36, warnAtFraction: 0.75 }, 'en')).toContain('resolution within 36 hours');
  });
});

describe('services', () => {
  it('lists every catalogue service with metadata and realtime type, names in the requested language', () => {
    const [first] = catalogue.services;
    expect(serviceElement(first!, catalogue, 'zh')).toMatchObject({ service_code: 'dangerous-structure', service_name: '危房危墙', metadata: true, type: 'realtime', group: 'safety', keywords: '危墙, 危房, 倒塌, collapse' });
    expect(serviceElement(first!, catalogue, 'en')).toMatchObject({ service_name: 'Dangerous building or wall', description: expect.stringContaining('Housing, Planning and Construction Bureau') });
  });

  it('defines the at-risk question of dangerous-structure and the division attribute', () => {
    const def = toJsonValue(serviceDefinition(catalogue.services[0]!, ref, 'en')) as { attributes: Record<string, unknown>[] };
    expect(def.attributes[0]).toEqual({
      variable: true, code: 'at_risk', datatype: 'singlevaluelist', required: true, datatype_description: 'Choose yes or no.', order: 1,
      description: 'Is anyone at risk right now (under or near the structure)?', values: [{ key: 'yes', name: 'Yes' }, { key: 'no', name: 'No' }],
    });
    expect(def.attributes[1]).toMatchObject({ code: 'division', datatype: 'singlevaluelist', required: false, order: 2 });
    const values = def.attributes[1]!['values'] as { key: string; name: string }[];
    expect(values).toContainEqual({ key: '513437100', name: '雷波县 锦城镇' });
    expect(values).toContainEqual({ key: '5134', name: '凉山彝族自治州' });
    expect(values.every((v) => v.key.length <= 9)).toBe(true);
  });
});

describe('service request updates', () => {
  const u = (type: string, data: Record<string, unknown> = {}, status = 'in_progress'): TicketUpdateForOpen311 => ({
    ticketId: view.id, eventId: 'e', revision: 3, type, occurredAt: '2026-03-01T01:00:00.000Z', status, holderUnitId: 'adm-513437100', data,
  });

  it.each([
    ['TicketRouted', {}, 'OPEN'], ['TicketAccepted', {}, 'IN_PROGRESS'], ['TicketTransferred', {}, 'INTERNAL_REFERRAL'],
    ['TicketHandedBack', {}, 'INTERNAL_REFERRAL'], ['TicketReassigned', {}, 'INTERNAL_REFERRAL'], ['TicketEscalated', { automatic: false }, 'INTERNAL_REFERRAL'],
    ['TicketEscalated', { automatic: true }, 'IN_PROGRESS'], ['InformationRequested', {}, 'INVESTIGATING'], ['ResolutionDeadlineSet', {}, 'ACTION_SCHEDULED'],
    ['TicketResolved', {}, 'FIXED'], ['TicketClosed', {}, 'CLOSED'], ['TicketWithdrawn', {}, 'CLOSED'], ['TicketReopened', {}, 'REOPEN'],
    ['TicketRejected', { category: 'out-of-scope' }, 'NOT_COUNCILS_RESPONSIBILITY'], ['TicketRejected', { category: 'abusive' }, 'NO_FURTHER_ACTION'],
    ['TicketMarkedDuplicate', {}, 'DUPLICATE'], ['TicketReplied', { message: 'x' }, 'IN_PROGRESS'],
  ])('%s %j announces %s', (type, data, status) => expect(updateStatus(u(type, data))).toBe(status));

  it('gives the update id, the request id, the datetime with an offset and a description', () => {
    expect(updateElement(u('TicketReplied', { message: '已派人查看。' }), ref, 'zh')).toEqual({
      update_id: `${view.id}-3`, service_request_id: view.id, status: 'IN_PROGRESS', updated_datetime: '2026-03-01T09:00:00+08:00', description: '已派人查看。', media_url: null,
    });
    expect(updateElement(u('TicketAccepted', { unitId: 'adm-513437100' }), ref, 'zh').description).toBe('锦城镇已受理。');
    expect(updateElement(u('TicketAccepted', { unitId: 'adm-513437100' }), ref, 'en').description).toBe('Accepted by 锦城镇.');
    expect(updateElement(u('ResolutionDeadlineSet', { dueAt: '2026-03-10T00:00:00Z', reason: '需要调拨材料' }), ref, 'zh').description)
      .toBe('办结期限：2026-03-10T08:00:00+08:00。需要调拨材料');
  });

  it('gives information the reporter added in its words with the status after it, and the confidential notice in their place', () => {
    expect(updateElement(u('InformationAdded', { text: '裂缝变宽了\nhttps://x.example/p.jpg' }, 'awaiting_information'), ref, 'en')).toEqual({
      update_id: `${view.id}-3`, service_request_id: view.id, status: 'INVESTIGATING', updated_datetime: '2026-03-01T09:00:00+08:00',
      description: '裂缝变宽了\nhttps://x.example/p.jpg', media_url: null,
    });
    const confidential = { ...u('InformationAdded', {}, 'resolved'), confidential: true };
    expect([updateElement(confidential, ref, 'zh').description, updateElement(confidential, ref, 'en').description, updateStatus(confidential)])
      .toEqual(['保密反映：内容与地址不公开', 'Confidential report: its content and address are not published', 'FIXED']);
  });
});

describe('media_url', () => {
  it('is absolute for a photo on this platform and kept as given otherwise', () => {
    const base = { id: 't', status: 'routed', service_code: 'other', division: '5134', description: 'd', submittedAt: '2026-03-01T00:00:00Z', updatedAt: '2026-03-01T00:00:00Z' };
    expect(requestElement({ ...base, media_url: '/api/v1/attachments/ab?ticket=t' }, catalogue, 'zh', 'https://lsz.example').media_url)
      .toBe('https://lsz.example/api/v1/attachments/ab?ticket=t');
    expect(requestElement({ ...base, media_url: 'https://cdn.example/p.jpg' }, catalogue, 'zh', 'https://lsz.example').media_url).toBe('https://cdn.example/p.jpg');
    expect(requestElement(base, catalogue, 'zh', 'https://lsz.example').media_url).toBeNull();
  });
});
