import { formatDate, t } from './i18n';

/** The parts of the ticket view (GET /api/v1/tickets/{id}) that the app shows. */
export interface TicketView {
  id: string;
  reference: string;
  revision: number;
  status: string;
  service_code: string;
  division: string;
  divisionName: string;
  title: string;
  description: string;
  holder: { id: string; name: string } | null;
  routedUnit: { id: string; name: string } | null;
  submittedAt: string;
  firstResponseDueAt?: string;
  resolutionDueAt?: string;
  resolutionDeadlineAnnounced?: boolean;
  resolution?: string;
  rating?: unknown;
  attachments?: { sha256: string; contentType: string; size: number; url: string }[];
}

/** One reporter-visible entry of GET /api/v1/tickets/{id}/history. */
export interface HistoryEntry {
  revision: number;
  type: string;
  occurredAt: string;
  actor?: { kind?: string; unitId?: string; unitName?: string };
  data: Record<string, unknown>;
}

/** The status of a report in plain words, e.g. "雷波县锦城镇已受理，承诺 6月5日 前解决". */
export function statusWords(view: TicketView, now = Date.now()): string {
  const unit = view.holder?.name ?? view.routedUnit?.name ?? '';
  const due = view.resolutionDueAt;
  switch (view.status) {
    case 'in_progress':
      if (due && Date.parse(due) < now) return `${t('status.in_progress', { unit })} · ${t('status.overdue')}`;
      return due ? t('status.in_progress_due', { unit, date: formatDate(due) }) : t('status.in_progress', { unit });
    case 'routed':
    case 'resolved':
      return t(`status.${view.status}`, { unit });
    case 'submitted':
    case 'awaiting_information':
    case 'closed':
    case 'rejected':
    case 'duplicate':
    case 'withdrawn':
      return t(`status.${view.status}`);
    default:
      return view.status;
  }
}

/** A status's tone for its badge: waiting on the citizen, done, or in hand. */
export function statusTone(status: string): 'action' | 'done' | 'progress' {
  if (status === 'awaiting_information' || status === 'resolved') return 'action';
  if (status === 'closed' || status === 'rejected' || status === 'duplicate' || status === 'withdrawn') return 'done';
  return 'progress';
}

/** The five national satisfaction levels (《政府服务"好差评"》), best first. */
export const RATING_LEVELS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'] as const;
/** A rating level. */
export type RatingLevel = (typeof RATING_LEVELS)[number];

/** Today's numeric score of POST …/rating for a level: very satisfied 5 … very dissatisfied 1. */
export function scoreOfLevel(level: RatingLevel): number {
  return 5 - RATING_LEVELS.indexOf(level);
}

/** The level of a rating in a ticket view (`{score}` today; a level name once the five-level rating exists). */
export function levelOfRating(rating: unknown): RatingLevel | undefined {
  if (!rating || typeof rating !== 'object') return undefined;
  const r = rating as { score?: number; level?: string };
  if (typeof r.level === 'string' && (RATING_LEVELS as readonly string[]).includes(r.level)) return r.level as RatingLevel;
  if (typeof r.score === 'number' && r.score >= 1 && r.score <= 5) return RATING_LEVELS[5 - r.score];
  return undefined;
}
