/**
 * Reference lists the pages share (service catalogue, divisions, units), cached by TanStack Query. They are
 * public routes, read without the session's token: the gateway refuses a token that is no ticket role's (a
 * directory-admin's person token) there with 403 role_required.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from './api';

/** GET of a public reference route, without the bearer token. */
const reference = <T>(path: string) => api<T>(path, { anonymous: true });

/** A category of the service catalogue (GET /api/v1/services). */
export interface Service {
  service_code: string;
  zh: string;
  en: string;
  department: string;
}

/** A department type of the catalogue. */
export interface DepartmentType {
  code: string;
  zh: string;
  en: string;
}

/** A division entry of GET /api/v1/divisions. */
export interface Division {
  code: string;
  name: string;
  level: string;
  parent: string | null;
  path: { code: string; name: string }[];
  children: number;
}

/** A unit of GET /api/v1/units. */
export interface Unit {
  id: string;
  name: string;
  kind: string;
  division: string;
  level: string;
}

/** The prefecture's code (凉山彝族自治州). */
export const PREFECTURE = '5134';

const day = 24 * 3_600_000;

/** The service catalogue. */
export function useCatalogue() {
  return useQuery({
    queryKey: ['services'],
    queryFn: () => reference<{ services: Service[]; departmentTypes: DepartmentType[] }>('/api/v1/services'),
    staleTime: day,
  });
}

/**
 * A reference query keyed by one parameter (a division code), cached for a day; disabled while the parameter is
 * undefined. `path` builds the route from the parameter, which it must URL-encode.
 */
function useReferenceOf<T>(key: string, param: string | undefined, path: (param: string) => string) {
  return useQuery({
    queryKey: [key, param],
    queryFn: () => reference<T>(path(param ?? '')),
    enabled: !!param,
    staleTime: day,
  });
}

/** The children of a division (the 17 counties for the prefecture); disabled without a parent. */
export function useDivisionChildren(parent: string | undefined) {
  return useReferenceOf<{ divisions: Division[] }>('divisions', parent, (p) => `/api/v1/divisions?parent=${encodeURIComponent(p)}`);
}

/** One division with its path. */
export function useDivision(code: string | undefined) {
  return useReferenceOf<Division>('division', code, (c) => `/api/v1/divisions/${encodeURIComponent(c)}`);
}

/** The units of a division (administration and departments). */
export function useUnits(division: string | undefined) {
  return useReferenceOf<{ units: Unit[] }>('units', division, (d) => `/api/v1/units?division=${encodeURIComponent(d)}`);
}

/** The county code (6 digits) of a division code, or undefined above county level. */
export function countyOf(code: string): string | undefined {
  return code.length >= 6 ? code.slice(0, 6) : undefined;
}

/** The township code (9 digits) of a division code, or undefined above township level. */
export function townshipOf(code: string): string | undefined {
  return code.length >= 9 ? code.slice(0, 9) : undefined;
}

/**
 * Names of the units around a division (its township, county with its departments, the prefecture), by
 * unit id, for showing events' unit ids as names.
 */
export function useUnitNames(division: string | undefined): Map<string, string> {
  const township = useUnits(division ? townshipOf(division) : undefined);
  const county = useUnits(division ? countyOf(division) : undefined);
  const prefecture = useUnits(division ? PREFECTURE : undefined);
  const names = new Map<string, string>();
  for (const q of [township, county, prefecture]) for (const u of q.data?.units ?? []) names.set(u.id, u.name);
  return names;
}
