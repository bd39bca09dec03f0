import type { RecordedEvent } from '@tongban/eventstore';
import { mask } from './access';

/** Event types a reporter never sees. */
// DuplicateMerged names the merged duplicate's reporting device: not for the lead's reporter or followers (issue 14 item 5).
const INTERNAL_TYPES = new Set(['InternalNoteAdded', 'DuplicateMerged']);

/**
 * A ticket's history as served by GET /api/v1/tickets/{id}/history: the events in revision order with
 * revision, type, occurredAt, recordedAt, actor, onBehalfOf, channel and data. For the reporter,
 * internal notes and non-public replies are left out; personal data is masked unless `showPersonalData`.
 */
export function historyEntries(events: readonly RecordedEvent[], options: { forReporter: boolean; showPersonalData: boolean }) {
  return events
    .filter((e) => !options.forReporter || (!INTERNAL_TYPES.has(e.type) && !(e.type === 'TicketReplied' && e.data['public'] !== true)))
    .map((e) => ({
      eventId: e.id,
      revision: e.revision,
      type: e.type,
      occurredAt: e.metadata.occurredAt,
      recordedAt: e.recordedAt,
      actor: e.metadata.actor,
      onBehalfOf: e.metadata.onBehalfOf,
      channel: e.metadata.channel,
      service: e.metadata.service,
      data: options.showPersonalData ? e.data : maskPersonalData(e),
      hash: e.hash,
    }));
}

/** The event data with reporters' personal data masked (TicketSubmitted: reporter name, phone, email; onBehalfOf contact). */
export function maskPersonalData(e: Pick<RecordedEvent, 'type' | 'data'>): Record<string, unknown> {
  if (e.type !== 'TicketSubmitted') return e.data;
  const reporter = (e.data['reporter'] ?? {}) as Record<string, unknown>;
  const onBehalfOf = e.data['onBehalfOf'] as Record<string, unknown> | undefined;
  const m = (v: unknown) => (typeof v === 'string' ? mask(v) : v);
  return {
    ...e.data,
    reporter: { ...reporter, name: m(reporter['name']), phone: m(reporter['phone']), email: m(reporter['email']) },
    ...(onBehalfOf ? { onBehalfOf: { ...onBehalfOf, contact: m(onBehalfOf['contact']) } } : {}),
  };
}
