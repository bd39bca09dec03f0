import { Timeline, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { formatInstant } from '../i18n';
import type { HistoryEntry } from '../types';

/** Shows a unit id by its name when known. */
export type UnitName = (id: string | undefined) => string;

/**
 * Who acted, in words: a staff member with role, name (the directory's display name; the unit alone when there
 * is none, as for the seeded development identities) and unit, the reporter, or the system.
 */
export function actorText(t: (k: string, v?: Record<string, unknown>) => string, actor: HistoryEntry['actor'], unitName: UnitName): string {
  if (actor.kind === 'staff') {
    const person = actor.staffName ?? (actor.unitId ? '' : actor.id ?? '');
    return `${[actor.role ? t(`role.${actor.role}`) : '', person].filter((p) => p !== '').join(' ')}${actor.unitId ? `（${unitName(actor.unitId)}）` : ''}`;
  }
  if (actor.kind === 'citizen' || actor.kind === 'open311') return t('story.reporter');
  return t('story.system');
}

/** The accepting first responder of a TicketAccepted: their name when the gateway found one, else their role. */
function acceptedBy(t: (k: string, v?: Record<string, unknown>) => string, e: HistoryEntry): string {
  if (e.actor.kind === 'staff' && e.actor.id === e.data['staffId'] && e.actor.staffName) return e.actor.staffName;
  return e.actor.role ? t(`role.${e.actor.role}`) : '';
}

/** One line of the story for an event (the catalogue's `story.<EventType>`). */
export function storyLine(t: (k: string, v?: Record<string, unknown>) => string, e: HistoryEntry, unitName: UnitName): string {
  const d = e.data;
  const s = (k: string) => (typeof d[k] === 'string' ? (d[k]) : '');
  const who = actorText(t, e.actor, unitName);
  const leg = (v: string) => t(`server:leg.${v === 'first_response' || v === 'firstResponse' ? 'first_response' : 'resolution'}`);
  switch (e.type) {
    case 'TicketSubmitted': {
      const behalf = d['onBehalfOf'] as { name?: string } | undefined;
      // Issue 14 item 6: the person of an erased reporter is no longer known.
      const erased = (d['reporter'] as { erased?: boolean } | undefined)?.erased === true;
      if (behalf && erased) return t('story.TicketSubmittedOnBehalf', { who, name: `(${t('ticket.reporterErased')})` });
      return behalf?.name ? t('story.TicketSubmittedOnBehalf', { who, name: behalf.name }) : t('story.TicketSubmitted', { who });
    }
    case 'TicketRouted': return t('story.TicketRouted', { unit: unitName(s('unitId')) });
    case 'TicketAccepted': return d['firstResponder'] === true
      ? t('story.TicketAccepted', { unit: unitName(s('unitId')), who: acceptedBy(t, e) })
      : t('story.TicketSignedFor', { unit: unitName(s('unitId')) });
    case 'SignForBreached': return t('story.SignForBreached', { unit: unitName(s('unitId')) });
    case 'TicketReplied': return t(d['public'] === true ? 'story.TicketRepliedPublic' : 'story.TicketRepliedInternal', { unit: unitName(s('unitId') || e.actor.unitId), text: s('message') });
    case 'InternalNoteAdded': return t('story.InternalNoteAdded', { unit: unitName(s('unitId') || e.actor.unitId), text: s('text') });
    case 'TicketTransferred': return t('story.TicketTransferred', { to: unitName(s('toUnitId')), text: s('reason') });
    case 'TicketHandedBack': return t('story.TicketHandedBack', { from: unitName(s('fromUnitId')), to: unitName(s('toUnitId')), text: s('findings') });
    case 'InformationRequested': return t('story.InformationRequested', { unit: unitName(s('unitId') || e.actor.unitId), text: s('question') });
    case 'InformationAdded': return t('story.InformationAdded', { text: s('text') });
    case 'ResolutionDeadlineSet': return t('story.ResolutionDeadlineSet', { date: formatInstant(s('dueAt')), text: s('reason') });
    case 'TicketResolved': return t('story.TicketResolved', { unit: unitName(s('unitId') || e.actor.unitId), text: s('resolution') });
    case 'ResolutionVerified': return t('story.ResolutionVerified', { unit: unitName(s('unitId') || e.actor.unitId), method: t(`method.${s('method')}`), text: s('note') });
    case 'TicketReopened': return t('story.TicketReopened', { text: s('reason') });
    case 'TicketRated': return t('story.TicketRated', { score: d['score'] });
    case 'TicketRejected': return t('story.TicketRejected', { text: s('reason') });
    case 'TicketReassigned': return t('story.TicketReassigned', { to: unitName(s('toUnitId')), text: s('reason') });
    case 'TicketEscalated': return d['automatic'] === true ? t('story.TicketEscalatedAutomatic', { to: unitName(s('toUnitId')) }) : t('story.TicketEscalated', { to: unitName(s('toUnitId')), text: s('reason') });
    case 'DeadlineWarningIssued': return t('story.DeadlineWarningIssued', { leg: leg(s('leg')) });
    case 'DeadlineBreached': return t('story.DeadlineBreached', { leg: leg(s('leg')) });
    case 'TicketReturned': return t('story.TicketReturned', { unit: unitName(s('fromUnitId')), reason: t(`returnReason.${s('reasonCode') || 'other'}`), text: s('reason') });
    case 'ReturnReviewed': return d['approved'] === true
      ? t('story.ReturnApproved', { to: unitName(s('toUnitId')) })
      : t('story.ReturnRefused', { unit: unitName(s('returnedByUnitId')), text: s('reason') });
    case 'CallbackRecorded': return d['reached'] === true
      ? t('story.CallbackReached', { unit: unitName(s('unitId')), rating: t(`ratingLevel.${s('rating')}`) })
      : t('story.CallbackNotReached', { unit: unitName(s('unitId')), attempt: d['attempt'] });
    case 'CallbackOverdue': return t('story.CallbackOverdue', { unit: unitName(s('unitId')), date: formatInstant(s('dueAt')) });
    case 'TicketMerged': return t('story.TicketMerged', { unit: unitName(e.actor.unitId), reference: s('intoReference') || s('intoTicketId') });
    case 'DuplicateMerged': return t('story.DuplicateMerged', { reference: s('mergedReference') || s('mergedTicketId') });
    case 'TicketClosed': case 'AttachmentAdded': case 'TicketMarkedDuplicate': case 'TicketWithdrawn': return t(`story.${e.type}`);
    default: return t('story.other', { type: e.type });
  }
}

const COLOURS: Record<string, string> = { DeadlineBreached: 'red', CallbackOverdue: 'orange', DeadlineWarningIssued: 'orange', TicketEscalated: 'red', TicketResolved: 'green', TicketClosed: 'green', ResolutionVerified: 'green' };

/** The story: one line per handoff and reply, with who and when (Asia/Shanghai). */
export function Story({ events, unitName }: { events: HistoryEntry[]; unitName: UnitName }) {
  const { t } = useTranslation();
  return (
    <Timeline
      data-testid="story"
      items={events.map((e) => ({
        key: e.eventId,
        color: COLOURS[e.type] ?? 'blue',
        children: (
          <div data-testid="story-line" data-type={e.type} data-revision={e.revision}>
            <Typography.Text>{storyLine(t, e, unitName)}</Typography.Text>
            <br />
            <Typography.Text type="secondary">{formatInstant(e.occurredAt)} · {actorText(t, e.actor, unitName)}</Typography.Text>
          </div>
        ),
      }))}
    />
  );
}
