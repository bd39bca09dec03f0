import { type TicketEvent, type TicketState, ratedSinceResolution } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import { DEFAULT_LANGUAGE, type Language, formatDateTime, translator } from '@tongban/i18n';

/** Who receives a message: a unit's inbox, a staff member's, or a citizen device's. */
export interface Recipient {
  kind: 'unit' | 'staff' | 'device';
  id: string;
}

/** One message to deliver. */
export interface Notice {
  recipient: Recipient;
  /**
   * ticket-arrived (routed or transferred) | handed-back | reopened | accepted | deadline-announced |
   * public-reply | resolved | information-requested | information-added | escalated | deadline-warning |
   * deadline-breached | withdrawn | merged
   */
  kind: string;
  /** The language `title` and `body` are written in (the recipient's). */
  language: Language;
  title: string;
  body: string;
  /** What the texts were filled with (`reference`, `title`, `body`, `unit`, `dueAt`, `leg`): SMS template parameters. */
  params: Readonly<Record<string, string>>;
  /**
   * A copy for a device following the ticket (a me-too, or the reporter of a merged duplicate; issue 14 item 5):
   * in-app only — the reporter's SMS and e-mail belong to the reporter's own notice.
   */
  follower?: true;
}

/**
 * Every notice kind, as the README lists them — to units, to the reporter, and delivery-failed (outbound-config):
 * what webhook subscriptions' `kinds` and units' `smsKinds` may name (anything else is refused at start: a
 * misspelt kind would silently receive nothing).
 */
const NOTICE_KINDS: ReadonlySet<string> = new Set([
  'ticket-arrived', 'handed-back', 'reopened', 'information-added', 'escalated', 'deadline-warning', 'deadline-breached',
  'withdrawn', 'delivery-failed', 'accepted', 'deadline-announced', 'public-reply', 'resolved', 'information-requested',
  'callback-requested', 'merged',
]);

/**
 * The names of `kinds` that are no notice kind ({@link NOTICE_KINDS}), with the sentence that lists the known ones.
 * @returns undefined when every name is known.
 */
export function unknownNoticeKinds(kinds: readonly string[]): string | undefined {
  const unknown = kinds.filter((k) => !NOTICE_KINDS.has(k));
  return unknown.length === 0 ? undefined : `unknown notice kind(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${[...NOTICE_KINDS].join(', ')})`;
}

/** What rendering needs beside the event: the recipient's language and unit names. */
export interface NoticeOptions {
  /** The language of a recipient (default zh-Hans). */
  languageOf?: (recipient: Recipient) => Language;
  /** A unit's name (default: its id). */
  unitName?: (unitId: string) => string;
}

/** The reporter's inbox: the device, or the officer who submitted on someone's behalf. */
export function reporterOf(s: TicketState): Recipient | undefined {
  if (s.reporter.deviceId) return { kind: 'device', id: s.reporter.deviceId };
  if (s.reporter.staffId) return { kind: 'staff', id: s.reporter.staffId };
  return undefined;
}

/** The event types {@link noticesFor} can give notices for (every other type gives none, whatever the state). */
export const NOTIFYING_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  'TicketRouted', 'TicketTransferred', 'TicketHandedBack', 'TicketReopened', 'TicketAccepted', 'ResolutionDeadlineSet', 'TicketReplied',
  'TicketResolved', 'InformationRequested', 'InformationAdded', 'TicketEscalated', 'DeadlineWarningIssued', 'DeadlineBreached',
  'TicketMerged', 'TicketWithdrawn', 'CallbackRecorded',
] satisfies TicketEvent['type'][]);

/**
 * The notices an event causes, given the ticket's state after it (pure), written from the catalogues
 * (`notice.<text>.title|body`, packages/i18n) in each recipient's language:
 * routed/transferred/reopened/handed back → the unit now holding it; the first accept, an announced
 * deadline, a public reply, the resolution, a request for information → the reporter; the reporter's
 * added information (an answer to a question, or unasked) → the holding unit; escalation → the
 * supervising unit; deadline warning/breach → the holder; the reporter's withdrawal → the holding unit and the
 * first responder's unit when another (nobody when it was never routed; text `withdrawn`, or
 * `withdrawn-without-reason` when the reporter gave none); a callback attempt by SMS or in the app that has not
 * reached the reporter (回访 by text message: `CallbackRecorded` {reached: false, channel: sms|app}) → the reporter
 * alone, asking to confirm the result and rate it (`callback-requested`; answered by the rating; not when this
 * resolution was rated already). The reporter's acceptance, announced deadline, public
 * replies and resolution also go to each following device (`follower`); a merge (并单) tells the merged
 * ticket's reporter which ticket it now follows.
 */
