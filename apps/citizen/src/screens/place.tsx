import { useEffect, useState } from 'preact/hooks';
import { request } from '../api';
import { t } from '../i18n';

/** A division of GET /api/v1/divisions. */
export interface DivisionEntry {
  code: string;
  name: string;
  level: string;
  parent: string | null;
  pinyin: string;
  initials: string;
  path: { code: string; name: string }[];
  children: number;
}

/** The whole name of a place, e.g. "雷波县 锦城镇 西街社区" (the prefecture left out). */
export function placeName(d: DivisionEntry): string {
  return [...d.path.slice(1).map((p) => p.name), d.name].join(' ');
}

const PREFECTURE = '5134';

function useChildren(parent: string | undefined): DivisionEntry[] {
  const [list, setList] = useState<DivisionEntry[]>([]);
  useEffect(() => {
    setList([]);
    if (!parent) return;
    let live = true;
    request<{ divisions: DivisionEntry[] }>('GET', `/divisions?parent=${parent}`, undefined, false)
      .then((r) => live && setList(r.divisions), () => undefined);
    return () => {
      live = false;
    };
  }, [parent]);
  return list;
}

/**
 * Where the problem is: the county → township → village cascade (native selects: large, accessible,
 * fast on old phones) and a search by name or pinyin initials. `value` is the chosen division.
 * `onChange(d, final)`: `final` is true when the choice needs no further step (a village, or a place
 * picked from the search), false for a county or township, below which the cascade goes on — so the
 * caller keeps the picker open while the citizen walks it.
 */
export function PlacePicker({ value, onChange }: { value: DivisionEntry | undefined; onChange: (d: DivisionEntry | undefined, final: boolean) => void }) {
  const lineage = value ? [...value.path.map((p) => p.code), value.code] : [];
  const [county, setCounty] = useState<string | undefined>(lineage[1]);
  const [township, setTownship] = useState<string | undefined>(lineage[2]);
  const [village, setVillage] = useState<string | undefined>(lineage[3]);
  const counties = useChildren(PREFECTURE);
  const townships = useChildren(county);
  const villages = useChildren(township);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<DivisionEntry[]>([]);

  useEffect(() => {
    setCounty(lineage[1]);
    setTownship(lineage[2]);
    setVillage(lineage[3]);
  }, [value?.code]);

  useEffect(() => {
    const q = query.trim();
    if (q.length === 0) {
      setFound([]);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      request<{ divisions: DivisionEntry[] }>('GET', `/divisions?q=${encodeURIComponent(q)}&limit=8`, undefined, false)
        .then((r) => live && setFound(r.divisions.filter((d) => d.level !== 'prefecture')), () => undefined);
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query]);

  const pick = (list: DivisionEntry[], code: string) => list.find((d) => d.code === code);

  return (
    <div class="place">
      <Level label={t('report.county')} empty={t('report.choose')} options={counties} value={county} onPick={(code) => {
        setCounty(code);
        setTownship(undefined);
        setVillage(undefined);
        onChange(code ? pick(counties, code) : undefined, false);
      }} />
      <Level label={t('report.township')} empty={t('report.choose')} options={townships} value={township} disabled={!county} onPick={(code) => {
        setTownship(code);
        setVillage(undefined);
        onChange(code ? pick(townships, code) : pick(counties, county!), false);
      }} />
      <Level label={t('report.village')} empty={t('report.anyVillage')} options={villages} value={village} disabled={!township} onPick={(code) => {
        setVillage(code);
        onChange(code ? pick(villages, code) : pick(townships, township!), code !== undefined);
      }} />
      <label class="field">
        <span>{t('report.placeSearch')}</span>
        <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} autocomplete="off" />
      </label>
      {found.length > 0 && (
        <ul class="choices" role="list">
          {found.map((d) => (
            <li key={d.code}>
              <button type="button" class="choice" onClick={() => { onChange(d, true); setQuery(''); }}>
                {placeName(d)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** One step of the cascade: a labelled native select of the divisions below the previous choice. */
function Level(props: { label: string; empty: string; options: DivisionEntry[]; value: string | undefined; disabled?: boolean; onPick: (code: string | undefined) => void }) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <select value={props.value ?? ''} disabled={props.disabled} onChange={(e) => props.onPick(e.currentTarget.value || undefined)}>
        <option value="">{props.empty}</option>
        {props.options.map((d) => <option key={d.code} value={d.code}>{d.name}</option>)}
      </select>
    </label>
  );
}
