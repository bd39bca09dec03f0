import { parseUnitContacts } from './contacts';

/**
 * TONGBAN_NOTIFY_CONTACTS is checked in full at start. A unit's `smsKinds` naming no notice kind was accepted, and
 * that unit then never received an SMS of it (e.g. "withdrawal" for `withdrawn`, or "transferred", whose notices
 * are `ticket-arrived`).
 */
describe('TONGBAN_NOTIFY_CONTACTS', () => {
  it('takes the notice kinds a unit hears of by SMS', () => {
    expect(parseUnitContacts('[{"unit":"adm-513437100","phone":"13800000000","smsKinds":["withdrawn","deadline-breached","escalated"]}]'))
      .toEqual([{ unit: 'adm-513437100', phone: '13800000000', smsKinds: ['withdrawn', 'deadline-breached', 'escalated'] }]);
  });

  it.each([
    ['["withdrawal"]', /^TONGBAN_NOTIFY_CONTACTS\[0\]: smsKinds: unknown notice kind\(s\) "withdrawal" \(known: ticket-arrived, .*withdrawn/],
    ['["escalated","transferred",""]', /smsKinds: unknown notice kind\(s\) "transferred", "" \(known:/],
    ['"escalated"', /smsKinds must be an array of notice kinds/],
    // notice kinds, but none a unit gets by SMS (only in the inbox, or the reporter's): they would never be sent
    ['["escalated","handed-back","resolved"]', /^TONGBAN_NOTIFY_CONTACTS\[0\]: smsKinds: "handed-back", "resolved" not sent to units by SMS \(kinds a unit can get by SMS: ticket-arrived, .*withdrawn\)$/],
  ])('refuses smsKinds %s, naming what is unknown', (kinds, message) => {
    expect(() => parseUnitContacts(`[{"unit":"adm-513437100","phone":"13800000000","smsKinds":${kinds}}]`)).toThrow(message);
  });
});
