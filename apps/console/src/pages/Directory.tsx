import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { useState, type HTMLAttributes } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useMe } from '../hooks';

/**
 * A staff account as GET /api/v1/staff answers it: `{ staff: StaffAccount[] }` (identity's meView; the
 * gateway's response schema is `meSchema`). Roles carry identity's `roleId` (for DELETE …/roles/{roleId}).
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
}

/** The roles identity grants (POST /api/v1/staff/{id}/roles). */
const ROLES = ['admin', 'department', 'supervisor', 'auditor', 'information-officer', 'hotline', 'directory-admin'];

/**
 * The staff directory (directory-admins): the accounts of the jurisdiction; create one (its one-time
 * password is shown once), disable or enable it, grant a role at a unit, revoke one. Identity enforces
 * the jurisdiction (403 `outside_jurisdiction`); its refusals are shown as they come.
 */
export default function DirectoryPage() {
  const { t } = useTranslation();
  const me = useMe();
  const client = useQueryClient();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | undefined>();
  const [createForm] = Form.useForm<{ username: string; displayName: string; division: string }>();
  const staff = useQuery({ queryKey: ['staff'], queryFn: () => api<{ staff: StaffAccount[] }>('/api/v1/staff?limit=500') });
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
  return (
    <section aria-labelledby="directory-heading">
      <Typography.Title level={2} id="directory-heading" style={{ marginTop: 0 }}>{t('directory.heading')}</Typography.Title>
      {notice && <Alert type={notice.ok ? 'success' : 'error'} showIcon role="status" message={notice.text} data-testid="directory-notice" style={{ marginBottom: 12 }} />}
      {staff.error && <Alert type="error" showIcon message={staff.error.message} style={{ marginBottom: 12 }} />}
      <Form form={createForm} layout="inline" name="create-staff" initialValues={{ division: home }} style={{ marginBottom: 16, rowGap: 8 }}
        onFinish={async (v: { username: string; displayName: string; division: string }) => {
          const created = await run(
            () => api<{ oneTimePassword: string }>('/api/v1/staff', { method: 'POST', body: v }),
            (r) => t('directory.created', { password: (r as { oneTimePassword: string }).oneTimePassword }),
          );
          if (created) createForm.resetFields(['username', 'displayName']);
        }}>
        <Form.Item name="username" label={t('directory.username')} rules={[{ required: true }]}><Input autoComplete="off" /></Form.Item>
        <Form.Item name="displayName" label={t('directory.displayName')} rules={[{ required: true }]}><Input autoComplete="off" /></Form.Item>
        <Form.Item name="division" label={t('directory.division')} rules={[{ required: true, pattern: /^[0-9]{4,12}$/ }]}><Input style={{ width: 140 }} /></Form.Item>
        <Button type="primary" htmlType="submit">{t('directory.create')}</Button>
      </Form>
      <Table<StaffAccount> rowKey="id" size="small" loading={staff.isLoading} dataSource={staff.data?.staff ?? []} data-testid="directory"
        locale={{ emptyText: t('directory.empty') }} pagination={{ pageSize: 50, hideOnSinglePage: true }}
        onRow={(s) => ({ 'data-username': s.username } as HTMLAttributes<HTMLElement>)} columns={[
          { title: t('directory.username'), dataIndex: 'username' },
          { title: t('directory.displayName'), dataIndex: 'displayName' },
          { title: t('directory.division'), dataIndex: 'division' },
          { title: t('directory.roles'), render: (_v, s) => (
            <Space wrap>
              {(s.roles ?? []).map((r) => (
                <Tag key={r.roleId} data-testid="staff-role" closable closeIcon={<span aria-label={t('directory.revoke')}>×</span>}
                  onClose={(e) => { e.preventDefault(); void run(() => api(`/api/v1/staff/${s.id}/roles/${r.roleId}`, { method: 'DELETE' })); }}>
                  {t(`role.${r.role}`)} · {r.unitName ?? r.unitId}
                </Tag>
              ))}
              <Form layout="inline" size="small" name={`grant-${s.username}`}
                onFinish={(v: { role: string; unitId: string }) => run(() => api(`/api/v1/staff/${s.id}/roles`, { method: 'POST', body: v }))}>
                <Form.Item name="role" rules={[{ required: true }]}><Select aria-label={t('directory.grant')} placeholder={t('directory.grant')} style={{ width: 150 }} options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))} /></Form.Item>
                <Form.Item name="unitId" rules={[{ required: true }]}><Input aria-label={t('directory.unit')} placeholder="adm-513437100" style={{ width: 150 }} /></Form.Item>
                <Button htmlType="submit" size="small">{t('directory.grantSubmit')}</Button>
              </Form>
            </Space>
          ) },
          { title: '', render: (_v, s) => (s.disabled
            ? <Space><Tag color="red">{t('directory.disabled')}</Tag><Button size="small" onClick={() => run(() => api(`/api/v1/staff/${s.id}/enable`, { method: 'POST', body: {} }))}>{t('directory.enable')}</Button></Space>
            : <Popconfirm title={t('directory.confirmDisable')} onConfirm={() => run(() => api(`/api/v1/staff/${s.id}/disable`, { method: 'POST', body: {} }))}><Button size="small" danger>{t('directory.disable')}</Button></Popconfirm>) },
        ]} />
    </section>
  );
}
