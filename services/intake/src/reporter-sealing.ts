import type { Principal } from '@tongban/auth';
import type { TicketCommand } from '@tongban/domain';
import { type ReporterKeyStore, type ReporterPersonalData, sealPersonalData } from '@tongban/runtime';

type SubmitCommand = Extract<TicketCommand, { type: 'SubmitTicket' }>;

/**
 * The keyed hash standing for an Open311 client's device_id (`open311:<client>:<device_id>`): what the event's
 * `reporter.deviceId` and the retry window keep instead of the identifier the client sent, which may be a
 * hardware identifier. Empty without a device id.
 */
export function open311DeviceHash(reporters: ReporterKeyStore, principal: Principal): string {
  return principal.kind === 'open311' && principal.deviceId ? reporters.deviceHash(`open311:${principal.id}:${principal.deviceId}`) : '';
}

/**
 * Issue 14 item 6: the submission with its reporter's personal data sealed — name, phone, e-mail, account
 * id and the proxy's person and contact — under the reporter's data key (reporter-keys.ts), so that erasing
 * the reporter destroys them wherever the event goes. The reporter is the device's (a citizen's device, an
 * Open311 client's device_id: one reporter and key per device) or, without a device, this ticket's own. A
 * submission without personal data is not sealed (there is nothing to erase); an Open311 device_id is always
 * replaced by its keyed hash.
 * @throws SealError when this ticket's reporter was erased before a retry of the submission.
 */
export async function sealSubmission(reporters: ReporterKeyStore, command: SubmitCommand, principal: Principal, now: Date): Promise<SubmitCommand> {
  const r = command.reporter;
  const behalf = command.onBehalfOf;
  const device = open311DeviceHash(reporters, principal);
  const reporter = device ? { ...r, deviceId: device } : r;
  if (!r.name && !r.phone && !r.email && !r.accountId && !behalf) return { ...command, reporter };
  const personal: ReporterPersonalData = { name: r.name, phone: r.phone, email: r.email, accountId: r.accountId, ...(behalf ? { onBehalfOf: behalf } : {}) };
  const who = principal.kind === 'citizen' ? { deviceHash: reporters.deviceHash(`citizen:${principal.id}`) }
    : device ? { deviceHash: device } : { ticketId: command.ticketId };
  const { reporterId, key } = await reporters.keyForSubmission(who, now);
  return {
    ...command,
    reporter: { ...reporter, name: '', phone: '', email: '', accountId: '', reporterId, sealed: sealPersonalData(key, personal, command.ticketId) },
    ...(behalf ? { onBehalfOf: { name: '', contact: '' } } : {}),
  };
}
