/**
 * Issue 14 item 6, reporter privacy: a confidential (保密, GB/T 33358) ticket's reporter — name, phone, e-mail,
 * account, device id, the proxy's person and contact — is seen only by the reporter, the holding unit, the first
 * responder's unit and the area's supervisors (and the hotline while the callback is theirs); every other staff
 * read (view, list, history, replay, the auditor's export, masked or not) and every Open311 read carries none of it.
 * The assertions search the serialised answers for the identifying strings, so that any leak fails them.
 */
import type { Principal } from '@tongban/auth';
import { type TicketState, initialTicketState } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { REDACTED, reporterDisclosure } from './access';
import { exportRow } from './audit/export';
import { historyEntries, withoutStaffIds } from './read-models/history';
import { maskState } from './audit/replay';
import { ticketView } from './read-models/view';

const ref = loadReferenceData();
const DEVICE = 'device-5f1c2e7a';
const NAME = '阿牛木呷';
const PHONE = '13912345678';
const EMAIL = 'aniu@example.cn';
const ACCOUNT = 'acct-77aa';
const PROXY = '吉克阿依';
const PROXY_CONTACT = '13700007777';
const SECRETS = [DEVICE, NAME, PHONE, EMAIL, ACCOUNT, PROXY, PROXY_CONTACT];
const TOWNSHIP = 'adm-513437100';
const DEPARTMENT = 'dep-513437-housing-construction';

/** A ticket of 锦城镇 accepted by the township (first responder), now held by the county's housing department. */
function ticket(visibility: string, patch: Partial<TicketState> = {}): TicketState {
  return {
    ...initialTicketState(), exists: true, revision: 3, ticketId: '01890000-0000-7000-8000-00000000c0de', reference: 'LS-2026-000042',
    serviceCode: 'dangerous-structure', division: '513437100001', title: '围墙开裂', description: '西街围墙开裂', status: 'in_progress',
    reporter: { deviceId: DEVICE, staffId: '', unitId: '' }, onBehalfOf: { name: PROXY, contact: PROXY_CONTACT }, visibility,
    routedUnitId: TOWNSHIP, holderUnitId: DEPARTMENT, acceptedUnitIds: [TOWNSHIP, DEPARTMENT],
    firstResponder: { staffId: `admin@${TOWNSHIP}`, unitId: TOWNSHIP, since: '2026-12-01T02:00:00.000Z' }, ...patch,
  };
}

const submitted: RecordedEvent = {
  id: '01890000-0000-7000-8000-0000000000e1', type: 'TicketSubmitted', stream: 'ticket-01890000-0000-7000-8000-00000000c0de', revision: 0,
  position: { transactionId: '1', position: '1' }, recordedAt: '2026-12-01T02:00:00.000Z', prevHash: '0'.repeat(64), hash: 'a'.repeat(64),
  data: {
    title: '围墙开裂', reporter: { deviceId: DEVICE, staffId: '', unitId: '', accountId: ACCOUNT, name: NAME, phone: PHONE, email: EMAIL },
    onBehalfOf: { name: PROXY, contact: PROXY_CONTACT }, visibility: 'confidential',
  },
  metadata: { actor: { kind: 'citizen', id: DEVICE }, onBehalfOf: PROXY, channel: 'app', correlationId: 'c', service: 'intake', schemaVersion: 1, occurredAt: '2026-12-01T02:00:00.000Z' },
};
const rated: RecordedEvent = { ...submitted, id: '01890000-0000-7000-8000-0000000000e2', type: 'TicketRated', revision: 1, data: { score: 4, comment: '', level: 'satisfied' }, metadata: { ...submitted.metadata, onBehalfOf: undefined } };

const staff = (role: string, unitId: string, division: string): Principal => ({ kind: 'staff', id: `${role}@${unitId}`, role, unitId, division } as Principal);
const READERS: Record<string, Principal> = {
  reporter: { kind: 'citizen', id: DEVICE },
  follower: { kind: 'citizen', id: 'device-follower' },
  open311: { kind: 'open311', id: 'fixmystreet' },
  holderDepartment: staff('department', DEPARTMENT, '513437'),
  firstResponderUnit: staff('admin', TOWNSHIP, '513437100'),
  countySupervisor: staff('supervisor', 'adm-513437', '513437'),
  prefectureSupervisor: staff('supervisor', 'adm-5134', '5134'),
  otherCountySupervisor: staff('supervisor', 'adm-513431', '513431'),
  countyAdmin: staff('admin', 'adm-513437', '513437'),
  otherDepartment: staff('department', 'dep-513437-transport', '513437'),
  auditor: staff('auditor', 'adm-5134', '5134'),
  hotline: staff('hotline', 'adm-513437', '513437'),
};

const leaks = (value: unknown): string[] => SECRETS.filter((s) => JSON.stringify(value).includes(s));

