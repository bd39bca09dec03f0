import { useQuery } from '@tanstack/react-query';
import { Alert, Badge, Button, Input, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api';
import type { Me } from '../auth';
import { ClockTag } from '../components/Clock';
import { useMe, useNow } from '../hooks';
import { useLiveUpdates } from '../live';
import { countyOf, PREFECTURE, townshipOf, useCatalogue, useDivisionChildren } from '../reference';
import { dueFirstKey, firstResponseClock, isBreached, resolutionClock } from '../sla';
import type { TicketView } from '../types';

/** Statuses in lifecycle order (the status filter). */
const STATUSES = ['submitted', 'routed', 'in_progress', 'awaiting_information', 'resolved', 'closed', 'rejected', 'duplicate', 'withdrawn'] as const;
const OPEN = new Set(['submitted', 'routed', 'in_progress', 'awaiting_information']);

/** How many tickets the queue reads (the list API's page limit). */
const QUEUE_LIMIT = 500;

/** How often the queue re-reads the list while the live stream is open, ms (a safety net). */
const QUEUE_REFRESH_MS = 30_000;

/** How often the queue re-reads the list while the live stream is down, ms. */
const QUEUE_POLL_MS = 2_000;

/**
 * The tickets of the user's queue: what the unit holds or is first responder for (admins), what is
 * transferred to the department (departments); supervisors and auditors see their whole scope.
 */
function inQueue(t: TicketView, me: Me): boolean {
  const unit = me.active.unitId;
  switch (me.active.role) {
    case 'admin': return t.holder?.id === unit || t.firstResponder?.unitId === unit || (!t.firstResponder && t.routedUnit?.id === unit);
    case 'department': return t.holder?.id === unit;
    default: return true;
  }
}

interface Filters {
  status?: string;
  category?: string;
  county?: string;
  township?: string;
  breached: boolean;
  waiting: boolean;
  q: string;
}

function readFilters(p: URLSearchParams): Filters {
  const opt = (k: string) => p.get(k) || undefined;
  return { status: opt('status') ?? 'open', category: opt('category'), county: opt('county'), township: opt('township'), breached: p.get('breached') === '1', waiting: p.get('waiting') === '1', q: p.get('q') ?? '' };
}

/** Whether a ticket passes the filters, leaving out the one named `except` (for the counts of its options). */
function passes(t: TicketView, f: Filters, now: number, except?: keyof Filters): boolean {
  if (except !== 'status' && f.status && f.status !== 'all' && (f.status === 'open' ? !OPEN.has(t.status) : t.status !== f.status)) return false;
  if (except !== 'category' && f.category && t.service_code !== f.category) return false;
  if (except !== 'county' && f.county && countyOf(t.division) !== f.county) return false;
  if (except !== 'township' && f.township && townshipOf(t.division) !== f.township) return false;
  if (except !== 'breached' && f.breached && !isBreached(t, now)) return false;
  if (except !== 'waiting' && f.waiting && t.status !== 'awaiting_information') return false;
  if (except !== 'q' && f.q) {
    const q = f.q.toLowerCase();
    if (!t.reference.toLowerCase().includes(q) && !t.title.toLowerCase().includes(q)) return false;
  }
  return true;
}

function countBy(rows: TicketView[], key: (t: TicketView) => string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) { const k = key(r); if (k) m.set(k, (m.get(k) ?? 0) + 1); }
  return m;
}

/**
 * The queue (landing page of admins and departments): reference, title, category, place, status and the
 * two live clocks per ticket, due-first; filters with their counts, kept in the URL; paged.
 */
