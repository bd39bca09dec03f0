import type { Division, DivisionIndex, DivisionLevel } from '@tongban/domain';

/**
 * Finding a county, township or village named in a free text (an address, a description).
 *
 * Every division below the prefecture is known by its full name and by its name without the suffix
 * of its kind: 锦城镇 / 锦城, 北城街道 / 北城, 裕隆回族乡 / 裕隆乡 / 裕隆, 城北村村民委员会 / 城北村 / 城北,
 * 大通门社区居民委员会 / 大通门社区 / 大通门, 雷波县 / 雷波, 木里藏族自治县 / 木里. Bare names shorter than two
 * characters and bare ordinals (第一, 第二…) are not used: they occur in ordinary text.
 *
 * Names are read leftmost-longest (in 锦城镇 the township, not a village called 锦城; in 锦城西街 锦城, not 城西).
 * Then, level by level (county, township, village), the named divisions inside the current scope are
 * collected: exactly one narrows the scope to it, none goes on to the next level, more than one stops
 * (ambiguous: the text does not say which). The answer is the narrowest division reached.
 */

/** One name occurrence found in a text. */
export interface NameMatch {
  /** The text that matched. */
  name: string;
  division: Division;
}

/** A division a text places a report in. */
export interface PlaceMatch {
  division: Division;
  /** The name in the text that named it (e.g. 锦城镇). */
  name: string;
}

const ORDINAL = /^第[一二三四五六七八九十百零〇\d]+$/u;
/** Peoples with autonomous counties or ethnic townships (民族乡) in Liangshan. */
const PEOPLES = '(?:彝族|藏族|回族|傣族|纳西族|蒙古族|苗族|傈僳族)';
const COUNTY_SUFFIX = new RegExp(`(?:${PEOPLES}?自治县|县|市)$`, 'u');
const ETHNIC_TOWNSHIP = new RegExp(`^(.+?)(${PEOPLES})乡$`, 'u');
const MIN_BARE_LENGTH = 2;

/** The names of a division: its full name and its name without the suffix of its kind. */
export function namesOf(division: Pick<Division, 'name' | 'level'>): string[] {
  const names = new Set<string>([division.name]);
  const add = (name: string) => {
    if ([...name].length >= MIN_BARE_LENGTH && !ORDINAL.test(name)) names.add(name);
  };
  const n = division.name;
  switch (division.level) {
    case 'county': {
      add(n.replace(COUNTY_SUFFIX, ''));
      break;
    }
    case 'township': {
      const ethnic = ETHNIC_TOWNSHIP.exec(n);
      if (ethnic) {
        add(`${ethnic[1]}${ethnic[2]}`);
        add(`${ethnic[1]}乡`);
        add(ethnic[1]!);
      } else {
        add(n.replace(/(?:街道|镇|乡)$/u, ''));
      }
      break;
    }
    case 'village': {
      const village = /^(.+)村民委员会$/u.exec(n);
      const community = /^(.+社区)(?:居民委员会)?$/u.exec(n);
      const short = village ? `${village[1]}${village[1]!.endsWith('村') ? '' : '村'}` : community?.[1];
      if (short) {
        add(short);
        add(short.replace(/(?:村|社区)$/u, ''));
      }
      break;
    }
    default:
      break;
  }
  return [...names];
}

const LEVELS: readonly DivisionLevel[] = ['county', 'township', 'village'];

/** Names of every county, township and village, for finding them in texts. */
export class PlaceNameIndex {
  /** Name → divisions called so. */
  private readonly byName: ReadonlyMap<string, readonly Division[]>;
  /** Length of the longest name, UTF-16 units. */
  private readonly longest: number;

  constructor(private readonly divisions: DivisionIndex) {
    const byName = new Map<string, Division[]>();
    for (const d of divisions.all()) {
      if (d.level === 'prefecture') continue;
      for (const name of namesOf(d)) byName.set(name, [...(byName.get(name) ?? []), d]);
    }
    this.byName = byName;
    this.longest = Math.max(...[...byName.keys()].map((n) => n.length));
  }

  /**
   * The name occurrences in a text, leftmost-longest: scanning from the start, the longest name that
   * begins at a position is taken and the scan continues after it (so 锦城西街 reads 锦城 + 西街, not 城西).
   */
  occurrences(text: string): NameMatch[] {
    const found: NameMatch[] = [];
    for (let at = 0; at < text.length;) {
      let length = Math.min(this.longest, text.length - at);
      for (; length > 1 && !this.byName.has(text.slice(at, at + length)); length--);
      const name = text.slice(at, at + length);
      const divisions = length > 1 ? this.byName.get(name) : undefined;
      if (divisions) found.push(...divisions.map((division) => ({ name, division })));
      at += divisions ? length : 1;
    }
    return found;
  }

  /**
   * The narrowest division that a text names unambiguously within `scope` (a division code: the
   * prefecture or a county); undefined when it names none below the scope.
   */
  match(text: string, scope: string): PlaceMatch | undefined {
    const matches = this.occurrences(text).filter((m) => this.divisions.isWithin(m.division.code, scope));
    let current: PlaceMatch | undefined;
    for (const level of LEVELS) {
      const within = current?.division.code ?? scope;
      const atLevel = matches.filter((m) => m.division.level === level && this.divisions.isWithin(m.division.code, within));
      const distinct = new Set(atLevel.map((m) => m.division.code));
      if (distinct.size > 1) break;
      if (distinct.size === 1) current = { division: atLevel[0]!.division, name: atLevel[0]!.name };
    }
    return current;
  }
}
