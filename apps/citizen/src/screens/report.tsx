import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { ICONS, type Service, categoryIcon } from '../categories';
import { Icon } from '../icon';
import type { ReportBody } from '../db';
import { t } from '../i18n';
import { enqueue, flushOutbox, rememberSent } from '../outbox';
import { MAX_PHOTOS, compressPhoto } from '../photos';
import { scheduleFlush } from '../sw-register';
import { type DivisionEntry, PlacePicker, placeName } from './place';

/** An open report like the one being written (GET /api/v1/tickets/similar), without anyone's identity. */
interface Similar {
  id: string;
  reference: string;
  title: string;
  status: string;
  divisionName?: string;
  /** How many citizens follow it already (the me-too count). */
  followers?: number;
}

/** Chinese mobile numbers (11 digits from 1), optionally with +86. */
const PHONE_PATTERN = /^(\+?86)?1[3-9][0-9]{9}$/;

function useServices(): Service[] {
  const [services, setServices] = useState<Service[]>([]);
  useEffect(() => {
    request<{ services: Service[] }>('GET', '/services', undefined, false).then((r) => setServices(r.services), () => undefined);
  }, []);
  return services;
}

/**
 * Report a problem: category (icons, searchable), place (QR preset, location, cascade), title and
 * description, photos compressed on the phone, optional phone number, privacy; similar open reports to
 * follow instead; sent through the outbox, so it is kept on the phone when there is no signal.
 */
