import { useEffect, useState } from 'preact/hooks';
import { request } from './api';
import { useOnline, useRoute } from './hooks';
import { LANGUAGES, chooseLanguage, currentLanguage, t } from './i18n';
import { flushOutbox } from './outbox';
import { MineScreen } from './screens/mine';
import { ReportScreen } from './screens/report';
import { TicketScreen } from './screens/ticket';

/** A message of GET /api/v1/inbox. */
export interface InboxMessage {
  id: string;
  ticketId: string;
  kind: string;
  title: string;
  body: string;
  createdAt: string;
  /** Whether this phone has read it (the server keeps it: POST /api/v1/inbox/read). */
  read?: boolean;
}

/** The app shell: header with the language switch, offline notice, navigation and the current screen. */
export function App({ presetDivision }: { presetDivision?: string | undefined }) {
  const route = useRoute();
  const online = useOnline();
  const [messages, setMessages] = useState<InboxMessage[]>([]);
  const [flushes, setFlushes] = useState(0);

  // Reports kept on the phone go out on open and whenever the signal returns; new replies are shown on open.
  useEffect(() => {
    if (!online) return;
    flushOutbox().then((r) => r.sent.length > 0 && setFlushes((n) => n + 1), () => undefined);
    request<{ messages: InboxMessage[] }>('GET', '/inbox?limit=50').then((r) => setMessages(r.messages), () => undefined);
  }, [online]);

  const unseen = messages.filter((m) => m.read === false);
  // Read on the server (the same after a reinstall of the browser's storage), shown read at once; if the
  // signal drops meanwhile, they show as new again on the next open.
  const markSeen = () => {
    const newest = messages[0];
    if (!newest) return;
    setMessages(messages.map((m) => ({ ...m, read: true })));
    request('POST', '/inbox/read', { upTo: newest.id }).catch(() => undefined);
  };

  const ticketId = route.startsWith('/t/') ? decodeURIComponent(route.slice(3)) : undefined;
  const screen = ticketId
    ? <TicketScreen id={ticketId} />
    : route === '/mine'
      ? <MineScreen unseen={unseen} onSeen={markSeen} refresh={flushes} />
      : <ReportScreen presetDivision={presetDivision} />;

  return (
    <div class="shell">
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">通</span>
          <span>{t('app.name')}</span>
        </div>
        <nav class="languages" aria-label={t('language.label')}>
          {LANGUAGES.map((l) => (
            <button
              type="button"
              key={l.code}
              lang={l.code}
              class={l.code === currentLanguage() ? 'lang current' : 'lang'}
              aria-pressed={l.code === currentLanguage()}
              onClick={() => l.code !== currentLanguage() && chooseLanguage(l.code)}
            >
              {l.label}
            </button>
          ))}
        </nav>
      </header>
      {!online && <p class="notice offline" role="status">{t('app.offline')}</p>}
      <nav class="tabs">
        <a href="#/" aria-current={!ticketId && route !== '/mine' ? 'page' : undefined}>{t('nav.report')}</a>
        <a href="#/mine" aria-current={route === '/mine' ? 'page' : undefined}>
          {t('nav.mine')}
          {unseen.length > 0 && <span class="badge" aria-label={t('mine.newReplies', { count: unseen.length })}>{unseen.length}</span>}
        </a>
      </nav>
      <main>{screen}</main>
    </div>
  );
}
