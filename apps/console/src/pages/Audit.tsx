import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Input, Select, Slider, Space, Spin, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../api';
import { diffStates, historyCsv, historyJsonl, type FieldChange } from '../audit';
import { actorText, Story } from '../components/Story';
import { formatInstant } from '../i18n';
import { useUnitNames } from '../reference';
import type { HistoryEntry, TicketView } from '../types';

/** GET /api/v1/tickets/{id}/verify. */
interface Verification {
  intact: boolean;
  checkedEvents: number;
  firstBadRevision?: number;
  reason?: string;
  lastRevision: number;
  anchor?: { anchorRevision: number; revision: number; hash: string; recordedAt: string };
}

/** GET /api/v1/tickets/{id}/history?revision=N: the events up to N and the state the decider evolves from them. */
interface Replay {
  revision: number;
  state: Record<string, unknown>;
  events: HistoryEntry[];
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

function useReplay(id: string, revision: number | undefined) {
  return useQuery({
    queryKey: ['replay', id, revision],
    queryFn: () => api<Replay>(`/api/v1/tickets/${encodeURIComponent(id)}/history?revision=${revision}`),
    enabled: revision !== undefined && revision >= 0,
    staleTime: Infinity,
  });
}

/** The auditor's view of one ticket: chain badge and anchor, revision slider, diff, story, exports. */
function AuditTicket({ id }: { id: string }) {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const printing = params.get('print') === '1';
  const view = useQuery({ queryKey: ['ticket', id, 'view'], queryFn: () => api<TicketView>(`/api/v1/tickets/${encodeURIComponent(id)}`) });
  const history = useQuery({ queryKey: ['ticket', id, 'history', 'audit'], queryFn: () => api<{ events: HistoryEntry[] }>(`/api/v1/tickets/${encodeURIComponent(id)}/history`) });
  const verify = useQuery({ queryKey: ['verify', id], queryFn: () => api<Verification>(`/api/v1/tickets/${encodeURIComponent(id)}/verify`) });
  const names = useUnitNames(view.data?.division);
  const unitName = (u: string | undefined) => (u ? names.get(u) ?? u : '');
  const events = history.data?.events ?? [];
  const last = events.length ? events[events.length - 1]!.revision : 0;
  const [picked, setPicked] = useState<number | undefined>();
  const revision = picked ?? last;
  const replay = useReplay(id, events.length ? revision : undefined);
  const [from, setFrom] = useState<number | undefined>();
  const [to, setTo] = useState<number | undefined>();
  const left = useReplay(id, from);
  const right = useReplay(id, to);
  const changes: FieldChange[] = useMemo(() => (left.data && right.data ? diffStates(left.data.state, right.data.state) : []), [left.data, right.data]);

  if (view.isError) return <Alert type="error" showIcon message={t('app.error', { detail: String(view.error) })} />;
  if (!view.data || !history.data) return <Spin aria-label={t('app.loading')} />;
  const v = verify.data;
  const state = replay.data?.state;
  const revisions = events.map((e) => ({ value: e.revision, label: `${e.revision} · ${e.type}` }));
  const fr = state?.['firstResponder'] as { staffId?: string; unitId?: string } | null | undefined;

  if (printing) {
    return (
      <article data-testid="audit-print">
        <Typography.Title level={3}>{t('audit.printTitle', { reference: view.data.reference })}</Typography.Title>
        <Typography.Paragraph>{view.data.title} · {view.data.divisionName}</Typography.Paragraph>
        {v && <Typography.Paragraph>{v.intact ? t('audit.chainIntact', { count: v.checkedEvents }) : t('audit.chainBroken', { revision: v.firstBadRevision ?? '?' })}</Typography.Paragraph>}
        <table className="print-table">
          <thead><tr><th>#</th><th>{t('ticket.occurredAt')}</th><th>{t('ticket.actor')}</th><th>type</th><th>data</th></tr></thead>
          <tbody>{events.map((e) => (
            <tr key={e.eventId}><td>{e.revision}</td><td>{formatInstant(e.occurredAt, 'full')}</td><td>{actorText(t, e.actor, unitName)}</td><td>{e.type}</td><td><code>{JSON.stringify(e.data)}</code></td></tr>
          ))}</tbody>
        </table>
        <Button className="no-print" onClick={() => window.print()}>{t('audit.print')}</Button>
      </article>
    );
  }

  return (
    <article aria-labelledby="audit-heading" data-testid="audit-ticket">
      <Link to="/audit">← {t('audit.heading')}</Link>
      <Space align="baseline" wrap style={{ display: 'flex', marginTop: 8 }}>
        <Typography.Title level={2} id="audit-heading" style={{ margin: 0 }}>{view.data.reference} {view.data.title}</Typography.Title>
        {v ? (
          <Tag color={v.intact ? 'green' : 'red'} data-testid="chain-badge" data-intact={String(v.intact)} data-first-bad={v.firstBadRevision ?? ''} title={v.reason || undefined} style={{ fontSize: 14, padding: '4px 8px' }}>
            {v.intact ? t('audit.chainIntact', { count: v.checkedEvents }) : t('audit.chainBroken', { revision: v.firstBadRevision ?? '?' })}
          </Tag>
        ) : <Spin size="small" />}
        {v && <Typography.Text type="secondary" data-testid="anchor">{v.anchor ? t('audit.anchor', { revision: v.anchor.revision, date: formatInstant(v.anchor.recordedAt) }) : t('audit.noAnchor')}</Typography.Text>}
      </Space>
      {v && !v.intact && v.reason && <Alert type="error" showIcon message={v.reason} style={{ marginTop: 8 }} />}
      <Space style={{ marginTop: 12 }} wrap>
        <Typography.Text strong>{t('audit.export')}:</Typography.Text>
        <Button data-testid="export-jsonl" onClick={() => download(`${view.data.reference}.jsonl`, 'application/x-ndjson', historyJsonl(events))}>{t('audit.exportJsonl')}</Button>
        <Button data-testid="export-csv" onClick={() => download(`${view.data.reference}.csv`, 'text/csv;charset=utf-8', `\ufeff${historyCsv(events)}`)}>{t('audit.exportCsv')}</Button>
        <Link to={`/audit/${id}?print=1`} target="_blank"><Button>{t('audit.print')}</Button></Link>
      </Space>
      <Card size="small" style={{ marginTop: 16 }} title={t('audit.revision', { revision })}>
        <div data-testid="revision-slider"><Slider
          min={0} max={last} value={revision} onChange={(n: number) => setPicked(n)} dots
          marks={Object.fromEntries(events.map((e) => [e.revision, String(e.revision)]))}
          tooltip={{ formatter: (n) => `${n} · ${events.find((e) => e.revision === n)?.type ?? ''}` }}
          ariaLabelForHandle={t('audit.slider')}
        /></div>
        {replay.isFetching && !state ? <Spin /> : state && (
          <Descriptions size="small" bordered column={{ xs: 1, lg: 3 }} data-testid="replayed-state" data-revision={replay.data?.revision} data-status={String(state['status'])}>
            <Descriptions.Item label={t('queue.status')}><span data-testid="replayed-status">{t(`server:status.${String(state['status'])}`)}</span></Descriptions.Item>
            <Descriptions.Item label={t('ticket.holder')}>{unitName(state['holderUnitId'] as string)}</Descriptions.Item>
            <Descriptions.Item label={t('ticket.firstResponder')}><span data-testid="replayed-first-responder">{fr ? `${fr.staffId ?? ''}（${unitName(fr.unitId)}）` : t('ticket.firstResponderNone')}</span></Descriptions.Item>
          </Descriptions>
        )}
        {state && <details style={{ marginTop: 8 }}><summary>JSON</summary><pre style={{ whiteSpace: 'pre-wrap' }}>{JSON.stringify(state, null, 2)}</pre></details>}
      </Card>
      <Card size="small" style={{ marginTop: 16 }} title={t('audit.diff')}>
        <Space wrap>
          <Select aria-label={t('audit.diffFrom')} placeholder={t('audit.diffFrom')} style={{ width: 260 }} value={from} onChange={setFrom} options={revisions} data-testid="diff-from" />
          <Select aria-label={t('audit.diffTo')} placeholder={t('audit.diffTo')} style={{ width: 260 }} value={to} onChange={setTo} options={revisions} data-testid="diff-to" />
        </Space>
        {left.data && right.data && (changes.length === 0 ? <Typography.Paragraph>{t('audit.noDiff')}</Typography.Paragraph> : (
          <Table<FieldChange> rowKey="path" size="small" pagination={false} dataSource={changes} data-testid="diff" style={{ marginTop: 12 }} columns={[
            { title: t('audit.field'), dataIndex: 'path', render: (p: string) => <code>{p}</code> },
            { title: t('audit.before'), render: (_v, c) => <span style={{ color: '#a8071a' }}>{show(c.before)}</span> },
            { title: t('audit.after'), render: (_v, c) => <span style={{ color: '#135200' }}>{show(c.after)}</span> },
          ]} />
        ))}
      </Card>
      <Card size="small" style={{ marginTop: 16 }} title={t('ticket.story')}>
        <Story events={events} unitName={unitName} />
      </Card>
    </article>
  );
}

/** The auditor's start: find any ticket by reference or id; the most recent ones. */
function AuditIndex() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [missing, setMissing] = useState(false);
  const list = useQuery({ queryKey: ['tickets', 'audit'], queryFn: () => api<{ tickets: TicketView[] }>('/api/v1/tickets?limit=500') });
  const find = (q: string) => {
    const text = q.trim();
    const hit = (list.data?.tickets ?? []).find((tk) => tk.reference.toLowerCase() === text.toLowerCase() || tk.id === text.toLowerCase());
    if (hit) void navigate(`/audit/${hit.id}`);
    else if (/^[0-9a-f-]{36}$/i.test(text)) void navigate(`/audit/${text.toLowerCase()}`);
    else setMissing(true);
  };
  return (
    <section aria-labelledby="audit-index-heading">
      <Typography.Title level={2} id="audit-index-heading" style={{ marginTop: 0 }}>{t('audit.heading')}</Typography.Title>
      <Input.Search aria-label={t('audit.find')} placeholder={t('audit.find')} enterButton onSearch={find} style={{ maxWidth: 480 }} data-testid="audit-find" onChange={() => setMissing(false)} />
      {missing && <Alert type="warning" showIcon message={t('audit.notFound')} style={{ marginTop: 8, maxWidth: 480 }} />}
      <Typography.Title level={4}>{t('audit.recent')}</Typography.Title>
      <Table<TicketView> rowKey="id" size="small" loading={list.isLoading} dataSource={list.data?.tickets ?? []} columns={[
        { title: t('queue.reference'), render: (_v, tk) => <Link to={`/audit/${tk.id}`}>{tk.reference}</Link> },
        { title: t('queue.title'), dataIndex: 'title' },
        { title: t('queue.division'), dataIndex: 'divisionName' },
        { title: t('queue.status'), render: (_v, tk) => t(`server:status.${tk.status}`) },
        { title: t('ticket.revision', { revision: '' }).trim(), dataIndex: 'revision' },
      ]} />
    </section>
  );
}

/** The auditor view (/audit and /audit/:id). */
export default function AuditPage() {
  const { id } = useParams();
  return id ? <AuditTicket id={id} /> : <AuditIndex />;
}
