import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Badge, Button, ConfigProvider, Layout, Menu, Select, Space, Spin, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Link, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { chooseRole, signOut, type Me, type RoleGrant } from './auth';
import { useMe } from './hooks';
import { useUnits } from './reference';
import { useInbox } from './inbox';
import { chooseLanguage, currentLanguage, LANGUAGES, type Lang } from './i18n';
import { QueuePage } from './pages/Queue';

// Pages beyond the queue are their own chunks (the dashboard brings ECharts): the initial JavaScript stays small.
const SignInPage = lazy(() => import('./pages/SignIn'));
const TicketPage = lazy(() => import('./pages/Ticket'));
const DashboardPage = lazy(() => import('./pages/Dashboard'));
const AuditPage = lazy(() => import('./pages/Audit'));
const InboxPage = lazy(() => import('./pages/Inbox'));
const SubmitPage = lazy(() => import('./pages/Submit'));
const DirectoryPage = lazy(() => import('./pages/Directory'));

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: (count, err) => count < 2 && !(err instanceof Error && 'status' in err && Number((err as { status: number }).status) < 500), refetchOnWindowFocus: true } },
});

/** The roles that act on tickets (identity's ticket roles); any other token is a person token (403 role_required on ticket routes). */
const TICKET_ROLES = new Set(['admin', 'department', 'supervisor', 'auditor', 'information-officer', 'hotline']);

/**
 * The page a role lands on: the queue for admins and departments, the dashboard for supervisors, audit for
 * auditors, submit for information officers; a person without a ticket role (a directory-admin only, whose
 * token acts on no ticket) lands on the directory.
 */
function landingPath(grant: RoleGrant | undefined): string {
  if (grant?.role === 'supervisor') return '/dashboard';
  if (grant?.role === 'auditor') return '/audit';
  if (grant?.role === 'information-officer') return '/submit';
  if (!grant || !TICKET_ROLES.has(grant.role)) return '/directory';
  return '/queue';
}

function roleLabel(t: (k: string) => string, g: RoleGrant, unitName?: string): string {
  return `${t(`role.${g.role}`)} · ${g.unitName ?? unitName ?? g.unitId}`;
}

