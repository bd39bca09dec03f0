import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Col, Descriptions, Row, Space, Spin, Table, Tabs, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api } from '../api';
import { Actions, type PermittedAction } from '../components/Actions';
import { ClockTag } from '../components/Clock';
import { SlaGantt } from '../components/SlaGantt';
import { actorText, Story } from '../components/Story';
import { useMe, useNow } from '../hooks';
import { formatInstant } from '../i18n';
import { useDivision, useUnitNames } from '../reference';
import { firstResponseClock, resolutionClock } from '../sla';
import type { HistoryEntry, TicketView } from '../types';

/** The raw events: revision, type, actor, occurred and recorded times, and the event's JSON. */
function RawEvents({ events, unitName }: { events: HistoryEntry[]; unitName: (id: string | undefined) => string }) {
  const { t } = useTranslation();
  return (
    <Table<HistoryEntry>
      data-testid="raw-events" rowKey="eventId" dataSource={events} size="small" pagination={false}
      expandable={{ expandedRowRender: (e) => <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{JSON.stringify(e.data, null, 2)}</pre>, rowExpandable: () => true }}
      columns={[
        { title: '#', dataIndex: 'revision', width: 60 },
        { title: 'type', dataIndex: 'type', render: (v: string) => <code>{v}</code> },
        { title: t('ticket.actor'), render: (_v, e) => actorText(t, e.actor, unitName) },
        { title: t('ticket.occurredAt'), render: (_v, e) => formatInstant(e.occurredAt, 'full') },
        { title: t('ticket.recordedAt'), render: (_v, e) => formatInstant(e.recordedAt, 'full') },
      ]}
    />
  );
}

/**
 * One ticket: header (status, holder, first responder, due times, breaches), the report with its place
 * (州 › 县 › 乡镇 › 村) and who submitted it for whom, the story, the SLA timeline, the raw events, and the
 * actions the user's role has on it.
 */
