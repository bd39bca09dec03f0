/**
 * Line icons (24×24, one SVG path each, drawn with `currentColor`): shipped inline rather than as emoji,
 * because a phone or a headless browser without an emoji font shows emoji as empty boxes. About 2 KB
 * gzipped for all of them.
 */
export const ICONS = {
  'dangerous-structure': 'M3 11l9-8 9 8M5 9.5V21h14V9.5M12 21l-2-4 3-3-2-3',
  'road-transport': 'M6 4h12a2 2 0 0 1 2 2v11H4V6a2 2 0 0 1 2-2zM4 12h16M8 17v3M16 17v3M8 14.5h.01M16 14.5h.01',
  sanitation: 'M4 6h16M9 6V4h6v2M6 6l1 15h10l1-15M10 10v7M14 10v7',
  'water-supply': 'M12 3s6 7 6 11a6 6 0 0 1-12 0c0-4 6-11 6-11z',
  'power-supply': 'M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.7.7 1 1.5 1 2.5h6c0-1 .3-1.8 1-2.5A6 6 0 0 0 12 3z',
  'public-security': 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z',
  'social-assistance': 'M12 20s-7-4.5-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.5-7 10-7 10z',
  education: 'M2 9l10-5 10 5-10 5zM6 11v5c0 1.5 3 3 6 3s6-1.5 6-3v-5M22 9v6',
  health: 'M4 4h16v16H4zM12 8v8M8 12h8',
  'agriculture-forestry': 'M12 21V9M12 13c-4 0-6-3-6-6 4 0 6 3 6 6zM12 11c0-4 2-7 6-7 0 4-2 7-6 7z',
  'land-dispute': 'M5 21V4M5 4h12l-2 4 2 4H5',
  'poverty-alleviation': 'M3 17l6-6 4 4 8-8M15 7h6v6',
  other: 'M4 5h16v11H9l-5 4z',
  place: 'M12 21s7-6.5 7-12a7 7 0 0 0-14 0c0 5.5 7 12 7 12zM9.5 9a2.5 2.5 0 1 0 5 0 2.5 2.5 0 1 0-5 0',
  photo: 'M3 8h4l2-3h6l2 3h4v12H3zM8.5 13a3.5 3.5 0 1 0 7 0 3.5 3.5 0 1 0-7 0',
} as const;

/** The icon of a catalogue category (`other`'s for a category without one). */
export function categoryIcon(serviceCode: string): string {
  return (ICONS as Record<string, string>)[serviceCode] ?? ICONS.other;
}

/** A category of GET /api/v1/services. */
export interface Service {
  service_code: string;
  zh: string;
  en: string;
  group: string;
  keywords?: string[];
}
