import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Checkbox, Form, Input, Select, Space, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../api';
import { currentLanguage } from '../i18n';
import { PREFECTURE, useCatalogue, useDivisionChildren, type Division } from '../reference';

interface Values {
  service_code: string;
  county?: string;
  township?: string;
  village?: string;
  title: string;
  description: string;
  address?: string;
  name: string;
  phone?: string;
  consent: boolean;
}

/**
 * Submit on behalf (information officers, admins): the citizen app's report with the reporter's name,
 * phone and consent, and a place picked by cascade (county → township → village) or by searching a
 * name or its pinyin initials. One Idempotency-Key per report, kept across retries of the same report.
 */
export default function SubmitPage() {
  const { t } = useTranslation();
  const [form] = Form.useForm<Values>();
  const catalogue = useCatalogue();
  const county = Form.useWatch('county', form);
  const township = Form.useWatch('township', form);
  const counties = useDivisionChildren(PREFECTURE);
  const townships = useDivisionChildren(county);
  const villages = useDivisionChildren(township);
  const [q, setQ] = useState('');
  const search = useQuery({
    queryKey: ['divisions', 'search', q], enabled: q.trim().length > 0,
    queryFn: () => api<{ divisions: Division[] }>(`/api/v1/divisions?q=${encodeURIComponent(q.trim())}&limit=20`, { anonymous: true }),
  });
  const key = useRef<string>(crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string; id?: string } | undefined>();

  const pick = (d: Division) => {
    const chain = [...d.path.map((p) => p.code), d.code];
    form.setFieldsValue({ county: chain.find((c) => c.length === 6), township: chain.find((c) => c.length === 9), village: chain.find((c) => c.length === 12) });
  };

  const submit = async (v: Values) => {
    setBusy(true);
    setResult(undefined);
    try {
      const division = v.village ?? v.township ?? v.county ?? '';
      const res = await api<{ id: string; reference: string }>('/api/v1/tickets', {
        method: 'POST', headers: { 'idempotency-key': key.current },
        body: {
          service_code: v.service_code, division, title: v.title.trim(), description: v.description.trim(),
          ...(v.address?.trim() ? { address: v.address.trim() } : {}),
          onBehalfOf: { name: v.name.trim(), ...(v.phone?.trim() ? { contact: v.phone.trim() } : {}) },
        },
      });
      setResult({ ok: true, text: t('submit.sent', { reference: res.reference }), id: res.id });
      key.current = crypto.randomUUID();
      form.resetFields();
    } catch (err) {
      setResult({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  const options = (list: Division[] | undefined) => (list ?? []).map((d) => ({ value: d.code, label: d.name }));
  return (
    <section aria-labelledby="submit-heading" style={{ maxWidth: 720 }}>
      <Typography.Title level={2} id="submit-heading" style={{ marginTop: 0 }}>{t('submit.heading')}</Typography.Title>
      {result && (
        <Alert type={result.ok ? 'success' : 'error'} showIcon role="status" data-testid="submit-result" style={{ marginBottom: 16 }}
          message={result.ok && result.id ? <Link to={`/tickets/${result.id}`}>{result.text}</Link> : result.text} />
      )}
      <Form<Values> form={form} layout="vertical" onFinish={submit} data-testid="submit-form">
        <Form.Item name="service_code" label={t('submit.category')} rules={[{ required: true }]}>
          <Select showSearch optionFilterProp="label" options={(catalogue.data?.services ?? []).map((s) => ({ value: s.service_code, label: currentLanguage() === 'en' ? s.en : t(`server:category.${s.service_code}`) }))} />
        </Form.Item>
        <Form.Item label={t('submit.place')} required>
          <Select
            showSearch filterOption={false} onSearch={setQ} placeholder={t('submit.placeSearch')} aria-label={t('submit.placeSearch')} data-testid="place-search"
            notFoundContent={null} value={null}
            options={(search.data?.divisions ?? []).map((d) => ({ value: d.code, label: [...d.path.slice(1).map((p) => p.name), d.name].join(' › ') }))}
            onSelect={(code: string | null) => { const d = search.data?.divisions.find((x) => x.code === code); if (d) pick(d); }}
          />
          <Space wrap style={{ marginTop: 8 }}>
            <Form.Item name="county" noStyle rules={[{ required: true }]}>
              <Select aria-label={t('submit.county')} placeholder={t('submit.county')} style={{ width: 180 }} options={options(counties.data?.divisions)}
                onChange={() => form.setFieldsValue({ township: undefined, village: undefined })} />
            </Form.Item>
            <Form.Item name="township" noStyle>
              <Select aria-label={t('submit.township')} placeholder={t('submit.township')} style={{ width: 200 }} allowClear disabled={!county} options={options(townships.data?.divisions)}
                onChange={() => form.setFieldsValue({ village: undefined })} />
            </Form.Item>
            <Form.Item name="village" noStyle>
              <Select aria-label={t('submit.village')} placeholder={t('submit.village')} style={{ width: 220 }} allowClear disabled={!township} options={options(villages.data?.divisions)} />
            </Form.Item>
          </Space>
        </Form.Item>
        <Form.Item name="title" label={t('submit.title')} rules={[{ required: true, whitespace: true, max: 200 }]}><Input /></Form.Item>
        <Form.Item name="description" label={t('submit.description')} rules={[{ required: true, whitespace: true }]}><Input.TextArea rows={4} /></Form.Item>
        <Form.Item name="address" label={t('submit.address')}><Input /></Form.Item>
        <Form.Item name="name" label={t('submit.reporterName')} rules={[{ required: true, whitespace: true, max: 200 }]}><Input autoComplete="off" /></Form.Item>
        <Form.Item name="phone" label={t('submit.reporterPhone')} rules={[{ pattern: /^\+?[0-9][0-9 -]{4,19}$/ }]}><Input inputMode="tel" autoComplete="off" /></Form.Item>
        <Form.Item name="consent" valuePropName="checked" rules={[{ validator: (_r, v) => (v ? Promise.resolve() : Promise.reject(new Error(t('submit.consentRequired')))) }]}>
          <Checkbox>{t('submit.consent')}</Checkbox>
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>{t('submit.send')}</Button>
      </Form>
    </section>
  );
}
