import { request } from '../api';
import type { InboxMessage } from '../app';
import type { OutboxItem, SentReport } from '../db';
import { type Loaded, useLoad } from '../hooks';
import { formatDate, t } from '../i18n';
import { discard, pending, sentReports } from '../outbox';
import { type TicketView, statusTone, statusWords } from '../views';

interface Mine {
  waiting: OutboxItem[];
  tickets: TicketView[];
  /** Reports the phone remembers that the list did not bring (offline, or the read side catching up). */
  local: SentReport[];
}

async function loadMine(): Promise<Mine> {
  const [waiting, local] = await Promise.all([pending(), sentReports()]);
  let tickets: TicketView[] = [];
  try {
    tickets = (await request<{ tickets: TicketView[] }>('GET', '/tickets?limit=100')).tickets;
  } catch {
    // Offline: what the phone remembers.
  }
  const known = new Set(tickets.map((v) => v.id));
  return { waiting, tickets, local: local.filter((r) => !known.has(r.id)) };
}

/** My reports: those waiting on the phone, then the platform's list with the status in plain words. */
export function MineScreen({ unseen, onSeen, refresh }: { unseen: InboxMessage[]; onSeen: () => void; refresh: number }) {
  const [mine, reload] = useLoad(loadMine, [refresh]);
  const newFor = (id: string) => unseen.filter((m) => m.ticketId === id).length;
  return (
    <section class="screen mine">
      <h1>{t('mine.heading')}</h1>
      {unseen.length > 0 && (
        <p class="notice ok" role="status">
          {t('mine.newReplies', { count: unseen.length })}
          <button type="button" class="link" onClick={onSeen}>{t('app.close')}</button>
        </p>
      )}
      <MineList mine={mine} newFor={newFor} onDiscard={async (key) => { await discard(key); reload(); }} />
    </section>
  );
}

function MineList({ mine, newFor, onDiscard }: { mine: Loaded<Mine>; newFor: (id: string) => number; onDiscard: (key: string) => void }) {
  if (mine.state === 'loading') return <p>{t('app.loading')}</p>;
  if (mine.state === 'error') return <p class="notice error">{t('app.error', { detail: String(mine.error) })}</p>;
  const { waiting, tickets, local } = mine.value;
  if (waiting.length + tickets.length + local.length === 0) return <p>{t('mine.empty')}</p>;
  return (
    <>
      {waiting.length > 0 && <h2>{t('mine.waiting', { count: waiting.length })}</h2>}
      <ul class="cards" role="list">
        {waiting.map((w) => (
          <li key={w.key} class="card waiting" data-testid="waiting">
            <strong>{w.body.title}</strong>
            <p class="status">{w.failed ? t('mine.failedItem', { detail: w.failed.detail }) : t('mine.waitingItem')}</p>
            {w.failed && <button type="button" class="link" onClick={() => onDiscard(w.key)}>{t('mine.discard')}</button>}
          </li>
        ))}
        {tickets.map((v) => (
          <li key={v.id} class={`card ${statusTone(v.status)}`} data-testid="ticket">
            <a href={`#/t/${encodeURIComponent(v.id)}`}>
              <strong>{v.title}</strong>
              {newFor(v.id) > 0 && <span class="badge">{newFor(v.id)}</span>}
              <p class="status" data-status={v.status}>{statusWords(v)}</p>
              <p class="meta">{t('mine.reference', { reference: v.reference })} · {t('mine.submittedAt', { date: formatDate(v.submittedAt) })}</p>
            </a>
          </li>
        ))}
        {local.map((r) => (
          <li key={r.id} class="card progress">
            <a href={`#/t/${encodeURIComponent(r.id)}`}>
              <strong>{r.title}</strong>
              <p class="meta">{t('mine.reference', { reference: r.reference })} · {t('mine.submittedAt', { date: formatDate(r.submittedAt) })}</p>
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}
