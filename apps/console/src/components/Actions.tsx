import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Modal, Select, Space, Switch, Tooltip, Typography, message } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { currentLanguage, formatInstant } from '../i18n';
import { useCatalogue, useUnits, countyOf } from '../reference';
import type { HistoryEntry, TicketView } from '../types';
import { storyLine, type UnitName } from './Story';
import { UnitPicker } from './UnitPicker';

/** What the server says the caller may do (GET /api/v1/tickets/{id} → actions, staff only). */
export interface PermittedAction {
  command: string;
  allowed: boolean;
  reason?: string;
}

/** Reasons of the permission table (the role may not): such actions are left out, except for auditors. */
const PERMISSION_REASONS = new Set(['not_holder', 'role_not_allowed', 'outside_jurisdiction', 'not_reporter', 'read_only_role']);

type Field = 'message' | 'public' | 'text' | 'question' | 'department' | 'reason' | 'optionalReason' | 'findings' | 'dueAt' | 'resolution' | 'verifyMethod' | 'note' | 'of' | 'into' | 'unit' | 'staff'
  | 'reasonCode' | 'legalBasis' | 'approve' | 'reviewUnit' | 'reached' | 'channel' | 'rating' | 'comment';

/** The reason codes of a return (退单), the callback channels and the five national rating levels, as the API takes them. */
const RETURN_REASONS = ['wrong_place', 'unclear_ownership', 'overlapping_duties', 'other'];
const CALLBACK_CHANNELS = ['phone', 'sms', 'app', 'visit'];
const RATING_LEVELS = ['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'];

/** Each command's button: catalogue key, route (POST /api/v1/tickets/{id}/<path>) and form fields. */
const ACTIONS: Record<string, { key: string; path: string; fields: Field[] }> = {
  AcceptTicket: { key: 'accept', path: 'accept', fields: [] },
  ReplyToTicket: { key: 'reply', path: 'reply', fields: ['message', 'public'] },
  AddInternalNote: { key: 'note', path: 'notes', fields: ['text'] },
  RequestInformation: { key: 'requestInformation', path: 'request-information', fields: ['question'] },
  TransferTicket: { key: 'transfer', path: 'transfer', fields: ['department', 'reason'] },
  HandBackTicket: { key: 'handback', path: 'handback', fields: ['findings'] },
  SetResolutionDeadline: { key: 'deadline', path: 'deadline', fields: ['dueAt', 'reason'] },
  ResolveTicket: { key: 'resolve', path: 'resolve', fields: ['resolution'] },
  VerifyResolution: { key: 'verify', path: 'verify', fields: ['verifyMethod', 'note'] },
  CloseTicket: { key: 'close', path: 'close', fields: ['optionalReason'] },
  RejectTicket: { key: 'reject', path: 'reject', fields: ['reason'] },
  MarkDuplicate: { key: 'duplicate', path: 'duplicate', fields: ['of'] },
  // 并单: `into` is the lead's reference or id (the gateway looks a reference up).
  MergeTicket: { key: 'merge', path: 'merge', fields: ['into'] },
  ReassignTicket: { key: 'reassign', path: 'reassign', fields: ['unit', 'staff', 'reason'] },
  EscalateTicket: { key: 'escalate', path: 'escalate', fields: ['reason'] },
  ReturnTicket: { key: 'return', path: 'return', fields: ['reasonCode', 'optionalReason', 'legalBasis'] },
  ReviewReturn: { key: 'reviewReturn', path: 'return-review', fields: ['approve', 'reviewUnit', 'optionalReason'] },
  RecordCallback: { key: 'callback', path: 'callback', fields: ['reached', 'channel', 'rating', 'comment'] },
};

/** A local date-time (the form's Asia/Shanghai wall time, `YYYY-MM-DDTHH:mm`) as an ISO instant with +08:00. */
function shanghaiInput(local: string): string {
  return `${local}:00+08:00`;
}

/** The request body of an action from the form's values. */
function bodyOf(fields: Field[], v: Record<string, unknown>): Record<string, unknown> | undefined {
  if (fields.length === 0) return undefined;
  const b: Record<string, unknown> = {};
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k]).trim() : '');
  for (const f of fields) {
    if (f === 'public') b['public'] = v['public'] !== false;
    else if (f === 'dueAt') b['dueAt'] = shanghaiInput(s('dueAt'));
    else if (f === 'verifyMethod') b['method'] = v['verifyMethod'];
    else if (f === 'optionalReason') { if (s('optionalReason')) b['reason'] = s('optionalReason'); }
    else if (f === 'staff') { if (s('staff')) b['staff'] = s('staff'); }
    else if (f === 'reasonCode' || f === 'channel') b[f] = v[f];
    else if (f === 'legalBasis' || f === 'comment') { if (s(f)) b[f] = s(f); }
    else if (f === 'approve' || f === 'reached') b[f] = v[f] !== false;
    else if (f === 'reviewUnit') { if (v['approve'] !== false && s('reviewUnit')) b['unit'] = s('reviewUnit'); }
    else if (f === 'rating') { if (v['reached'] !== false && v['rating']) b['rating'] = v['rating']; }
    else b[f] = s(f);
  }
  return b;
}

