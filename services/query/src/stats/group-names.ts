/** The names groups are shown under, from the reference data (shared by the in-memory table, sql.ts and practice.ts). */
import type { ReferenceData } from '@tongban/reference-data';
import type { GroupBy } from './definitions';

/**
 * Display name of a group key from the reference data: the unit's or division's name, the staff member's
 * name, the category as "中文 (English)"; `(not routed)` / `(not accepted)` for an empty unit / handler;
 * the key itself when unknown or without reference data.
 */
export function groupName(groupBy: GroupBy, key: string, ref?: ReferenceData): string {
  if (!ref) return key;
  switch (groupBy) {
    case 'unit': return key ? ref.unitsById.get(key)?.name ?? key : '(not routed)';
    case 'county': return ref.divisions.get(key)?.name ?? key;
    case 'handler': return key ? ref.staff.find((s) => s.id === key)?.name ?? key : '(not accepted)';
    case 'category': {
      const s = ref.catalogue.services.find((x) => x.service_code === key);
      return s ? `${s.zh} (${s.en})` : key;
    }
    case 'none': return 'total';
  }
}
