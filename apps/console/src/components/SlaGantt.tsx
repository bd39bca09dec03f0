import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { formatInstant } from '../i18n';
import type { HistoryEntry, TicketView } from '../types';

/** A leg of the Gantt: start, end (stop or now), due times, pauses and breaches (epoch ms). */
export interface GanttLeg {
  key: 'firstResponse' | 'resolution';
  start: number;
  end: number;
  stopped: boolean;
  dues: number[];
  pauses: { from: number; to: number }[];
  breaches: number[];
}

/**
 * The SLA legs of a ticket from its history: the first-reply leg runs from submission to the first
 * message to the reporter; the resolution leg to the resolution, with announced deadlines as further
 * due markers and the waits on the reporter (information requested → added) as pauses.
 */
function ganttLegs(view: TicketView, events: HistoryEntry[], now: number): GanttLeg[] {
  const start = Date.parse(view.submittedAt ?? events[0]?.occurredAt ?? new Date(now).toISOString());
  const at = (e: HistoryEntry) => Date.parse(e.occurredAt);
  const pauses: { from: number; to: number }[] = [];
  let open: number | undefined;
  for (const e of events) {
    if (e.type === 'InformationRequested') open ??= at(e);
    if ((e.type === 'InformationAdded' || e.type === 'TicketResolved' || e.type === 'TicketClosed') && open !== undefined) { pauses.push({ from: open, to: at(e) }); open = undefined; }
  }
  if (open !== undefined) pauses.push({ from: open, to: now });
  const breaches = (leg: string) => events.filter((e) => e.type === 'DeadlineBreached' && String(e.data['leg']).startsWith(leg)).map(at);
  const deadlines = events.filter((e) => e.type === 'ResolutionDeadlineSet').map((e) => Date.parse(String(e.data['dueAt'])));
  const firstStop = view.firstRespondedAt ? Date.parse(view.firstRespondedAt) : undefined;
  const resolutionStop = view.resolvedAt ? Date.parse(view.resolvedAt) : view.closedAt ? Date.parse(view.closedAt) : undefined;
  const due = (iso: string | undefined) => (iso ? [Date.parse(iso)] : []);
  return [
    { key: 'firstResponse', start, end: firstStop ?? now, stopped: firstStop !== undefined, dues: due(view.firstResponseDueAt), pauses: [], breaches: breaches('first') },
    { key: 'resolution', start, end: resolutionStop ?? now, stopped: resolutionStop !== undefined, dues: [...new Set([...deadlines, ...due(view.resolutionDueAt)])], pauses, breaches: breaches('resol') },
  ];
}

/** The timeline: a Gantt of the SLA legs (bars), due markers (lines), pauses (shaded), breaches (red dots), now. */
export function SlaGantt({ view, events, now }: { view: TicketView; events: HistoryEntry[]; now: number }) {
  const { t } = useTranslation();
  const legs = ganttLegs(view, events, now);
  const times = legs.flatMap((l) => [l.start, l.end, ...l.dues, ...l.breaches]).concat(now);
  const min = Math.min(...times);
  const max = Math.max(...times) + 1;
  const W = 900, LABEL = 110, ROW = 44, H = ROW * legs.length + 40;
  const x = (ms: number) => LABEL + ((ms - min) / (max - min)) * (W - LABEL - 20);
  const ticks = Array.from({ length: 5 }, (_, i) => min + ((max - min) * i) / 4);
  return (
    <figure style={{ margin: 0 }} data-testid="gantt">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={t('ticket.timeline')}>
        {ticks.map((ms, i) => (
          <g key={ms}>
            <line x1={x(ms)} x2={x(ms)} y1={8} y2={H - 24} stroke="#eee" />
            {/* The last label ends at its line: centred, it would run past the right edge and be cut off. */}
            <text x={x(ms)} y={H - 8} fontSize={11} textAnchor={i === ticks.length - 1 ? 'end' : 'middle'} fill="#555">{formatInstant(ms)}</text>
          </g>
        ))}
        {legs.map((leg, i) => {
          const y = 12 + i * ROW;
          return (
            <g key={leg.key} data-leg={leg.key}>
              <text x={0} y={y + 18} fontSize={13} fill="#222">{t(`timeline.${leg.key}`)}</text>
              <rect x={x(leg.start)} y={y + 6} width={Math.max(2, x(leg.end) - x(leg.start))} height={18} rx={3} fill={leg.breaches.length ? '#ffccc7' : leg.stopped ? '#b7eb8f' : '#91caff'} />
              {leg.pauses.map((p) => <rect key={p.from} x={x(p.from)} y={y + 6} width={Math.max(2, x(p.to) - x(p.from))} height={18} fill="url(#paused)" fillOpacity={0.7} data-testid="gantt-pause"><title>{t('ticket.legPaused')}</title></rect>)}
              {leg.dues.map((d) => <line key={d} x1={x(d)} x2={x(d)} y1={y} y2={y + 30} stroke="#d46b08" strokeWidth={2} data-testid="gantt-due"><title>{`${t('ticket.legDue')} ${formatInstant(d)}`}</title></line>)}
              {leg.breaches.map((b) => <circle key={b} cx={x(b)} cy={y + 15} r={5} fill="#cf1322" data-testid="gantt-breach"><title>{`${t('ticket.legBreach')} ${formatInstant(b)}`}</title></circle>)}
            </g>
          );
        })}
        <line x1={x(now)} x2={x(now)} y1={4} y2={H - 24} stroke="#0b57d0" strokeDasharray="4 3"><title>{t('ticket.legNow')}</title></line>
        <defs>
          <pattern id="paused" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="3" height="6" fill="#8c8c8c" />
          </pattern>
        </defs>
      </svg>
      <Typography.Text type="secondary">{t('timeline.legend')}</Typography.Text>
    </figure>
  );
}
