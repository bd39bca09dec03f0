import { Alert, Button, Divider, Form, Input, Select, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { SINGLE_SIGN_ON_URL, changePassword, resumeSession, signIn, signInMethods, signInWithToken } from '../auth';
import { chooseLanguage, currentLanguage, LANGUAGES, type Lang } from '../i18n';

/** Where to go after signing in: the `next` parameter when it is a console path, else the landing page. */
function nextPath(params: URLSearchParams): string {
  const next = params.get('next') ?? '';
  return next.startsWith('/') && !next.startsWith('//') ? next.replace(/^\/console(?=\/|$)/, '') || '/' : '/';
}

/**
 * Sign-in: username and password with the standard autocomplete fields (password managers fill them).
 * A staff token in the fragment (`#token=<jwt>`, from `npm run token`) signs in directly where the
 * server has no password sign-in. Where single sign-on is configured, a button leads to the identity
 * provider; coming back (the refresh cookie set by the callback) resumes the session here.
 */
export default function SignInPage() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<string | undefined>(params.get('expired') ? t('signIn.expired') : undefined);
  const [busy, setBusy] = useState(false);
  // A first sign-in that must choose a password: the restricted token and the password just typed.
  const [change, setChange] = useState<{ token: string; username: string; current: string } | undefined>();

  // Single sign-on is offered when identity has it configured.
  const [oidc, setOidc] = useState(false);
  useEffect(() => {
    let live = true;
    void signInMethods().then((m) => { if (live) setOidc(m.oidc); });
    return () => { live = false; };
  }, []);

  // Back from single sign-on (the callback sends `?sso=1`): the refresh cookie alone resumes the session.
  useEffect(() => {
    if (!params.get('sso')) return;
    let live = true;
    void resumeSession().then((me) => {
      if (!live) return;
      if (me) void navigate(nextPath(params), { replace: true });
      else setError(t('signIn.ssoFailed'));
    });
    return () => { live = false; };
  }, [navigate, params, t]);

  useEffect(() => {
    const token = new URLSearchParams(location.hash.slice(1)).get('token');
    if (!token) return;
    history.replaceState(null, '', location.pathname + location.search);
    try {
      signInWithToken(token);
      void navigate(nextPath(params), { replace: true });
    } catch (err) {
      setError(String(err));
    }
  }, [navigate, params]);

  const submit = async (values: { username: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await signIn(values.username, values.password);
      if (result.ok) void navigate(nextPath(params), { replace: true });
      else if (result.reason === 'password_change_required') setChange({ token: result.token, username: values.username, current: values.password });
      else setError(t(result.reason === 'invalid_credentials' ? 'signIn.failed' : result.reason === 'unavailable' ? 'signIn.unavailable' : 'app.error', { detail: 'message' in result ? result.message ?? '' : '' }));
    } catch (err) {
      setError(t('app.error', { detail: err instanceof Error ? err.message : String(err) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <div style={{ width: 380, background: '#fff', padding: 32, borderRadius: 8, boxShadow: '0 1px 4px rgba(0,0,0,.12)' }}>
        <Typography.Title level={2} style={{ marginTop: 0 }}>{t('app.name')}</Typography.Title>
        <Typography.Title level={4}>{t('signIn.heading')}</Typography.Title>
        {error && <Alert type="error" message={error} role="alert" style={{ marginBottom: 16 }} data-testid="sign-in-error" />}
        {change ? (
          <Form layout="vertical" requiredMark={false} name="new-password" onFinish={async (v: { next: string }) => {
            setBusy(true);
            setError(undefined);
            const problem = await changePassword(change.token, change.current, v.next);
            setBusy(false);
            if (problem) { setError(problem); return; }
            setChange(undefined);
            await submit({ username: change.username, password: v.next });
          }}>
            <Typography.Title level={5}>{t('signIn.changeHeading')}</Typography.Title>
            <Typography.Paragraph type="secondary">{t('signIn.changeHint')}</Typography.Paragraph>
            <input type="text" name="username" autoComplete="username" value={change.username} readOnly hidden />
            <Form.Item label={t('signIn.newPassword')} name="next" rules={[{ required: true, min: 10 }]}>
              <Input.Password autoComplete="new-password" name="new-password" autoFocus />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>{t('signIn.changeSubmit')}</Button>
          </Form>
        ) : (
        <Form layout="vertical" onFinish={submit} requiredMark={false} name="sign-in" method="post">
          <Form.Item label={t('signIn.username')} name="username" rules={[{ required: true }]}>
            <Input autoComplete="username" name="username" autoFocus />
          </Form.Item>
          <Form.Item label={t('signIn.password')} name="password" rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" name="password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>{t('signIn.submit')}</Button>
          {oidc && (
            <>
              <Divider plain>{t('signIn.or')}</Divider>
              <Button block href={SINGLE_SIGN_ON_URL} data-testid="sso">{t('signIn.sso')}</Button>
            </>
          )}
        </Form>
        )}
        <div style={{ marginTop: 16, textAlign: 'right' }}>
          <Select<Lang>
            aria-label={t('language.label')} value={currentLanguage()} style={{ width: 120 }}
            options={LANGUAGES.map((l) => ({ value: l.code, label: <span lang={l.code}>{l.label}</span> }))}
            onChange={(lang) => chooseLanguage(lang)}
          />
        </div>
      </div>
    </main>
  );
}
