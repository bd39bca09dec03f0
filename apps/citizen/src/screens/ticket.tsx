import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, newIdempotencyKey, objectUrl, request } from '../api';
import { ICONS } from '../categories';
import { useLoad } from '../hooks';
import { Icon } from '../icon';
import { formatDate, t } from '../i18n';
import { compressPhoto } from '../photos';
import { type HistoryEntry, RATING_LEVELS, type RatingLevel, type TicketView, levelOfRating, scoreOfLevel, statusTone, statusWords } from '../views';

const OPEN = ['submitted', 'routed', 'in_progress', 'awaiting_information'];

async function loadTicket(id: string): Promise<{ view: TicketView; history: HistoryEntry[] }> {
  const path = `/tickets/${encodeURIComponent(id)}`;
  const [view, history] = await Promise.all([
    request<TicketView>('GET', path),
    request<{ events: HistoryEntry[] }>('GET', `${path}/history`),
  ]);
  return { view, history: history.events };
}

/** One report: status in plain words, due dates, photos, replies and progress, and what the citizen can do now. */
export function TicketScreen({ id }: { id: string }) {
  const [loaded, reload] = useLoad(() => loadTicket(id), [id]);
  if (loaded.state === 'loading') return <p class="screen">{t('app.loading')}</p>;
  if (loaded.state === 'error') {
    return (
      <section class="screen">
        <p class="notice error" role="alert">{t('app.error', { detail: loaded.error instanceof Error ? loaded.error.message : t('problem.network') })}</p>
        <button type="button" class="secondary" onClick={reload}>{t('app.retry')}</button>
      </section>
    );
  }
  const { view, history } = loaded.value;
  return (
    <section class="screen ticket">
      <p><a href="#/mine">← {t('app.back')}</a></p>
      <h1>{view.title}</h1>
      <p class={`status-line ${statusTone(view.status)}`} data-status={view.status}>{statusWords(view)}</p>
      <p class="meta">{t('mine.reference', { reference: view.reference })} · {view.divisionName}</p>
      {OPEN.includes(view.status) && view.resolutionDueAt && <p class="meta">{t('ticket.resolutionDue', { date: formatDate(view.resolutionDueAt) })}</p>}
      <p class="description">{view.description}</p>
      <Photos view={view} />
      <Actions view={view} onDone={reload} />
      <h2>{t('ticket.replies')}</h2>
      <Timeline history={history} />
    </section>
  );
}

function Photos({ view }: { view: TicketView }) {
  const [urls, setUrls] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    const made: string[] = [];
    void Promise.all((view.attachments ?? []).map((a) => objectUrl(a.url).then((u) => { made.push(u); return u; }).catch(() => ''))).then((all) => live && setUrls(all.filter(Boolean)));
    return () => {
      live = false;
      made.forEach((u) => URL.revokeObjectURL(u));
    };
  }, [view.id, view.attachments?.length]);
  if (urls.length === 0) return null;
  return (
    <div class="photos" aria-label={t('ticket.photos')}>
      {urls.map((u) => <figure key={u}><img src={u} alt={t('ticket.photos')} /></figure>)}
    </div>
  );
}

function Timeline({ history }: { history: HistoryEntry[] }) {
  const shown = history.filter((e) => t(`ticket.event.${e.type}`) !== `ticket.event.${e.type}`);
  if (shown.length <= 1) return <p>{t('ticket.noReplies')}</p>;
  return (
    <ol class="timeline">
      {[...shown].reverse().map((e) => {
        const unit = e.actor?.unitName ?? '';
        const data = e.data;
        return (
          <li key={e.revision} data-type={e.type}>
            <p class="when">{formatDate(e.occurredAt, true)}</p>
            <p class="what">{t(`ticket.event.${e.type}`, { unit, date: formatDate(typeof data['dueAt'] === 'string' ? data['dueAt'] : undefined) })}</p>
            {typeof data['message'] === 'string' && <blockquote class="reply">{data['message']}</blockquote>}
            {typeof data['question'] === 'string' && <blockquote class="question">{data['question']}</blockquote>}
            {typeof data['text'] === 'string' && e.type === 'InformationAdded' && <blockquote>{data['text']}</blockquote>}
            {typeof data['resolution'] === 'string' && <blockquote class="reply">{data['resolution']}</blockquote>}
          </li>
        );
      })}
    </ol>
  );
}

