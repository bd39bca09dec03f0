import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState, type HTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { signInMethods } from '../auth';
import { DivisionPicker, UnitPicker } from '../components/UnitPicker';
import { useMe } from '../hooks';
import { useDivision } from '../reference';

/**
 * A staff account as GET /api/v1/staff answers it: `{ staff: StaffAccount[] }` (identity's meView with the
 * single sign-on links; the gateway's response schema is `meSchema`). Roles carry identity's `roleId`
 * (for DELETE …/roles/{roleId}).
 */
interface StaffAccount {
  id: string;
  username: string;
  displayName: string;
  /** Home division code (the jurisdiction the account belongs to). */
  division: string;
  disabled: boolean;
  passwordChangeRequired?: boolean;
  roles?: { roleId: string; role: string; unitId: string; unitName?: string; division?: string }[];
  /** Linked single sign-on (OpenID Connect) identities. */
  oidc?: { issuer: string; subject: string }[];
}

/** A division's name from the reference data (cached a day), its code in the tooltip; the code until it loads. */
function DivisionName({ code }: { code: string }) {
  const division = useDivision(code);
  return <span title={code} data-testid="staff-division">{division.data?.name ?? code}</span>;
}

/** The roles identity grants (POST /api/v1/staff/{id}/roles). */
const ROLES = ['admin', 'department', 'supervisor', 'auditor', 'information-officer', 'hotline', 'directory-admin'];

/** The dialog open on the page: grant a role, rename, or link a single sign-on subject, for one account. */
type Dialog = { kind: 'grant' | 'rename' | 'oidc'; staff: StaffAccount };

/**
 * The staff directory (directory-admins): the accounts of the jurisdiction; create one (its one-time
 * password is shown once), rename it, reset its password (a new one-time password, shown once), disable
 * or enable it, grant a role at a unit picked county → township → unit, revoke one, link or unlink a
 * single sign-on subject. Identity enforces the jurisdiction (403 `outside_jurisdiction`); its refusals
 * are shown as they come.
 */
