import { DEFAULT_LANGUAGE, type Language, isLanguage } from '@tongban/i18n';
import type { ReporterContact } from './channels';
import { jsonArraySetting } from './json-setting';
import { type Notice, unknownNoticeKinds } from './recipients';
import { mobileNumber } from './sms/provider';

/**
 * Who is reached outside the platform, and how:
 * - the reporter: SMS to the phone given with the report (Open311 `phone`, or — for a report an officer
 *   made on someone's behalf — the person's contact when it is a mobile number, given with their
 *   consent), e-mail to the e-mail given, for {@link REPORTER_KINDS};
 * - a unit: the contacts of `TONGBAN_NOTIFY_CONTACTS` (a JSON array of `{unit, email?, phone?, language?,
 *   smsKinds?}`): e-mail for {@link STAFF_KINDS}, SMS as well for the kinds listed in `smsKinds` (e.g.
 *   `["deadline-breached", "escalated"]`). Invalid: the service does not start.
 */

/** Notice kinds a reporter hears about by SMS/e-mail (acceptance, announced deadline, public reply, resolution, callback). */
const REPORTER_KINDS: ReadonlySet<string> = new Set(['accepted', 'deadline-announced', 'public-reply', 'resolved', 'callback-requested', 'merged']);
/** Notice kinds a unit hears about by e-mail (arrivals, the reporter's added information, warnings, breaches, escalations, withdrawals). */
const STAFF_KINDS: ReadonlySet<string> = new Set(['ticket-arrived', 'information-added', 'deadline-warning', 'deadline-breached', 'escalated', 'withdrawn']);

/** One unit's contact. */
export interface UnitContact {
  unit: string;
  email?: string;
  phone?: string;
  language?: Language;
  /** Kinds also sent by SMS to `phone`. */
  smsKinds?: readonly string[];
}

/** Addresses for one notice. */
export interface NoticeAddresses {
  sms: string[];
  email: string[];
}

class ContactConfigError extends Error {
  override readonly name = 'ContactConfigError';
  readonly code = 'invalid_notify_contacts';
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Parses TONGBAN_NOTIFY_CONTACTS (unset or empty: none). @throws ContactConfigError naming the entry. */
export function parseUnitContacts(raw: string | undefined): UnitContact[] {
  const json = jsonArraySetting('TONGBAN_NOTIFY_CONTACTS', raw, '{unit, email?, phone?, language?, smsKinds?}',
    (message) => new ContactConfigError(message));
  return json.map((e: unknown, i): UnitContact => {
    const fail = (what: string): never => { throw new ContactConfigError(`TONGBAN_NOTIFY_CONTACTS[${i}]: ${what}`); };
    if (typeof e !== 'object' || e === null) return fail('must be an object');
    const o = e as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !['unit', 'email', 'phone', 'language', 'smsKinds'].includes(k));
    if (unknown.length > 0) fail(`unknown field(s) ${unknown.join(', ')}`);
    if (typeof o['unit'] !== 'string' || o['unit'] === '') fail('unit must be a unit id (e.g. adm-513437100)');
    if (o['email'] !== undefined && (typeof o['email'] !== 'string' || !EMAIL.test(o['email']))) fail('email must be an e-mail address');
    const phone = o['phone'] === undefined ? undefined : typeof o['phone'] === 'string' ? mobileNumber(o['phone']) : undefined;
    if (o['phone'] !== undefined && !phone) fail('phone must be a mainland mobile number');
    if (o['language'] !== undefined && !isLanguage(o['language'])) fail('language must be zh-Hans, en or ii');
    const kinds = o['smsKinds'];
    if (kinds !== undefined && (!Array.isArray(kinds) || kinds.some((k) => typeof k !== 'string'))) fail('smsKinds must be an array of notice kinds');
    const unknownKinds = kinds === undefined ? undefined : unknownNoticeKinds(kinds as string[]);
    if (unknownKinds) fail(`smsKinds: ${unknownKinds}`);
    // A notice kind, but none a unit is sent outside the inbox (handed-back, reopened, a reporter's kind…): it would never go.
    const notOutbound = ((kinds ?? []) as string[]).filter((k) => !STAFF_KINDS.has(k));
    if (notOutbound.length > 0) fail(`smsKinds: ${notOutbound.map((k) => JSON.stringify(k)).join(', ')} not sent to units by SMS (kinds a unit can get by SMS: ${[...STAFF_KINDS].join(', ')})`);
    return {
      unit: o['unit'] as string,
      ...(o['email'] ? { email: o['email'] as string } : {}),
      ...(phone ? { phone } : {}),
      ...(o['language'] ? { language: o['language'] as Language } : {}),
      ...(kinds ? { smsKinds: kinds as string[] } : {}),
    };
  });
}

/** The reporter's SMS number: their phone, else the contact of the person reported for when it is a mobile number. */
function reporterPhone(c: ReporterContact): string | undefined {
  return mobileNumber(c.phone) ?? mobileNumber(c.onBehalfOfContact);
}

/** The language a unit's notices are written in. */
export function unitLanguage(contacts: readonly UnitContact[], unit: string): Language {
  return contacts.find((c) => c.unit === unit && c.language)?.language ?? DEFAULT_LANGUAGE;
}

/** Where a notice goes outside the platform. */
export function addressesOf(notice: Notice, reporter: ReporterContact, contacts: readonly UnitContact[]): NoticeAddresses {
  if (notice.recipient.kind === 'unit') {
    const mine = contacts.filter((c) => c.unit === notice.recipient.id);
    return {
      email: STAFF_KINDS.has(notice.kind) ? mine.flatMap((c) => (c.email ? [c.email] : [])) : [],
      sms: mine.flatMap((c) => (c.phone && c.smsKinds?.includes(notice.kind) ? [c.phone] : [])),
    };
  }
  if (!REPORTER_KINDS.has(notice.kind) || notice.follower) return { sms: [], email: [] };
  const phone = reporterPhone(reporter);
  const email = EMAIL.test(reporter.email) ? reporter.email : undefined;
  return { sms: phone ? [phone] : [], email: email ? [email] : [] };
}