/** Buttons and small forms for what the reporter may do in this status. */
function Actions({ view, onDone }: { view: TicketView; onDone: () => void }) {
  const [text, setText] = useState('');
  const [reopening, setReopening] = useState(false);
  const [level, setLevel] = useState<RatingLevel>();
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const path = `/tickets/${encodeURIComponent(view.id)}`;
  // One Idempotency-Key per command until it is answered: pressing "send" again after a lost answer (weak
  // signal) repeats the same key, so intake writes the information, closure, reopening or rating once.
  // Any edit starts afresh (a changed text is a new message).
  const keys = useRef(new Map<string, string>());
  const edited = () => keys.current.clear();

  /** POSTs the reporter's command `name` (a path under the ticket) with its Idempotency-Key. */
  const send = (name: string, body: unknown) => {
    let key = keys.current.get(name);
    if (!key) keys.current.set(name, key = newIdempotencyKey());
    return request('POST', `${path}/${name}`, body, true, { 'idempotency-key': key });
  };

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      edited();
      setText('');
      setReopening(false);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError ? (t(`problem.${err.reason}`) !== `problem.${err.reason}` ? t(`problem.${err.reason}`) : err.message) : t('problem.network'));
    } finally {
      setBusy(false);
    }
  };

  const addPhoto = (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    void run(async () => {
      const form = new FormData();
      form.append('media', await compressPhoto(file), 'photo.jpg');
      await request('POST', `${path}/attachments`, form);
    });
  };

  const rated = levelOfRating(view.rating);
  const canRate = (view.status === 'resolved' || view.status === 'closed') && !rated;

  return (
    <div class="actions">
      {view.status === 'awaiting_information' && (
        <div class="box">
          <label class="field">
            <span>{t('ticket.addInfo')}</span>
            <textarea rows={4} value={text} placeholder={t('ticket.addInfoPlaceholder')} onInput={(e) => { edited(); setText(e.currentTarget.value); }} />
          </label>
          <button type="button" class="primary" disabled={busy || !text.trim()} onClick={() => run(() => send('information', { text: text.trim() }))}>{t('ticket.send')}</button>
        </div>
      )}
      {view.status === 'resolved' && !reopening && (
        <div class="box row">
          <button type="button" class="primary" disabled={busy} onClick={() => run(() => send('close', {}))}>{t('ticket.confirm')}</button>
          <button type="button" class="secondary" disabled={busy} onClick={() => setReopening(true)}>{t('ticket.reopen')}</button>
        </div>
      )}
      {reopening && (
        <div class="box">
          <label class="field">
            <span>{t('ticket.reopenReason')}</span>
            <textarea rows={4} value={text} onInput={(e) => { edited(); setText(e.currentTarget.value); }} />
          </label>
          <button type="button" class="primary" disabled={busy || !text.trim()} onClick={() => run(() => send('reopen', { reason: text.trim() }))}>{t('ticket.send')}</button>
        </div>
      )}
      {canRate && (
        <fieldset class="box rating">
          <legend>{t('ticket.rate')}</legend>
          {RATING_LEVELS.map((l) => (
            <label key={l} class="radio">
              <input type="radio" name="rating" value={l} checked={level === l} onChange={() => { edited(); setLevel(l); }} />
              <span>{t(`rating.${l}`)}</span>
            </label>
          ))}
          <label class="field">
            <span>{t('ticket.rateComment')}</span>
            <textarea rows={3} value={comment} onInput={(e) => { edited(); setComment(e.currentTarget.value); }} />
          </label>
          <button type="button" class="primary" disabled={busy || !level} onClick={() => run(() => send('rating', { score: scoreOfLevel(level!), ...(comment.trim() ? { comment: comment.trim() } : {}) }))}>{t('ticket.send')}</button>
        </fieldset>
      )}
      {rated && <p class="notice ok">{t('ticket.rated', { level: t(`rating.${rated}`) })}</p>}
      {OPEN.includes(view.status) && (view.attachments?.length ?? 0) < 6 && (
        <label class="file">
          <span><Icon d={ICONS.photo} /> {t('ticket.addPhoto')}</span>
          <input type="file" accept="image/jpeg,image/png,image/webp" onChange={(e) => addPhoto(e.currentTarget.files)} />
        </label>
      )}
      {OPEN.includes(view.status) && (
        <button type="button" class="link danger" disabled={busy} onClick={() => confirm(t('ticket.withdrawConfirm')) && run(() => send('withdraw', {}))}>{t('ticket.withdraw')}</button>
      )}
      {error && <p class="notice error" role="alert">{error}</p>}
    </div>
  );
}
