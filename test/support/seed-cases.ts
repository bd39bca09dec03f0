import { readDataFile } from '@tongban/reference-data';

/** One step of a seed timeline (shared/data/seed-cases.json). */
export interface TimelineStep {
  at: string;
  action: string;
  channel?: string;
  submittedBy?: { role: string; placeholder: string; division: string };
  onBehalfOf?: { placeholder: string; contact: string | null };
  reporter?: { deviceId: string };
  by?: { role?: string; unitOf?: string; department?: string; countyOf?: string };
  to?: { department: string; countyOf: string };
  [key: string]: unknown;
}

/** A seed case: a timeline and what the platform must show afterwards. */
export interface SeedCase {
  id: string;
  summary: string;
  timeline: TimelineStep[];
  expect: Record<string, unknown>;
}

/** The three real cases of the source article. */
export function seedCases(): SeedCase[] {
  return readDataFile<{ cases: SeedCase[] }>('seed-cases.json').cases;
}

/** UTC ISO form of an instant written with an offset. */
export function utc(instant: string): string {
  return new Date(instant).toISOString();
}

/** `instant` plus `hours`, UTC ISO. */
export function plusHours(instant: string, hours: number): string {
  return new Date(Date.parse(instant) + hours * 3_600_000).toISOString();
}