/**
 * The action buttons: every action the caller's role has on this ticket, enabled only where the server's
 * permission table allows it (the reason on hover otherwise), each with its form. A 409/412 answer
 * shows what changed since the page was loaded, with a reload.
 */
export function Actions({ view, actions, unitName, role }: { view: TicketView; actions: PermittedAction[]; unitName: UnitName; role: string }) {
  const { t } = useTranslation();
  const client = useQueryClient();
  const [open, setOpen] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [conflict, setConflict] = useState<HistoryEntry[] | undefined>();
  const [form] = Form.useForm<Record<string, unknown>>();
  const catalogue = useCatalogue();
  const county = countyOf(view.division);
  const units = useUnits(role === 'supervisor' ? county : undefined);
  const shown = actions.filter((a) => a.allowed || role === 'auditor' || !PERMISSION_REASONS.has(a.reason ?? ''));
  const reasonText = (a: PermittedAction) => (a.reason === 'read_only_role' ? t('ticket.disabledAuditor') : !PERMISSION_REASONS.has(a.reason ?? '') ? t('ticket.disabledStatus') : t('ticket.disabledNotAllowed'));

  const run = async (command: string) => {
    const spec = ACTIONS[command];
    if (!spec) return;
    const values = spec.fields.length ? await form.validateFields() : {};
    setBusy(true);
    setError(undefined);
    try {
      await api(`/api/v1/tickets/${view.id}/${spec.path}`, { method: 'POST', ifMatch: view.revision, body: bodyOf(spec.fields, values) ?? {} });
      void message.success(t('ticket.done', { action: t(`action.${spec.key}`) }));
      setOpen(undefined);
      form.resetFields();
      await client.invalidateQueries({ queryKey: ['ticket', view.id] });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 409 || err.status === 412)) {
        const history = await api<{ events: HistoryEntry[] }>(`/api/v1/tickets/${view.id}/history`).catch(() => ({ events: [] as HistoryEntry[] }));
        setConflict(history.events.filter((e) => e.revision > view.revision));
        setOpen(undefined);
      } else {
        setError(err instanceof Error ? err.message : String(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const spec = open ? ACTIONS[open] : undefined;
  return (
    <section aria-labelledby="actions-heading" data-testid="actions">
      <Typography.Title level={4} id="actions-heading">{t('ticket.actions')}</Typography.Title>
      {conflict && (
        <Alert
          type="warning" showIcon role="alert" data-testid="conflict" style={{ marginBottom: 12 }}
          message={t('conflict.title')}
          description={(
            <div>
              <div>{t('conflict.changes')}</div>
              <ul>{conflict.map((e) => <li key={e.eventId}>{formatInstant(e.occurredAt)} {storyLine(t, e, unitName)}</li>)}</ul>
              <Button onClick={async () => { setConflict(undefined); await client.invalidateQueries({ queryKey: ['ticket', view.id] }); }}>{t('ticket.conflictReload')}</Button>
            </div>
          )}
        />
      )}
      {shown.length === 0 && <Typography.Text type="secondary">{t('ticket.noActions')}</Typography.Text>}
      <Space wrap>
        {shown.map((a) => {
          // A department's accept is its sign-for (签收) of a transfer.
          const key = a.command === 'AcceptTicket' && role === 'department' ? 'signFor' : ACTIONS[a.command]?.key ?? a.command;
          const button = (
            <Button
              key={a.command} data-action={a.command} disabled={!a.allowed} type={a.command === 'AcceptTicket' ? 'primary' : 'default'}
              onClick={() => { setError(undefined); if (ACTIONS[a.command]?.fields.length) setOpen(a.command); else void run(a.command); }}
              aria-describedby={a.allowed ? undefined : `why-${a.command}`}
            >
              {t(`action.${key}`)}
            </Button>
          );
          return a.allowed ? button : (
            <Tooltip key={a.command} title={reasonText(a)}>
              <span>{button}<span id={`why-${a.command}`} className="sr-only">{reasonText(a)}</span></span>
            </Tooltip>
          );
        })}
      </Space>
      {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginTop: 12 }} data-testid="action-error" />}
      <Modal
        open={!!spec} title={spec ? t(`action.${spec.key}`) : ''} confirmLoading={busy} destroyOnHidden
        okText={t('app.submit')} cancelText={t('app.cancel')} onCancel={() => setOpen(undefined)} onOk={() => open && run(open)}
      >
        {error && <Alert type="error" showIcon role="alert" message={error} style={{ marginBottom: 12 }} />}
        <Form form={form} layout="vertical" initialValues={{ public: true, verifyMethod: 'call', approve: true, reached: true, channel: 'phone' }} data-testid="action-form">
          {spec?.fields.map((f) => {
            switch (f) {
              case 'public': return <Form.Item key={f} name="public" label={t('field.public')} valuePropName="checked"><Switch /></Form.Item>;
              case 'department': return (
                <Form.Item key={f} name="department" label={t('field.department')} rules={[{ required: true }]}>
                  <Select showSearch optionFilterProp="label" options={(catalogue.data?.departmentTypes ?? []).map((d) => ({ value: d.code, label: currentLanguage() === 'en' ? d.en : d.zh }))} />
                </Form.Item>
              );
              case 'verifyMethod': return (
                <Form.Item key={f} name="verifyMethod" label={t('field.verifyMethod')} rules={[{ required: true }]}>
                  <Select options={['visit', 'call', 'unannounced-visit'].map((m) => ({ value: m, label: t(`method.${m}`) }))} />
                </Form.Item>
              );
              case 'unit': return (
                <Form.Item key={f} name="unit" label={t('field.unit')} rules={[{ required: true }]}>
                  <Select showSearch optionFilterProp="label" options={(units.data?.units ?? []).map((u) => ({ value: u.id, label: u.name }))} />
                </Form.Item>
              );
              case 'dueAt': return (
                <Form.Item key={f} name="dueAt" label={t('field.dueAt')} rules={[{ required: true }]} extra={view.resolutionDueAt ? t('clock.due', { date: formatInstant(view.resolutionDueAt) }) : undefined}>
                  <Input type="datetime-local" />
                </Form.Item>
              );
              case 'staff': return <Form.Item key={f} name="staff" label={t('field.staff')}><Input /></Form.Item>;
              case 'reasonCode': return (
                <Form.Item key={f} name="reasonCode" label={t('field.reasonCode')} rules={[{ required: true }]}>
                  <Select options={RETURN_REASONS.map((r) => ({ value: r, label: t(`returnReason.${r}`) }))} />
                </Form.Item>
              );
              case 'legalBasis': return <Form.Item key={f} name="legalBasis" label={t('field.legalBasis')}><Input /></Form.Item>;
              case 'approve': case 'reached': return <Form.Item key={f} name={f} label={t(`field.${f}`)} valuePropName="checked"><Switch /></Form.Item>;
              case 'reviewUnit': return (
                <Form.Item key={f} noStyle shouldUpdate={(a: Record<string, unknown>, b: Record<string, unknown>) => a['approve'] !== b['approve']}>
                  {({ getFieldValue }) => (getFieldValue('approve') === false ? null : (
                    <Form.Item name="reviewUnit" label={t('field.reviewUnit')} rules={[{ required: true }]}>
                      <UnitPicker root={county ?? view.division.slice(0, 4)} />
                    </Form.Item>
                  ))}
                </Form.Item>
              );
              case 'channel': return (
                <Form.Item key={f} name="channel" label={t('field.channel')} rules={[{ required: true }]}>
                  <Select options={CALLBACK_CHANNELS.map((c) => ({ value: c, label: t(`callbackChannel.${c}`) }))} />
                </Form.Item>
              );
              case 'rating': return (
                <Form.Item key={f} noStyle shouldUpdate={(a: Record<string, unknown>, b: Record<string, unknown>) => a['reached'] !== b['reached']}>
                  {({ getFieldValue }) => (getFieldValue('reached') === false ? null : (
                    <Form.Item name="rating" label={t('field.rating')} rules={[{ required: true }]}>
                      <Select options={RATING_LEVELS.map((l) => ({ value: l, label: t(`ratingLevel.${l}`) }))} />
                    </Form.Item>
                  ))}
                </Form.Item>
              );
              case 'comment': return <Form.Item key={f} name="comment" label={t('field.comment')}><Input.TextArea rows={2} /></Form.Item>;
              case 'of': case 'into': return <Form.Item key={f} name={f} label={t(`field.${f}`)} rules={[{ required: true, whitespace: true }]}><Input placeholder="LS-2026-000123" /></Form.Item>;
              case 'optionalReason': return <Form.Item key={f} name="optionalReason" label={t('field.reason')}><Input.TextArea rows={2} /></Form.Item>;
              default: return (
                <Form.Item key={f} name={f} label={t(`field.${f}`)} rules={[{ required: true, whitespace: true }]}>
                  <Input.TextArea rows={3} />
                </Form.Item>
              );
            }
          })}
        </Form>
      </Modal>
    </section>
  );
}
