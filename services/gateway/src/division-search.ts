import type { DivisionIndex, DivisionLevel } from '@tongban/domain';
import { pinyin } from 'pinyin-pro';

/** A division as the cascade and the search show it. */
export interface DivisionEntry {
  code: string;
  /** Name in zh-Hans. */
  name: string;
  level: DivisionLevel;
  parent: string | null;
  /** Full pinyin without tones, syllables joined by spaces (e.g. "jin cheng zhen"), for readers of Latin script. */
  pinyin: string;
  /** Pinyin initials, lower case (e.g. "jcz"), as typed on a phone keyboard to find a place quickly. */
  initials: string;
  /** The ancestors from the top (the prefecture) down to the parent: `[{code, name}]`. */
  path: { code: string; name: string }[];
  /** Number of child divisions (0 for villages): whether the cascade has a next step. */
  children: number;
}

/** Options of {@link DivisionSearch.search}. */
export interface DivisionQuery {
  /** Chinese characters (any part of the name) or pinyin (initials or full syllables, prefix). */
  q: string;
  /** Only this division's subtree. */
  within?: string;
  /** Only this level. */
  level?: DivisionLevel;
  /** At most this many results (default 20). */
  limit?: number;
}

interface Searchable {
  entry: DivisionEntry;
  /** Full pinyin without spaces. */
  compact: string;
}

/**
 * The division hierarchy for pickers: children of a division (the county → township → village cascade)
 * and search by name or pinyin. Pinyin is computed once, when the search is built, with `pinyin-pro`
 * (which picks the reading of polyphonic characters from the words around them); ~2,700 names take
 * about 100 ms.
 */
export class DivisionSearch {
  private readonly entries = new Map<string, Searchable>();
  private readonly childrenOf = new Map<string | null, DivisionEntry[]>();

  constructor(private readonly index: DivisionIndex) {
    const all = index.all();
    const counts = new Map<string, number>();
    for (const d of all) if (d.parent !== null) counts.set(d.parent, (counts.get(d.parent) ?? 0) + 1);
    for (const d of all) {
      const syllables = pinyin(d.name, { toneType: 'none', type: 'array', nonZh: 'consecutive' }).map((s) => s.toLowerCase());
      const entry: DivisionEntry = {
        code: d.code,
        name: d.name,
        level: d.level,
        parent: d.parent,
        pinyin: syllables.join(' '),
        initials: syllables.map((s) => s[0] ?? '').join(''),
        path: index.lineage(d.code).slice(1).reverse().map((a) => ({ code: a.code, name: a.name })),
        children: counts.get(d.code) ?? 0,
      };
      this.entries.set(d.code, { entry, compact: syllables.join('') });
      const siblings = this.childrenOf.get(d.parent) ?? [];
      siblings.push(entry);
      this.childrenOf.set(d.parent, siblings);
    }
    for (const list of this.childrenOf.values()) list.sort((a, b) => a.code.localeCompare(b.code));
  }

  /** The division with this code, or undefined. */
  get(code: string): DivisionEntry | undefined {
    return this.entries.get(code)?.entry;
  }

  /** The children of a division, by code; `null`: the top level. [] for a village or an unknown code. */
  children(parent: string | null): DivisionEntry[] {
    return this.childrenOf.get(parent) ?? [];
  }

  /**
   * Divisions matching `q`, best first: an exact name, then a name starting with `q`, then initials
   * starting with `q` ("jcz" → 锦城镇), then full pinyin starting with `q` ("jincheng"), then a name
   * containing `q`; within a rank, higher levels first, then by code. Blank `q` matches nothing.
   */
  search(query: DivisionQuery): DivisionEntry[] {
    const q = query.q.trim().toLowerCase().replace(/[\s']+/g, '');
    if (q === '') return [];
    const limit = query.limit ?? 20;
    const ranked: { rank: number; entry: DivisionEntry }[] = [];
    for (const { entry, compact } of this.entries.values()) {
      if (query.level && entry.level !== query.level) continue;
      if (query.within && !this.index.isWithin(entry.code, query.within)) continue;
      const rank = entry.name === q ? 0
        : entry.name.startsWith(q) ? 1
          : entry.initials.startsWith(q) ? 2
            : compact.startsWith(q) ? 3
              : entry.name.includes(q) ? 4
                : -1;
      if (rank >= 0) ranked.push({ rank, entry });
    }
    ranked.sort((a, b) => a.rank - b.rank || LEVEL_ORDER[a.entry.level] - LEVEL_ORDER[b.entry.level] || a.entry.code.localeCompare(b.entry.code));
    return ranked.slice(0, limit).map((r) => r.entry);
  }
}

const LEVEL_ORDER: Readonly<Record<DivisionLevel, number>> = { prefecture: 0, county: 1, township: 2, village: 3 };