export function ReportScreen({ presetDivision }: { presetDivision?: string | undefined }) {
  const services = useServices();
  const [category, setCategory] = useState<string>();
  const [categoryQuery, setCategoryQuery] = useState('');
  const [place, setPlace] = useState<DivisionEntry>();
  const [fromPreset, setFromPreset] = useState(false);
  const [editPlace, setEditPlace] = useState(false);
  const [coords, setCoords] = useState<{ lat: number; long: number }>();
  const [locating, setLocating] = useState<'idle' | 'busy' | 'failed'>('idle');
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [photos, setPhotos] = useState<{ blob: Blob; url: string }[]>([]);
  const [compressing, setCompressing] = useState(false);
  const [phone, setPhone] = useState('');
  const [visibility, setVisibility] = useState<'public' | 'agency'>('agency');
  const [similar, setSimilar] = useState<Similar[]>([]);
  const [followed, setFollowed] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'ok' | 'error'; text: string }>();

  useEffect(() => {
    if (!presetDivision) return;
    request<DivisionEntry>('GET', `/divisions/${presetDivision}`, undefined, false).then((d) => {
      setPlace(d);
      setFromPreset(true);
    }, () => undefined);
  }, [presetDivision]);

  // Open reports of the same category in the same township, last 30 days (GET /api/v1/tickets/similar,
  // issue 14 item 5): "this is my problem too". A failure (offline) shows nothing and never blocks sending.
  useEffect(() => {
    setSimilar([]);
    if (!category || !place || place.level === 'county' || place.level === 'prefecture') return;
    let live = true;
    const q = new URLSearchParams({ service_code: category, division: place.code, ...(coords ? { lat: String(coords.lat), long: String(coords.long) } : {}) });
    request<{ tickets: Similar[] }>('GET', `/tickets/similar?${q}`).then((r) => live && setSimilar(r.tickets ?? []), () => undefined);
    return () => {
      live = false;
    };
  }, [category, place?.code, coords?.lat, coords?.long]);

  const shown = useMemo(() => {
    const q = categoryQuery.trim().toLowerCase();
    if (!q) return services;
    return services.filter((s) => [t(`server:category.${s.service_code}`), s.zh, s.en, ...(s.keywords ?? [])].some((n) => n.toLowerCase().includes(q)));
  }, [services, categoryQuery]);

  const useLocation = () => {
    if (!('geolocation' in navigator)) {
      setLocating('failed');
      return;
    }
    setLocating('busy');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setCoords({ lat: pos.coords.latitude, long: pos.coords.longitude });
        setLocating('idle');
      },
      () => setLocating('failed'),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  };

  const addPhotos = async (files: FileList | null) => {
    if (!files) return;
    setCompressing(true);
    try {
      const room = MAX_PHOTOS - photos.length;
      const added: { blob: Blob; url: string }[] = [];
      for (const file of [...files].slice(0, room)) {
        const blob = await compressPhoto(file);
        added.push({ blob, url: URL.createObjectURL(blob) });
      }
      setPhotos((p) => [...p, ...added]);
    } catch {
      setMessage({ tone: 'error', text: t('problem.unsupported_media_type') });
    } finally {
      setCompressing(false);
    }
  };

  const follow = async (s: Similar) => {
    try {
      await request('POST', `/tickets/${encodeURIComponent(s.id)}/follow`, {});
      await rememberSent({ id: s.id, reference: s.reference, title: s.title, submittedAt: new Date().toISOString() });
      setFollowed(s.id);
      setSimilar((all) => all.map((x) => (x.id === s.id ? { ...x, followers: (x.followers ?? 0) + 1 } : x)));
    } catch (err) {
      setMessage({ tone: 'error', text: err instanceof ApiError ? err.message : t('problem.network') });
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const missing = [
      !category && t('report.fieldCategory'),
      !place && !coords && t('report.fieldPlace'),
      !title.trim() && t('report.fieldTitle'),
      !description.trim() && t('report.fieldDescription'),
    ].filter(Boolean);
    if (missing.length > 0) {
      setMessage({ tone: 'error', text: t('report.missing', { fields: missing.join(', ') }) });
      return;
    }
    const number = phone.replace(/[\s-]/g, '');
    if (number && !PHONE_PATTERN.test(number)) {
      setMessage({ tone: 'error', text: t('report.phoneInvalid') });
      return;
    }
    setBusy(true);
    // Without a chosen place, the platform derives the division from the phone's position (WGS-84, as
    // the Geolocation API gives it). The privacy choice is sent as `visibility` (issue 14 item 6).
    const body: ReportBody = {
      service_code: category!,
      ...(place ? { division: place.code } : {}),
      title: title.trim(),
      description: description.trim(),
      ...(coords ? { ...coords, coordinate_system: 'WGS-84' as const } : {}),
      ...(number ? { phone: number } : {}),
      visibility,
    };
    await enqueue(body, photos.map((p) => p.blob));
    await scheduleFlush();
    const result = await flushOutbox().catch(() => undefined);
    setBusy(false);
    const sent = result?.sent.find((r) => r.title === body.title);
    setMessage({ tone: 'ok', text: sent ? t('report.sent', { reference: sent.reference }) : t('report.queued') });
    setTitle('');
    setDescription('');
    setPhotos([]);
    setPhone('');
    location.hash = '#/mine';
  };

  const chosen = services.find((s) => s.service_code === category);

  return (
    <form class="screen report" onSubmit={submit} noValidate>
      <h1>{t('report.heading')}</h1>

      <section aria-labelledby="category-heading">
        <h2 id="category-heading">{t('report.category')}</h2>
        {chosen ? (
          <p class="chosen">
            <Icon d={categoryIcon(chosen.service_code)} /> {t('report.categoryChosen', { name: t(`server:category.${chosen.service_code}`) })}
            <button type="button" class="link" onClick={() => setCategory(undefined)}>{t('report.change')}</button>
          </p>
        ) : (
          <>
            <label class="field">
              <span>{t('report.categorySearch')}</span>
              <input type="search" value={categoryQuery} onInput={(e) => setCategoryQuery(e.currentTarget.value)} />
            </label>
            <ul class="categories" role="list">
              {shown.map((s) => (
                <li key={s.service_code}>
                  <button type="button" class="category" data-code={s.service_code} onClick={() => setCategory(s.service_code)}>
                    <Icon d={categoryIcon(s.service_code)} />
                    <span>{t(`server:category.${s.service_code}`)}</span>
                  </button>
                </li>
              ))}
            </ul>
            {services.length > 0 && shown.length === 0 && <p>{t('report.categoryNone')}</p>}
          </>
        )}
      </section>

      <section aria-labelledby="where-heading">
        <h2 id="where-heading">{t('report.where')}</h2>
        {place && !editPlace ? (
          <p class="chosen">
            {fromPreset && <span class="tag">{t('report.presetFrom')}</span>}
            <span data-testid="place">{t('report.placeChosen', { place: placeName(place) })}</span>
            <button type="button" class="link" onClick={() => setEditPlace(true)}>{t('report.change')}</button>
          </p>
        ) : (
          <PlacePicker value={place} onChange={(d, final) => {
            setPlace(d);
            setFromPreset(false);
            // A county or township is a step of the cascade: the picker stays open for the next one (it
            // used to fold into "地点：雷波县 更改" at the county, hiding the township and village).
            setEditPlace(d !== undefined && !final);
          }} />
        )}
        {editPlace && place && <button type="button" class="link" onClick={() => setEditPlace(false)}>{t('app.close')}</button>}
        <button type="button" class="secondary" onClick={useLocation} disabled={locating === 'busy'}>
          <Icon d={ICONS.place} /> {locating === 'busy' ? t('report.locating') : t('report.useLocation')}
        </button>
        {coords && <p class="hint">{t('report.located')}</p>}
        {locating === 'failed' && <p class="hint">{t('report.locationFailed')}</p>}
      </section>

      <section aria-labelledby="what-heading">
        <h2 id="what-heading" class="visually-hidden">{t('report.title')}</h2>
        <label class="field">
          <span>{t('report.title')}</span>
          <input name="title" value={title} maxLength={200} placeholder={t('report.titlePlaceholder')} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>{t('report.description')}</span>
          <textarea name="description" rows={6} value={description} placeholder={t('report.descriptionPlaceholder')} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
      </section>

      <section aria-labelledby="photos-heading">
        <h2 id="photos-heading">{t('report.photos')}</h2>
        <div class="photos">
          {photos.map((p, i) => (
            <figure key={p.url}>
              <img src={p.url} alt="" />
              <button type="button" class="remove" aria-label={t('report.removePhoto', { n: i + 1 })} onClick={() => setPhotos((all) => all.filter((x) => x !== p))}>×</button>
            </figure>
          ))}
        </div>
        {photos.length < MAX_PHOTOS && (
          <label class="file">
            <span><Icon d={ICONS.photo} /> {compressing ? t('report.compressing') : t('report.addPhoto')}</span>
            <input type="file" name="photos" accept="image/jpeg,image/png,image/webp" multiple onChange={(e) => void addPhotos(e.currentTarget.files)} />
          </label>
        )}
      </section>

      <section aria-labelledby="phone-heading">
        <h2 id="phone-heading" class="visually-hidden">{t('report.phone')}</h2>
        <label class="field">
          <span>{t('report.phone')}</span>
          <input type="tel" name="phone" inputMode="tel" autocomplete="tel" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} aria-describedby="phone-consent" />
        </label>
        <p id="phone-consent" class="hint">{t('report.phoneConsent')}</p>
      </section>

      <fieldset>
        <legend>{t('report.privacy')}</legend>
        <label class="radio">
          <input type="radio" name="visibility" value="agency" checked={visibility === 'agency'} onChange={() => setVisibility('agency')} />
          <span>{t('report.privacyAgency')}</span>
        </label>
        <label class="radio">
          <input type="radio" name="visibility" value="public" checked={visibility === 'public'} onChange={() => setVisibility('public')} />
          <span>{t('report.privacyPublic')}</span>
        </label>
      </fieldset>

      {similar.length > 0 && (
        <section class="similar" aria-labelledby="similar-heading">
          <h2 id="similar-heading">{t('report.similarHeading')}</h2>
          <p>{t('report.similarIntro')}</p>
          <ul role="list">
            {similar.map((s) => (
              <li key={s.id} data-testid="similar" data-id={s.id}>
                <strong>{s.title}</strong>
                <p class="meta">
                  {t('mine.reference', { reference: s.reference })}
                  {s.divisionName && ` · ${s.divisionName}`}
                  {` · ${t('report.similarFollowers', { count: s.followers ?? 0 })}`}
                </p>
                {followed === s.id ? (
                  <p class="notice ok" role="status">
                    {t('report.followed')} <a href={`#/t/${encodeURIComponent(s.id)}`}>{t('report.followedOpen')}</a>
                  </p>
                ) : <button type="button" class="secondary" onClick={() => void follow(s)}>{t('report.follow')}</button>}
              </li>
            ))}
          </ul>
        </section>
      )}

      {message && <p class={`notice ${message.tone}`} role={message.tone === 'error' ? 'alert' : 'status'}>{message.text}</p>}
      <button type="submit" class="primary" disabled={busy || compressing}>{busy ? t('report.submitting') : t('report.submit')}</button>
    </form>
  );
}
