/**
 * Reading sealed reporters (issue 14 item 6): the services that show or use a reporter's personal data
 * (query: ticket views, history, audit exports and replays; notification: the reporter's SMS and e-mail)
 * open it here, after access checks and before their masking rules. Unsealed (older) reports pass through
 * unchanged; a reporter whose key was destroyed reads as erased: empty fields and `erased: true`.
 */
import type { TicketState } from '@tongban/domain';
import type { OpenedPersonalData, ReporterKeyStore, SealedRef } from './reporter-keys';

/** A ticket state as readers see it: a sealed proxy's person opened, `reporterErased` when the key is gone. */
export type OpenedTicketState<S extends TicketState = TicketState> = S & { reporterErased?: true };

/** An event as the store gives it (only what opening needs). */
interface EventLike {
  type: string;
  data: Record<string, unknown>;
  metadata: { onBehalfOf?: string };
}

/** Opens the sealed reporters of ticket states (one key look-up for all). */
export async function openTicketStates<S extends TicketState>(keys: ReporterKeyStore, states: readonly S[]): Promise<OpenedTicketState<S>[]> {
  const refs = states.map((s): SealedRef | undefined => (s.reporter.reporterId && s.reporter.sealed
    ? { reporterId: s.reporter.reporterId, sealed: s.reporter.sealed, ticketId: s.ticketId } : undefined));
  const opened = await openRefs(keys, refs);
  return states.map((s, i) => {
    const o = opened[i];
    if (o === undefined) return s;
    if (o === 'erased') return { ...s, ...(s.onBehalfOf ? { onBehalfOf: { name: '', contact: '' } } : {}), reporterErased: true };
    return { ...s, ...(s.onBehalfOf ? { onBehalfOf: o.onBehalfOf ?? { name: '', contact: '' } } : {}) };
  });
}

/**
 * Opens the sealed reporters of TicketSubmitted events (other events unchanged): `reporter.name`, `phone`,
 * `email`, `accountId` and `onBehalfOf` as submitted (and the metadata's `onBehalfOf`, the person's name), the
 * ciphertext left out; erased: those fields empty and `reporter.erased = true`. The hash chain is checked on
 * the events as stored, never on these.
 */
export async function openSubmittedEvents<E extends EventLike>(keys: ReporterKeyStore, events: readonly E[]): Promise<E[]> {
  const opened = await openRefs(keys, events.map(sealedRefOf));
  return events.map((e, i) => {
    const o = opened[i];
    return o === undefined ? e : withOpenedData(e, o);
  });
}

/** True when an event carries a sealed reporter (so opening it needs the reporters' keys). */
export function hasSealedReporter(e: EventLike): boolean {
  return sealedRefOf(e) !== undefined;
}

function sealedRefOf(e: EventLike): SealedRef | undefined {
  if (e.type !== 'TicketSubmitted') return undefined;
  const r = e.data['reporter'] as { reporterId?: unknown; sealed?: unknown } | undefined;
  return typeof r?.reporterId === 'string' && typeof r.sealed === 'string' && r.sealed !== ''
    ? { reporterId: r.reporterId, sealed: r.sealed, ticketId: String(e.data['ticketId'] ?? '') } : undefined;
}

function withOpenedData<E extends EventLike>(e: E, o: OpenedPersonalData): E {
  const { sealed: _sealed, ...reporter } = e.data['reporter'] as Record<string, unknown>;
  const hadBehalf = e.data['onBehalfOf'] !== undefined && e.data['onBehalfOf'] !== null;
  if (o === 'erased') {
    return {
      ...e,
      data: { ...e.data, reporter: { ...reporter, name: '', phone: '', email: '', accountId: '', erased: true }, ...(hadBehalf ? { onBehalfOf: { name: '', contact: '' } } : {}) },
    };
  }
  const behalf = hadBehalf ? o.onBehalfOf ?? { name: '', contact: '' } : undefined;
  return {
    ...e,
    data: { ...e.data, reporter: { ...reporter, name: o.name, phone: o.phone, email: o.email, accountId: o.accountId }, ...(behalf ? { onBehalfOf: behalf } : {}) },
    metadata: { ...e.metadata, ...(behalf?.name && !e.metadata.onBehalfOf ? { onBehalfOf: behalf.name } : {}) },
  };
}

/** Opens the refs that are present (undefined stays undefined), with one look-up. */
async function openRefs(keys: ReporterKeyStore, refs: readonly (SealedRef | undefined)[]): Promise<(OpenedPersonalData | undefined)[]> {
  const present = refs.filter((r): r is SealedRef => r !== undefined);
  const opened = await keys.open(present);
  let next = 0;
  return refs.map((r) => (r === undefined ? undefined : opened[next++]));
}