export default function DirectoryPage() {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | undefined>();
  const [dialog, setDialog] = useState<Dialog | undefined>();
  const [busy, setBusy] = useState(false);
  const [createForm] = Form.useForm<{ username: string; displayName: string; division: string }>();
  const [dialogForm] = Form.useForm<{ role?: string; unitId?: string; displayName?: string; subject?: string }>();
  const staff = useQuery({ queryKey: ['staff'], queryFn: () => api<{ staff: StaffAccount[] }>('/api/v1/staff?limit=500') });
  const methods = useQuery({ queryKey: ['auth-methods'], queryFn: signInMethods, staleTime: 3_600_000 });
  /** Runs one directory call; shows its refusal (or `ok`'s text), refreshes the list. @returns whether it succeeded. */
  const run = async (action: () => Promise<unknown>, ok?: (r: unknown) => string): Promise<boolean> => {
    setNotice(undefined);
    try {
      const r = await action();
      if (ok) setNotice({ ok: true, text: ok(r) });
      await client.invalidateQueries({ queryKey: ['staff'] });
      return true;
    } catch (err) {
      setNotice({ ok: false, text: err instanceof Error ? err.message : String(err) });
      return false;
    }
  };
  const home = me?.roles.find((r) => r.role === 'directory-admin')?.division ?? me?.active.division;
  // The dialog's form mounts afresh each time (destroyOnHidden), with the account's values.
  const open = (kind: Dialog['kind'], s: StaffAccount) => {
    setNotice(undefined);
    setDialog({ kind, staff: s });
  };
  const submitDialog = async () => {
    if (!dialog) return;
    // An invalid form shows its messages; nothing is sent.
    const v = await dialogForm.validateFields().catch(() => undefined);
    if (!v) return;
    const path = `/api/v1/staff/${dialog.staff.id}`;
    setBusy(true);
    const done = await run(() => {
      if (dialog.kind === 'grant') return api(`${path}/roles`, { method: 'POST', body: { role: v.role, unitId: v.unitId } });
      if (dialog.kind === 'rename') return api(path, { method: 'PATCH', body: { displayName: v.displayName?.trim() } });
      return api(`${path}/oidc`, { method: 'POST', body: { subject: v.subject?.trim() } });
    }, () => t('directory.saved'));
    setBusy(false);
    if (done) setDialog(undefined);
  };
  const title = dialog ? `${t(dialog.kind === 'grant' ? 'directory.grant' : dialog.kind === 'rename' ? 'directory.rename' : 'directory.oidcLink')} · ${dialog.staff.displayName}` : '';
  return (
    <section aria-labelledby="directory-heading">
      <Typography.Title level={2} id="directory-heading" style={{ marginTop: 0 }}>{t('directory.heading')}</Typography.Title>
      {notice && <Alert type={notice.ok ? 'success' : 'error'} showIcon role="status" message={notice.text} data-testid="directory-notice" style={{ marginBottom: 12 }} />}
      {staff.error && <Alert type="error" showIcon message={staff.error.message} style={{ marginBottom: 12 }} />}
      <Form form={createForm} layout="inline" name="create-staff" style={{ marginBottom: 16, rowGap: 8 }}
        onFinish={async (v: { username: string; displayName: string; division: string }) => {
          const created = await run(
            () => api<{ oneTimePassword: string }>('/api/v1/staff', { method: 'POST', body: v }),
            (r) => t('directory.created', { password: (r as { oneTimePassword: string }).oneTimePassword }),
          );
          if (created) createForm.resetFields(['username', 'displayName']);
        }}>
        <Form.Item name="username" label={t('directory.username')} rules={[{ required: true }]}><Input autoComplete="off" /></Form.Item>
        <Form.Item name="displayName" label={t('directory.displayName')} rules={[{ required: true }]}><Input autoComplete="off" /></Form.Item>
        {home && <Form.Item name="division" label={t('directory.division')} initialValue={home} rules={[{ required: true }]}><DivisionPicker root={home} /></Form.Item>}
        <Button type="primary" htmlType="submit">{t('directory.create')}</Button>
      </Form>
      <Table<StaffAccount> rowKey="id" size="small" loading={staff.isLoading} dataSource={staff.data?.staff ?? []} data-testid="directory"
        locale={{ emptyText: t('directory.empty') }} pagination={{ pageSize: 50, hideOnSinglePage: true }}
        onRow={(s) => ({ 'data-username': s.username } as HTMLAttributes<HTMLElement>)} columns={[
          { title: t('directory.username'), dataIndex: 'username' },
          { title: t('directory.displayName'), dataIndex: 'displayName', render: (_v, s) => <span data-testid="staff-name">{s.displayName}</span> },
          { title: t('directory.division'), dataIndex: 'division', render: (_v, s) => <DivisionName code={s.division} /> },
          { title: t('directory.roles'), render: (_v, s) => (
            <Space wrap>
              {(s.roles ?? []).map((r) => (
                <Tag key={r.roleId} data-testid="staff-role" closable closeIcon={<span aria-label={t('directory.revoke')}>×</span>}
                  onClose={(e) => { e.preventDefault(); void run(() => api(`/api/v1/staff/${s.id}/roles/${r.roleId}`, { method: 'DELETE' })); }}>
                  {t(`role.${r.role}`)} · {r.unitName ?? r.unitId}
                </Tag>
              ))}
              <Button size="small" data-testid="grant" onClick={() => open('grant', s)}>{t('directory.grant')}</Button>
            </Space>
          ) },
          { title: t('directory.oidc'), render: (_v, s) => (
            <Space wrap>
              {(s.oidc ?? []).map((o) => (
                <Space key={`${o.issuer} ${o.subject}`} size={4}>
                  <Tag data-testid="oidc-subject" title={o.issuer}>{o.subject}</Tag>
                  <Popconfirm title={t('directory.confirmUnlink')} onConfirm={() => run(() => api(`/api/v1/staff/${s.id}/oidc?issuer=${encodeURIComponent(o.issuer)}`, { method: 'DELETE' }), () => t('directory.saved'))}>
                    <Button size="small" data-testid="oidc-unlink">{t('directory.oidcUnlink')}</Button>
                  </Popconfirm>
                </Space>
              ))}
              {methods.data?.oidc && (s.oidc ?? []).length === 0 && <Button size="small" data-testid="oidc-link" onClick={() => open('oidc', s)}>{t('directory.oidcLink')}</Button>}
            </Space>
          ) },
          { title: t('directory.actions'), render: (_v, s) => (
            <Space wrap>
              <Button size="small" data-testid="rename" onClick={() => open('rename', s)}>{t('directory.rename')}</Button>
              {/* Not on one's own account: identity refuses both (409 own_account); another directory-admin does them. */}
              {s.id !== me?.id && (
                <Popconfirm title={t('directory.confirmReset')} onConfirm={() => run(
                  () => api<{ oneTimePassword: string }>(`/api/v1/staff/${s.id}/reset-password`, { method: 'POST', body: {} }),
                  (r) => t('directory.reset', { password: (r as { oneTimePassword: string }).oneTimePassword }),
                )}>
                  <Button size="small" data-testid="reset-password">{t('directory.resetPassword')}</Button>
                </Popconfirm>
              )}
              {s.disabled
                ? <><Tag color="red">{t('directory.disabled')}</Tag><Button size="small" onClick={() => run(() => api(`/api/v1/staff/${s.id}/enable`, { method: 'POST', body: {} }))}>{t('directory.enable')}</Button></>
                : s.id !== me?.id && <Popconfirm title={t('directory.confirmDisable')} onConfirm={() => run(() => api(`/api/v1/staff/${s.id}/disable`, { method: 'POST', body: {} }))}><Button size="small" danger data-testid="disable">{t('directory.disable')}</Button></Popconfirm>}
            </Space>
          ) },
        ]} />
      <Modal open={!!dialog} title={title} confirmLoading={busy} destroyOnHidden okText={t('app.submit')} cancelText={t('app.cancel')}
        onCancel={() => setDialog(undefined)} onOk={() => void submitDialog()}>
        <Form form={dialogForm} layout="vertical" name="directory-dialog" data-testid="directory-dialog" initialValues={dialog?.kind === 'rename' ? { displayName: dialog.staff.displayName } : {}}>
          {dialog?.kind === 'grant' && (
            <>
              <Form.Item name="role" label={t('directory.role')} rules={[{ required: true }]}>
                <Select options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))} />
              </Form.Item>
              <Form.Item name="unitId" label={t('directory.unit')} rules={[{ required: true }]}>
                <UnitPicker root={home ?? dialog.staff.division} />
              </Form.Item>
            </>
          )}
          {dialog?.kind === 'rename' && (
            <Form.Item name="displayName" label={t('directory.displayName')} rules={[{ required: true, whitespace: true, max: 100 }]}><Input autoComplete="off" /></Form.Item>
          )}
          {dialog?.kind === 'oidc' && (
            <Form.Item name="subject" label={t('directory.oidcSubject')} rules={[{ required: true, whitespace: true, max: 255 }]}><Input autoComplete="off" /></Form.Item>
          )}
        </Form>
      </Modal>
    </section>
  );
}
