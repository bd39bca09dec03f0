import { Tag, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import { formatDuration, formatInstant } from '../i18n';
import type { Clock } from '../sla';

const COLOURS: Record<Clock['state'], string | undefined> = {
  normal: 'blue', warning: 'orange', breached: 'red', met: 'green', metLate: 'volcano', paused: 'default', none: undefined,
};

/**
 * One SLA clock as a coloured tag: time left ("还剩 3 小时") or overdue ("超期 2 天"), the due time in
 * Asia/Shanghai on hover, and the state in words for screen readers (colour is never the only signal).
 */
export function ClockTag({ clock, testId }: { clock: Clock; testId?: string }) {
  const { t } = useTranslation();
  if (clock.state === 'none') return <span data-testid={testId} data-state="none">—</span>;
  const text = clock.state === 'met' ? t('clock.met')
    : clock.state === 'metLate' ? t('clock.metLate')
      : clock.state === 'paused' ? t('clock.paused')
        : clock.state === 'breached' ? t('clock.over', { time: formatDuration(-(clock.leftMs ?? 0)) })
          : t('clock.left', { time: formatDuration(clock.leftMs ?? 0) });
  const stateWord = clock.state === 'breached' ? t('clock.stateBreached') : clock.state === 'warning' ? t('clock.stateWarning') : clock.state === 'normal' ? t('clock.stateNormal') : '';
  const due = clock.dueMs !== undefined ? t('clock.due', { date: formatInstant(clock.dueMs) }) : '';
  return (
    <Tooltip title={[stateWord, due].filter(Boolean).join(' · ')}>
      <Tag color={COLOURS[clock.state]} data-testid={testId} data-state={clock.state} aria-label={[text, stateWord, due].filter(Boolean).join(', ')} tabIndex={0}>
        {text}
      </Tag>
    </Tooltip>
  );
}