/** The bar above every page: the menu, the active role (a picker when the person holds several), language, sign out. */
function Shell({ me, children }: { me: Me; children: ReactNode }) {
  const { t } = useTranslation();
  const location = useLocation();
  const navigate = useNavigate();
  const role = me.active.role;
  const ticketRole = TICKET_ROLES.has(role);
  // The inbox is a ticket route: a person token (no ticket role) is refused there (403 role_required): do not ask.
  const inbox = useInbox(role === 'auditor' || !ticketRole ? undefined : me.id);
  // A token sign-in carries no unit names: the unit's name from the reference data.
  const units = useUnits(me.active.unitName ? undefined : me.active.unitId.replace(/^adm-|^dep-/, '').split('-')[0]);
  const activeUnitName = units.data?.units.find((u) => u.id === me.active.unitId)?.name;
  const items = [
    ...(ticketRole && role !== 'auditor' && role !== 'information-officer' ? [{ key: '/queue', label: <Link to="/queue">{t('nav.queue')}</Link> }] : []),
    ...(ticketRole && role !== 'auditor' ? [{ key: '/inbox', label: <Link to="/inbox">{t('nav.inbox')} <Badge count={inbox.unread} size="small" offset={[4, -4]} data-testid="nav-unread" /></Link> }] : []),
    ...(role === 'information-officer' || role === 'admin' ? [{ key: '/submit', label: <Link to="/submit">{t('nav.submit')}</Link> }] : []),
    ...(role === 'supervisor' || role === 'auditor' ? [{ key: '/dashboard', label: <Link to="/dashboard">{t('nav.dashboard')}</Link> }] : []),
    ...(role === 'auditor' ? [{ key: '/audit', label: <Link to="/audit">{t('nav.audit')}</Link> }] : []),
    ...(me.roles.some((g) => g.role === 'directory-admin') ? [{ key: '/directory', label: <Link to="/directory">{t('nav.directory')}</Link> }] : []),
  ];
  const selected = items.map((i) => i.key).filter((k) => location.pathname.startsWith(k));
  const roleKey = (g: RoleGrant) => `${g.role}@${g.unitId}`;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main">{t('app.skip')}</a>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 24, paddingInline: 24 }}>
        <Link to={landingPath(me.active)} style={{ color: '#fff', fontWeight: 600, fontSize: 18, whiteSpace: 'nowrap' }}>{t('app.name')}</Link>
        <Menu theme="dark" mode="horizontal" aria-label={t('nav.menu')} selectedKeys={selected} items={items} style={{ flex: 1, minWidth: 0 }} />
        <Space size="middle">
          {me.roles.length > 1 ? (
            <Select
              aria-label={t('nav.role')} data-testid="role-picker" style={{ minWidth: 220 }} value={roleKey(me.active)}
              options={me.roles.map((g) => ({ value: roleKey(g), label: roleLabel(t, g) }))}
              onChange={async (v) => {
                const g = me.roles.find((r) => roleKey(r) === v);
                if (g) { await chooseRole(g); queryClient.clear(); void navigate(landingPath(g)); }
              }}
            />
          ) : (
            <Typography.Text style={{ color: '#fff' }} data-testid="active-role">{roleLabel(t, me.active, activeUnitName)}</Typography.Text>
          )}
          <Select<Lang>
            aria-label={t('language.label')} data-testid="language" value={currentLanguage()} style={{ width: 110 }}
            options={LANGUAGES.map((l) => ({ value: l.code, label: <span lang={l.code}>{l.label}</span> }))}
            onChange={(lang) => chooseLanguage(lang)}
          />
          <Button onClick={async () => { await signOut(); queryClient.clear(); void navigate('/sign-in'); }} data-testid="sign-out">{t('nav.signOut')}</Button>
        </Space>
      </Layout.Header>
      <Layout.Content id="main" tabIndex={-1} style={{ padding: 24 }}>
        <Suspense fallback={<Spin aria-label={t('app.loading')} />}>{children}</Suspense>
      </Layout.Content>
    </Layout>
  );
}

/** A page that needs a session: without one, the sign-in page, then back here. */
function Guarded({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (!me) return <Navigate to={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  return <Shell me={me}>{children}</Shell>;
}

function Landing() {
  const me = useMe();
  return <Navigate to={me ? landingPath(me.active) : '/sign-in'} replace />;
}

function NotFound() {
  const { t } = useTranslation();
  return <Typography.Title level={3}>{t('app.notFound')}</Typography.Title>;
}

/** The console: antd in the user's language, TanStack Query, the routes under /console/. */
export function App() {
  const lang = currentLanguage();
  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} button={{ autoInsertSpace: false }} theme={{ token: { colorPrimary: '#0b57d0' } }}>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter basename="/console">
            <Routes>
              <Route path="/" element={<Landing />} />
              <Route path="/sign-in" element={<Suspense fallback={<Spin />}><SignInPage /></Suspense>} />
              <Route path="/queue" element={<Guarded><QueuePage /></Guarded>} />
              <Route path="/tickets/:id" element={<Guarded><TicketPage /></Guarded>} />
              <Route path="/dashboard" element={<Guarded><DashboardPage /></Guarded>} />
              <Route path="/audit" element={<Guarded><AuditPage /></Guarded>} />
              <Route path="/audit/:id" element={<Guarded><AuditPage /></Guarded>} />
              <Route path="/inbox" element={<Guarded><InboxPage /></Guarded>} />
              <Route path="/submit" element={<Guarded><SubmitPage /></Guarded>} />
              <Route path="/directory" element={<Guarded><DirectoryPage /></Guarded>} />
              <Route path="*" element={<Guarded><NotFound /></Guarded>} />
            </Routes>
          </BrowserRouter>
        </QueryClientProvider>
    </ConfigProvider>
  );
}
