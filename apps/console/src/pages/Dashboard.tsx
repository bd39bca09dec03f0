import { useQueries, useQuery } from '@tanstack/react-query';
import { Alert, Card, Col, Row, Select, Space, Statistic, Table, Tooltip, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../api';
import { ClockTag } from '../components/Clock';
import { CountyMap, TrendChart, type CountyValue } from '../components/CountyMap';
import { useMe, useNow } from '../hooks';
import { formatDuration, formatInstant } from '../i18n';
import { PREFECTURE, useDivision, useDivisionChildren } from '../reference';
import { resolutionClock } from '../sla';
import type { TicketView } from '../types';

/** One group of GET /api/v1/stats (docs/audit.md#statistics). */
export interface Figures {
  key: string;
  name: string;
  received: number;
  closed: number;
  closeRate: number | null;
  firstRepliesOnTime: { count: number; of: number; rate: number | null };
  resolutionsOnTime: { count: number; of: number; rate: number | null };
  openNow: number;
  overdueNow: number;
  satisfaction: { average: number | null; rated: number };
}

interface Stats {
  total: Figures;
  groups: Figures[];
}

const DAY = 86_400_000;
const SHANGHAI = 8 * 3_600_000;

/** An instant's calendar day in Asia/Shanghai, `YYYY-MM-DD` (the stats API's day bounds). */
function shanghaiDay(ms: number): string {
  return new Date(ms + SHANGHAI).toISOString().slice(0, 10);
}

function statsUrl(division: string, from: string, to: string | undefined, groupBy?: string): string {
  const q = new URLSearchParams({ division, from, ...(to ? { to } : {}), ...(groupBy ? { groupBy } : {}) });
  return `/api/v1/stats?${q.toString()}`;
}

const pct = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${Math.round(r * 100)}%`);

/** The figures the map can be coloured by. */
const MAP_FIGURES = ['received', 'overdueNow', 'openNow', 'firstReply', 'resolution', 'satisfaction'] as const;
type MapFigure = (typeof MAP_FIGURES)[number];

function figureOf(f: Figures | undefined, which: MapFigure): number | null {
  if (!f) return null;
  switch (which) {
    case 'received': return f.received;
    case 'overdueNow': return f.overdueNow;
    case 'openNow': return f.openNow;
    case 'firstReply': return f.firstRepliesOnTime.rate;
    case 'resolution': return f.resolutionsOnTime.rate;
    case 'satisfaction': return f.satisfaction.average;
  }
}

/** A figure with its definition on hover (and for screen readers). */
function Figure({ name, value, suffix }: { name: string; value: string | number; suffix?: string }) {
  const { t } = useTranslation();
  return (
    <Tooltip title={t(`statDef.${name}`)}>
      <Card size="small" tabIndex={0} aria-description={t(`statDef.${name}`)} data-testid={`figure-${name}`}>
        <Statistic title={t(`stat.${name}`)} value={value} suffix={suffix} />
      </Card>
    </Tooltip>
  );
}

/**
 * The supervisor dashboard: for the user's jurisdiction and a period, received, closed and the three
 * rates (figures and weekly trends), breaches and escalations per unit, the slowest open tickets and the
 * map of the 17 counties coloured by a chosen figure (click a county for its townships).
 */
export default function DashboardPage() {
  const { t } = useTranslation();
  const me = useMe();
  const now = useNow(60_000);
  const [days, setDays] = useState(30);
  const [mapFigure, setMapFigure] = useState<MapFigure>('received');
  const [county, setCounty] = useState<{ code: string; name: string } | undefined>();
  const division = me?.active.role === 'auditor' ? PREFECTURE : me?.active.division ?? PREFECTURE;
  const scope = useDivision(division);
  const from = shanghaiDay(now - days * DAY);
  const total = useQuery({ queryKey: ['stats', division, from], queryFn: () => api<Stats>(statsUrl(division, from, undefined)) });
  const byCounty = useQuery({ queryKey: ['stats', division, from, 'county'], queryFn: () => api<Stats>(statsUrl(division, from, undefined, 'county')) });
  const byUnit = useQuery({ queryKey: ['stats', division, from, 'unit'], queryFn: () => api<Stats>(statsUrl(division, from, undefined, 'unit')) });
  const townships = useQuery({
    queryKey: ['stats', county?.code, from, 'unit'], enabled: !!county,
    queryFn: () => api<Stats>(statsUrl(county?.code ?? '', from, undefined, 'unit')),
  });
  const counties = useDivisionChildren(PREFECTURE);
  const open = useQuery({ queryKey: ['tickets', 'dashboard'], queryFn: () => api<{ tickets: TicketView[] }>('/api/v1/tickets?limit=500') });
  // Weekly trend: the last 8 weeks (Monday to Sunday, Asia/Shanghai), one stats query per week.
  const dayKey = Math.floor((now + SHANGHAI) / DAY);
  const weeks = useMemo(() => {
    const today = new Date(dayKey * DAY);
    const monday = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - ((today.getUTCDay() + 6) % 7) * DAY;
    return Array.from({ length: 8 }, (_, i) => {
      const start = monday - (7 - i) * 7 * DAY;
      return { from: new Date(start).toISOString().slice(0, 10), to: new Date(start + 6 * DAY).toISOString().slice(0, 10) };
    });
  }, [dayKey]);
  const trend = useQueries({ queries: weeks.map((w) => ({ queryKey: ['stats', division, w.from, w.to], queryFn: () => api<Stats>(statsUrl(division, w.from, w.to)) })) });

  const countyValues: CountyValue[] = useMemo(() => (counties.data?.divisions ?? []).map((d) => ({
    code: d.code, name: d.name, value: figureOf(byCounty.data?.groups.find((g) => g.key === d.code), mapFigure),
  })), [counties.data, byCounty.data, mapFigure]);
  const isRate = mapFigure === 'firstReply' || mapFigure === 'resolution';
  const format = useCallback((v: number | null) => (v === null ? '—' : isRate ? pct(v) : mapFigure === 'satisfaction' ? v.toFixed(1) : String(v)), [isRate, mapFigure]);
  const onSelect = useCallback((code: string, name: string) => setCounty({ code, name }), []);

  // Breaches and escalations per accountable unit, from the tickets of the scope (the list's first 500).
  const perUnit = useMemo(() => {
    const m = new Map<string, { breaches: number; escalations: number }>();
    for (const tk of open.data?.tickets ?? []) {
      const unit = tk.firstResponder?.unitId ?? tk.routedUnit?.id ?? '';
      const e = m.get(unit) ?? { breaches: 0, escalations: 0 };
      e.breaches += tk.breaches?.length ?? 0;
      e.escalations += tk.escalations?.length ?? 0;
      m.set(unit, e);
    }
    return m;
  }, [open.data]);
  const slowest = useMemo(() => (open.data?.tickets ?? [])
    .filter((tk) => ['submitted', 'routed', 'in_progress', 'awaiting_information'].includes(tk.status))
    .sort((a, b) => Date.parse(a.submittedAt ?? '') - Date.parse(b.submittedAt ?? '')).slice(0, 10), [open.data]);

  const f = total.data?.total;
  const unitColumns = [
    { title: t('stat.unit'), dataIndex: 'name' },
    { title: <Tooltip title={t('statDef.received')}>{t('stat.received')}</Tooltip>, dataIndex: 'received' },
    { title: <Tooltip title={t('statDef.overdueNow')}>{t('stat.overdueNow')}</Tooltip>, dataIndex: 'overdueNow' },
    { title: <Tooltip title={t('statDef.breaches')}>{t('stat.breaches')}</Tooltip>, render: (_v: unknown, g: Figures) => perUnit.get(g.key)?.breaches ?? 0 },
    { title: <Tooltip title={t('statDef.escalations')}>{t('stat.escalations')}</Tooltip>, render: (_v: unknown, g: Figures) => perUnit.get(g.key)?.escalations ?? 0 },
    { title: <Tooltip title={t('statDef.firstReply')}>{t('stat.firstReply')}</Tooltip>, render: (_v: unknown, g: Figures) => pct(g.firstRepliesOnTime.rate) },
    { title: <Tooltip title={t('statDef.resolution')}>{t('stat.resolution')}</Tooltip>, render: (_v: unknown, g: Figures) => pct(g.resolutionsOnTime.rate) },
  ];

  return (
    <section aria-labelledby="dashboard-heading" data-testid="dashboard">
      <Space align="baseline" wrap style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} id="dashboard-heading" style={{ marginTop: 0 }}>{t('dashboard.heading')}</Typography.Title>
        <Space>
          <Typography.Text>{t('dashboard.scope', { name: scope.data ? [...scope.data.path.map((p) => p.name), scope.data.name].join(' › ') : division })}</Typography.Text>
          <Select aria-label={t('dashboard.period')} value={days} onChange={setDays} style={{ width: 140 }} data-testid="period"
            options={[7, 30, 90, 365].map((d) => ({ value: d, label: t(`dashboard.periods.${d}`) }))} />
        </Space>
      </Space>
      {total.isError && <Alert type="error" showIcon message={t('app.error', { detail: String(total.error) })} />}
      <Row gutter={[12, 12]}>
        <Col xs={12} md={8} xl={4}><Figure name="received" value={f?.received ?? '—'} /></Col>
        <Col xs={12} md={8} xl={4}><Figure name="closed" value={f?.closed ?? '—'} /></Col>
        <Col xs={12} md={8} xl={4}><Figure name="firstReply" value={pct(f?.firstRepliesOnTime.rate)} /></Col>
        <Col xs={12} md={8} xl={4}><Figure name="resolution" value={pct(f?.resolutionsOnTime.rate)} /></Col>
        <Col xs={12} md={8} xl={4}><Figure name="satisfaction" value={f?.satisfaction.average?.toFixed(1) ?? '—'} suffix={f ? `(${f.satisfaction.rated})` : undefined} /></Col>
        <Col xs={12} md={8} xl={4}><Figure name="overdueNow" value={f?.overdueNow ?? '—'} /></Col>
      </Row>
      <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('dashboard.map')} extra={(
            <Select aria-label={t('dashboard.mapFigure')} value={mapFigure} onChange={setMapFigure} style={{ width: 170 }} data-testid="map-figure"
              options={MAP_FIGURES.map((m) => ({ value: m, label: t(`stat.${m}`) }))} />
          )}>
            <CountyMap values={countyValues} label={t(`stat.${mapFigure}`)} format={format} onSelect={onSelect} />
            <Space>
              <Typography.Text type="secondary">{t('dashboard.mapHint')}</Typography.Text>
              {/* The same drill-down from the keyboard (the map is a canvas). */}
              <Select aria-label={t('queue.filter.county')} placeholder={t('queue.filter.county')} style={{ width: 160 }} data-testid="county-select"
                value={county?.code} onChange={(code: string) => onSelect(code, counties.data?.divisions.find((d) => d.code === code)?.name ?? code)}
                options={(counties.data?.divisions ?? []).map((d) => ({ value: d.code, label: d.name }))} showSearch optionFilterProp="label" />
            </Space>
            {county && (
              <Card size="small" type="inner" title={t('dashboard.townships', { county: county.name })} data-testid="townships"
                extra={<a onClick={() => setCounty(undefined)} role="button" tabIndex={0}>{t('dashboard.close')}</a>} style={{ marginTop: 12 }}>
                <Table<Figures> rowKey="key" size="small" pagination={false} loading={townships.isLoading} dataSource={townships.data?.groups ?? []} columns={unitColumns} />
              </Card>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card size="small" title={t('dashboard.trend')}>
            <TrendChart
              empty={trend.some((q) => q.isPending) ? '…' : t('dashboard.trendEmpty')}
              weeks={weeks.map((w) => formatInstant(Date.parse(`${w.from}T00:00:00+08:00`), 'date'))}
              series={[
                { name: t('stat.firstReply'), values: trend.map((q) => q.data?.total.firstRepliesOnTime.rate ?? null) },
                { name: t('stat.resolution'), values: trend.map((q) => q.data?.total.resolutionsOnTime.rate ?? null) },
                { name: `${t('stat.satisfaction')} (÷5)`, values: trend.map((q) => (q.data?.total.satisfaction.average ?? null) === null ? null : (q.data!.total.satisfaction.average as number) / 5) },
              ]}
            />
          </Card>
          <Card size="small" title={t('dashboard.slowest')} style={{ marginTop: 12 }}>
            <Table<TicketView> rowKey="id" size="small" pagination={false} dataSource={slowest} data-testid="slowest" columns={[
              { title: t('queue.reference'), render: (_v, tk) => <Link to={`/tickets/${tk.id}`}>{tk.reference}</Link> },
              { title: t('queue.title'), dataIndex: 'title', ellipsis: true },
              { title: t('queue.holder'), render: (_v, tk) => tk.holder?.name ?? '' },
              { title: t('dashboard.age'), render: (_v, tk) => formatDuration(now - Date.parse(tk.submittedAt ?? '')) },
              { title: t('queue.resolution'), render: (_v, tk) => <ClockTag clock={resolutionClock(tk, now)} /> },
            ]} />
          </Card>
        </Col>
      </Row>
      <Card size="small" title={t('dashboard.units')} style={{ marginTop: 12 }}>
        <Table<Figures> rowKey="key" size="small" dataSource={byUnit.data?.groups ?? []} loading={byUnit.isLoading} columns={unitColumns} data-testid="units" />
      </Card>
    </section>
  );
}