export default function TicketPage() {
  const { t } = useTranslation();
  const { id = '' } = useParams();
  const me = useMe();
  const now = useNow(15_000);
  const ticket = useQuery({
    queryKey: ['ticket', id, 'view'],
    queryFn: () => api<TicketView & { actions?: PermittedAction[] }>(`/api/v1/tickets/${encodeURIComponent(id)}`),
    refetchInterval: 10_000,
  });
  const history = useQuery({
    queryKey: ['ticket', id, 'history', ticket.data?.revision],
    queryFn: () => api<{ events: HistoryEntry[] }>(`/api/v1/tickets/${encodeURIComponent(id)}/history`),
    enabled: !!ticket.data,
  });
  const view = ticket.data;
  const division = useDivision(view?.division);
  const names = useUnitNames(view?.division);
  // Units beyond the ticket's township and county (a return rerouted to another township): the view names them.
  const named = new Map<string, string>();
  for (const u of [view?.holder, view?.routedUnit, view?.supervisingUnit]) if (u?.id && u.name) named.set(u.id, u.name);
  if (view?.firstResponder?.unitName) named.set(view.firstResponder.unitId, view.firstResponder.unitName);
  const unitName = (unit: string | undefined) => (unit ? names.get(unit) ?? named.get(unit) ?? unit : '');

  if (ticket.isError) return <Alert type="error" showIcon message={t('app.error', { detail: String(ticket.error) })} />;
  if (!view) return <Spin aria-label={t('app.loading')} />;
  const events = history.data?.events ?? [];
  const path = division.data ? [...division.data.path.map((p) => p.name), division.data.name].join(' › ') : view.divisionName;
  const submitted = events.find((e) => e.type === 'TicketSubmitted');
  const channel = view.channel && ['app', 'open311', 'web', 'officer'].includes(view.channel) ? view.channel : undefined;
  const fr = view.firstResponder;

  return (
    <article aria-labelledby="ticket-heading" data-testid="ticket" data-revision={view.revision} data-status={view.status}>
      <Link to="/queue" style={{ display: "block" }}>← {t("ticket.back")}</Link>
      <Space align="baseline" wrap style={{ marginTop: 8 }}>
        <Typography.Title level={2} id="ticket-heading" style={{ margin: 0 }}>{view.reference} {view.title}</Typography.Title>
        <Tag color="blue" data-testid="ticket-status">{t(`server:status.${view.status}`)}</Tag>
        {view.mergedInto && <Link data-testid="merged-into" to={`/tickets/${view.mergedInto.id}`}>{t('ticket.mergedInto', { reference: view.mergedInto.reference })}</Link>}
        {!!view.merged && <Tag data-testid="merged-count">{t('ticket.merged', { count: view.merged })}</Tag>}
        <Typography.Text type="secondary">{t('ticket.revision', { revision: view.revision })}</Typography.Text>
      </Space>
      <Descriptions bordered size="small" column={{ xs: 1, md: 2, xl: 3 }} style={{ marginTop: 16 }} data-testid="ticket-header">
        <Descriptions.Item label={t('ticket.holder')}><span data-testid="holder">{view.holder?.name}</span></Descriptions.Item>
        <Descriptions.Item label={t('ticket.firstResponder')}>
          <span data-testid="first-responder">{fr ? (fr.staffName ? `${fr.staffName}（${fr.unitName ?? unitName(fr.unitId)}）` : fr.unitName ?? unitName(fr.unitId)) : t('ticket.firstResponderNone')}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('ticket.routedUnit')}>{view.routedUnit?.name}</Descriptions.Item>
        <Descriptions.Item label={t('queue.firstResponse')}>
          <Space><ClockTag clock={firstResponseClock(view, now)} testId="clock-first-response" /><span>{formatInstant(view.firstResponseDueAt)}</span></Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('queue.resolution')}>
          <Space><ClockTag clock={resolutionClock(view, now)} testId="clock-resolution" /><span data-testid="resolution-due">{formatInstant(view.resolutionDueAt)}</span></Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('ticket.breaches')}>
          {(view.breaches ?? []).length === 0 ? t('ticket.breachesNone') : (view.breaches ?? []).map((b, i) => <Tag color="red" key={i}>{t(`server:leg.${b.leg === 'first_response' || b.leg === 'firstResponse' ? 'first_response' : 'resolution'}`)}</Tag>)}
        </Descriptions.Item>
        {view.supervisingUnit && <Descriptions.Item label={t('ticket.supervisingUnit')}>{view.supervisingUnit.name}</Descriptions.Item>}
      </Descriptions>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col xs={24} xl={14}>
          <Card title={t('ticket.reporter')} size="small">
            <Typography.Paragraph data-testid="description">{view.description}</Typography.Paragraph>
            <Descriptions size="small" column={1}>
              <Descriptions.Item label={t('queue.category')}>{t(`server:category.${view.service_code}`)}</Descriptions.Item>
              <Descriptions.Item label={t('ticket.location')}><span data-testid="division-path">{path}</span>{view.address ? ` · ${view.address}` : ''}{view.lat !== undefined ? ` · ${view.lat.toFixed(5)}, ${view.long?.toFixed(5)}` : ''}</Descriptions.Item>
              <Descriptions.Item label={t('ticket.submittedBy')}>
                <span data-testid="submitted-by">
                  {view.onBehalfOf ? t('ticket.onBehalf', {
                    officer: submitted ? actorText(t, submitted.actor, unitName) : view.reporter?.staffName ?? '',
                    // Issue 14 item 6: an erased reporter's person is gone; say so instead of an empty name.
                    name: view.reporter?.erased ? `(${t('ticket.reporterErased')})` : view.onBehalfOf.name,
                  })
                    : channel ? t(`ticket.channel.${channel}`) : view.channel}
                  {' · '}{formatInstant(view.submittedAt)}
                </span>
              </Descriptions.Item>
            </Descriptions>
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card size="small">
            <Actions view={view} actions={view.actions ?? []} unitName={unitName} role={me?.active.role ?? ''} />
          </Card>
        </Col>
      </Row>
      <Tabs
        style={{ marginTop: 16 }}
        items={[
          { key: 'story', label: t('ticket.story'), children: <Story events={events} unitName={unitName} /> },
          { key: 'timeline', label: t('ticket.timeline'), children: <SlaGantt view={view} events={events} now={now} /> },
          { key: 'events', label: t('ticket.events'), children: <RawEvents events={events} unitName={unitName} /> },
        ]}
      />
    </article>
  );
}