export function QueuePage() {
  const { t } = useTranslation();
  const me = useMe();
  const now = useNow(15_000);
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const live = useLiveUpdates([['tickets', 'queue']]);
  const tickets = useQuery({
    queryKey: ['tickets', 'queue'],
    queryFn: () => api<{ tickets: TicketView[] }>(`/api/v1/tickets?limit=${QUEUE_LIMIT}`),
    refetchInterval: live ? QUEUE_REFRESH_MS : QUEUE_POLL_MS,
    refetchIntervalInBackground: false,
  });
  const catalogue = useCatalogue();
  const counties = useDivisionChildren(PREFECTURE);
  const townships = useDivisionChildren(filters.county);

  const mine = useMemo(() => (me ? (tickets.data?.tickets ?? []).filter((row) => inQueue(row, me)) : []), [tickets.data, me]);
  const rows = useMemo(
    () => mine.filter((row) => passes(row, filters, now)).sort((a, b) => dueFirstKey(a, now) - dueFirstKey(b, now) || a.reference.localeCompare(b.reference)),
    [mine, params, now],
  );
  const counts = useMemo(() => ({
    status: countBy(mine.filter((r) => passes(r, filters, now, 'status')), (r) => r.status),
    open: mine.filter((r) => passes(r, filters, now, 'status') && OPEN.has(r.status)).length,
    all: mine.filter((r) => passes(r, filters, now, 'status')).length,
    category: countBy(mine.filter((r) => passes(r, filters, now, 'category')), (r) => r.service_code),
    county: countBy(mine.filter((r) => passes(r, filters, now, 'county')), (r) => countyOf(r.division)),
    township: countBy(mine.filter((r) => passes(r, filters, now, 'township')), (r) => townshipOf(r.division)),
    breached: mine.filter((r) => passes(r, filters, now, 'breached') && isBreached(r, now)).length,
    waiting: mine.filter((r) => passes(r, filters, now, 'waiting') && r.status === 'awaiting_information').length,
  }), [mine, params, now]);

  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value); else next.delete(key);
    if (key === 'county') next.delete('township');
    setParams(next, { replace: true });
  };
  const withCount = (label: string, n: number | undefined) => `${label} (${n ?? 0})`;

  return (
    <section aria-labelledby="queue-heading">
      <Space align="baseline" style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} id="queue-heading" style={{ marginTop: 0 }}>{t('queue.heading')}</Typography.Title>
        <Space>
          <Badge status={tickets.isError || !live ? 'error' : 'processing'} text={tickets.isError || !live ? t('queue.offline') : t('queue.live')} data-testid="live" data-open={String(live)} />
          <Typography.Text data-testid="queue-count">{t('queue.count', { count: rows.length })}</Typography.Text>
        </Space>
      </Space>
      <Space wrap style={{ marginBottom: 16 }} role="search" aria-label={t('queue.filters')}>
        <Select
          aria-label={t('queue.filter.status')} data-testid="filter-status" style={{ width: 200 }} value={filters.status}
          onChange={(v) => set('status', v)}
          options={[
            { value: 'open', label: withCount(t('queue.filter.open'), counts.open) },
            { value: 'all', label: withCount(t('queue.filter.all'), counts.all) },
            ...STATUSES.map((s) => ({ value: s, label: withCount(t(`server:status.${s}`), counts.status.get(s)) })),
          ]}
        />
        <Select
          aria-label={t('queue.filter.category')} data-testid="filter-category" style={{ width: 220 }} allowClear placeholder={t('queue.filter.category')}
          value={filters.category} onChange={(v) => set('category', v)}
          options={(catalogue.data?.services ?? []).map((s) => ({ value: s.service_code, label: withCount(t(`server:category.${s.service_code}`), counts.category.get(s.service_code)) }))}
        />
        <Select
          aria-label={t('queue.filter.county')} data-testid="filter-county" style={{ width: 180 }} allowClear placeholder={t('queue.filter.county')}
          value={filters.county} onChange={(v) => set('county', v)} showSearch optionFilterProp="label"
          options={(counties.data?.divisions ?? []).map((d) => ({ value: d.code, label: withCount(d.name, counts.county.get(d.code)) }))}
        />
        <Select
          aria-label={t('queue.filter.township')} data-testid="filter-township" style={{ width: 180 }} allowClear placeholder={t('queue.filter.township')}
          disabled={!filters.county} value={filters.township} onChange={(v) => set('township', v)} showSearch optionFilterProp="label"
          options={(townships.data?.divisions ?? []).map((d) => ({ value: d.code, label: withCount(d.name, counts.township.get(d.code)) }))}
        />
        <label><Space><Switch data-testid="filter-breached" checked={filters.breached} onChange={(v) => set('breached', v ? '1' : undefined)} />{withCount(t('queue.filter.breached'), counts.breached)}</Space></label>
        <label><Space><Switch data-testid="filter-waiting" checked={filters.waiting} onChange={(v) => set('waiting', v ? '1' : undefined)} />{withCount(t('queue.filter.waiting'), counts.waiting)}</Space></label>
        <Input.Search aria-label={t('queue.filter.search')} placeholder={t('queue.filter.search')} allowClear defaultValue={filters.q} onSearch={(v) => set('q', v)} style={{ width: 220 }} />
        <Button onClick={() => setParams(new URLSearchParams(), { replace: true })}>{t('queue.filter.clear')}</Button>
      </Space>
      {tickets.isError && <Alert type="error" showIcon message={t('app.error', { detail: String(tickets.error) })} style={{ marginBottom: 16 }} />}
      <Table<TicketView>
        data-testid="queue" rowKey="id" dataSource={rows} loading={tickets.isLoading} size="middle"
        locale={{ emptyText: t('queue.empty') }}
        pagination={{ defaultPageSize: 50, showSizeChanger: true, pageSizeOptions: [20, 50, 100, 200] }}
        onRow={(row) => ({ 'data-reference': row.reference, 'data-status': row.status } as React.HTMLAttributes<HTMLElement>)}
        columns={[
          { title: t('queue.reference'), dataIndex: 'reference', render: (_v, row) => <Link to={`/tickets/${row.id}`}>{row.reference}</Link>, width: 150 },
          { title: t('queue.title'), dataIndex: 'title', ellipsis: true },
          { title: t('queue.category'), dataIndex: 'service_code', render: (code: string) => t(`server:category.${code}`), width: 150 },
          { title: t('queue.division'), dataIndex: 'divisionName', width: 140 },
          { title: t('queue.holder'), render: (_v, row) => row.holder?.name ?? '', width: 180, ellipsis: true },
          { title: t('queue.status'), dataIndex: 'status', render: (s: string) => <Tag>{t(`server:status.${s}`)}</Tag>, width: 120 },
          { title: t('queue.firstResponse'), render: (_v, row) => <ClockTag clock={firstResponseClock(row, now)} testId="clock-first-response" />, width: 150 },
          { title: t('queue.resolution'), render: (_v, row) => <ClockTag clock={resolutionClock(row, now)} testId="clock-resolution" />, width: 150 },
        ]}
      />
    </section>
  );
}