export function noticesFor(event: RecordedEvent, s: TicketState, options: NoticeOptions = {}): Notice[] {
  const d = event.data;
  const languageOf = options.languageOf ?? (() => DEFAULT_LANGUAGE);
  const unitName = options.unitName ?? ((id: string) => id);
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  const notice = (recipient: Recipient, kind: string, textKey: string, values: Record<string, string>): Notice => {
    const language = languageOf(recipient);
    const t = translator(language);
    const params: Record<string, string> = { reference: s.reference, title: s.title, ...values };
    if (params['dueAt']) params['dueAt'] = formatDateTime(params['dueAt'], language);
    if (params['leg']) params['leg'] = t(`leg.${params['leg']}`);
    return { recipient, kind, language, title: t(`notice.${textKey}.title`, params), body: t(`notice.${textKey}.body`, params), params };
  };
  const reporter = reporterOf(s);
  const toReporterOnly = (kind: string, values: Record<string, string> = {}): Notice[] => (reporter ? [notice(reporter, kind, kind, values)] : []);
  // Progress the reporter hears of is told to the followers' devices too (me-too and merged duplicates, issue 14 item 5).
  const toReporter = (kind: string, values: Record<string, string> = {}): Notice[] => [
    ...toReporterOnly(kind, values),
    ...(s.followers ?? []).filter((device) => device !== s.reporter.deviceId)
      .map((device): Notice => ({ ...notice({ kind: 'device', id: device }, kind, kind, values), follower: true })),
  ];
  const toUnit = (unitId: unknown, kind: string, textKey: string, values: Record<string, string>): Notice[] =>
    typeof unitId === 'string' && unitId ? [notice({ kind: 'unit', id: unitId }, kind, textKey, values)] : [];
  switch (event.type) {
    case 'TicketRouted': return toUnit(d['unitId'], 'ticket-arrived', 'ticket-arrived', { body: s.description });
    case 'TicketTransferred': return toUnit(d['toUnitId'], 'ticket-arrived', 'transferred', { body: text(d['reason']) });
    case 'TicketHandedBack': return toUnit(d['toUnitId'], 'handed-back', 'handed-back', { body: text(d['findings']) });
    case 'TicketReopened': return toUnit(d['unitId'], 'reopened', 'reopened', { body: text(d['reason']) });
    case 'TicketAccepted':
      return d['firstResponder'] === true ? toReporter('accepted', { unit: unitName(text(d['unitId'])), dueAt: s.sla.resolution?.dueAt ?? '' }) : [];
    case 'ResolutionDeadlineSet': return toReporter('deadline-announced', { unit: unitName(s.holderUnitId), dueAt: text(d['dueAt']), body: text(d['reason']) });
    case 'TicketReplied': return d['public'] === true ? toReporter('public-reply', { body: text(d['message']) }) : [];
    case 'TicketResolved': return toReporter('resolved', { body: text(d['resolution']) });
    case 'InformationRequested': return toReporterOnly('information-requested', { body: text(d['question']) });
    case 'TicketMerged': return toReporterOnly('merged', { into: text(d['intoReference']) });
    case 'InformationAdded': return toUnit(s.holderUnitId, 'information-added', 'information-added', { body: text(d['text']) });
    case 'TicketEscalated': return toUnit(d['toUnitId'], 'escalated', 'escalated', { body: text(d['reason']) });
    case 'DeadlineWarningIssued': return toUnit(s.holderUnitId, 'deadline-warning', 'deadline-warning', { leg: text(d['leg']), dueAt: text(d['dueAt']) });
    case 'TicketWithdrawn': {
      // The reason is optional (withdraw {reason?}): without one the text says nothing of a reason.
      const reason = text(d['reason']).trim();
      const textKey = reason ? 'withdrawn' : 'withdrawn-without-reason';
      return [...new Set([s.holderUnitId, s.firstResponder?.unitId])].flatMap((unitId) => toUnit(unitId, 'withdrawn', textKey, { body: reason }));
    }
    case 'CallbackRecorded':
      // Not when the reporter already rated this resolution (their rating would be refused: already_rated).
      return d['reached'] !== true && (d['channel'] === 'sms' || d['channel'] === 'app') && !ratedSinceResolution(s) ? toReporterOnly('callback-requested') : [];
    case 'DeadlineBreached': return toUnit(s.holderUnitId, 'deadline-breached', 'deadline-breached', { leg: text(d['leg']), dueAt: text(d['dueAt']) });
    default: return [];
  }
}