describe('who sees a reporter\'s identity (issue 14 item 6)', () => {
  it('confidential: only the reporter, the holder, the first responder\'s unit and the area\'s supervisors; everyone else: hidden', () => {
    const s = ticket('confidential');
    const full = Object.keys(READERS).filter((r) => reporterDisclosure(READERS[r]!, s, ref) === 'full');
    expect(full.sort()).toEqual(['countySupervisor', 'firstResponderUnit', 'holderDepartment', 'prefectureSupervisor', 'reporter']);
    for (const r of Object.keys(READERS).filter((x) => !full.includes(x))) expect({ r, d: reporterDisclosure(READERS[r]!, s, ref) }).toEqual({ r, d: 'hidden' });
  });

  it('confidential: the hotline while the callback is theirs (they call the reporter back)', () => {
    const s = ticket('confidential', { status: 'resolved', callback: { dueAt: '2026-12-04T02:00:00.000Z', attempts: 0, mandatory: false, by: 'hotline' } });
    expect(reporterDisclosure(READERS['hotline']!, s, ref)).toBe('full');
    expect(reporterDisclosure(staff('hotline', 'adm-513431', '513431'), s, ref)).toBe('hidden');
  });

  it('agency and public: unchanged — the holder and auditors in full, other staff masked', () => {
    for (const visibility of ['agency', 'public']) {
      const s = ticket(visibility);
      expect(reporterDisclosure(READERS['auditor']!, s, ref)).toBe('full');
      expect(reporterDisclosure(READERS['holderDepartment']!, s, ref)).toBe('full');
      expect(reporterDisclosure(READERS['countyAdmin']!, s, ref)).toBe('masked');
      expect(reporterDisclosure(READERS['open311']!, s, ref)).toBe('masked');
    }
  });
});

describe('no read outside the circle carries a confidential reporter\'s identity', () => {
  const s = ticket('confidential');
  const outside = ['auditor', 'countyAdmin', 'otherDepartment', 'follower', 'open311', 'hotline'];

  it.each(outside)('the ticket view (and so the lists and the queue) for %s', (reader) => {
    const view = ticketView(s, ref, reporterDisclosure(READERS[reader]!, s, ref));
    expect(leaks(view)).toEqual([]);
    expect(view.onBehalfOf).toEqual({ name: REDACTED, contact: REDACTED });
  });

  it.each(outside)('the history for %s: event data, the reporter as actor, the proxy in the metadata', (reader) => {
    const entries = historyEntries([submitted, rated], { forReporter: false, disclosure: reporterDisclosure(READERS[reader]!, s, ref) });
    expect(leaks(entries)).toEqual([]);
    expect(entries[1]?.actor).toEqual({ kind: 'citizen', id: REDACTED });
    expect(entries.map((e) => e.hash)).toEqual([submitted.hash, rated.hash]);
  });

  it('the replayed state for an auditor', () => {
    expect(leaks(maskState(s, reporterDisclosure(READERS['auditor']!, s, ref)))).toEqual([]);
  });

  it('the auditor\'s export, masked or unmasked (a recorded disclosure does not open a confidential reporter)', () => {
    for (const unmasked of [false, true]) {
      const rows = [submitted, rated].map((e) => exportRow(e, { reference: s.reference, division: s.division, visibility: 'confidential' }, unmasked));
      expect({ unmasked, leaks: leaks(rows) }).toEqual({ unmasked, leaks: [] });
    }
    // An agency ticket's unmasked export still discloses (the recorded disclosure of issue 6).
    expect(leaks(exportRow(submitted, { reference: s.reference, division: s.division, visibility: 'agency' }, true))).toEqual(SECRETS);
  });

  it('inside the circle everything is there (the test would notice a redaction that hid too much)', () => {
    const view = ticketView(s, ref, reporterDisclosure(READERS['firstResponderUnit']!, s, ref));
    expect(view.reporter.deviceId).toBe(DEVICE);
    expect(view.onBehalfOf).toEqual({ name: PROXY, contact: PROXY_CONTACT });
    expect(leaks(historyEntries([submitted], { forReporter: false, disclosure: 'full' }))).toEqual(SECRETS);
  });
});

describe('a citizen reads no staff member\'s id in the history', () => {
  it('the actor keeps its kind, role and unit; the data loses staffId and toStaffId; other actors and fields stay', () => {
    const accepted: RecordedEvent = {
      ...submitted, id: '01890000-0000-7000-8000-0000000000e3', type: 'TicketAccepted', revision: 2,
      data: { staffId: 'b3c1e2d4-0000-4000-8000-000000000001', unitId: TOWNSHIP, firstResponder: true },
      metadata: { ...submitted.metadata, actor: { kind: 'staff', id: 'b3c1e2d4-0000-4000-8000-000000000001', role: 'admin', unitId: TOWNSHIP } },
    };
    const reassigned: RecordedEvent = { ...accepted, revision: 3, type: 'TicketReassigned', data: { toUnitId: TOWNSHIP, toStaffId: 'c0ffee00-0000-4000-8000-000000000002', reason: '改派' } };
    const entries = historyEntries([submitted, accepted, reassigned], { forReporter: true, disclosure: 'full' }).map(withoutStaffIds);
    expect(JSON.stringify(entries)).not.toMatch(/b3c1e2d4|c0ffee00/);
    expect(entries[0]!.actor).toEqual({ kind: 'citizen', id: DEVICE });
    expect(entries[1]).toMatchObject({ actor: { kind: 'staff', role: 'admin', unitId: TOWNSHIP }, data: { unitId: TOWNSHIP, firstResponder: true } });
    expect(entries[2]!.data).toEqual({ toUnitId: TOWNSHIP, reason: '改派' });
  });
});
