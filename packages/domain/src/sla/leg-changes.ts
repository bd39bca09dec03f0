/**
 * What an event did to a ticket's SLA legs, in words, from the leg states before and after it (pure).
 * The lifecycle document lists these per command (docs/ticket-lifecycle.md, "Time limits"), derived by
 * running real commands, so the document cannot drift from evolve.
 */
import type { SignForLeg, SlaLeg } from './legs';

/** The legs of a ticket state, by their state key (firstResponse, resolution, …). */
export type SlaLegs = Readonly<Partial<Record<string, SlaLeg>>>;

/** A leg's state key in words: `firstResponse` → `first response`. */
function legLabel(key: string): string {
  return key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/**
 * The changes of one leg, in words (empty when nothing changed): starts, restarts (a new leg), met
 * (stopped), paused, resumed (its due time moved later by the pause), replaced by an announced deadline,
 * warned, breached.
 */
function legChanges(before: SlaLeg | undefined, after: SlaLeg | undefined): string[] {
  if (!after) return [];
  if (!before) return ['starts'];
  const changes: string[] = [];
  if (after.startedAt !== before.startedAt) changes.push('restarts (a new leg)');
  if (!before.stoppedAt && after.stoppedAt) {
    // A sign-for leg (it names its unit) that stops without a sign-for ended because the ticket left that unit.
    const unsigned = 'unitId' in after && !(after as SignForLeg).signedAt;
    changes.push(unsigned ? 'ends unsigned (the ticket left the unit or was returned)' : 'met (stops)');
  }
  if (!before.pausedAt && after.pausedAt && !after.stoppedAt) changes.push('pauses');
  if (before.pausedAt && !after.pausedAt && !after.stoppedAt) changes.push('resumes (due later by the pause)');
  if (after.announced && (!before.announced || after.dueAt !== before.dueAt)) changes.push('due time replaced by the announced deadline');
  if (!before.warnedAt && after.warnedAt) changes.push('warned');
  if (!before.breachedAt && after.breachedAt) changes.push('breached');
  return changes;
}

/** The changes of every leg, keyed by leg label (`first response` → [`met (stops)`]); legs without changes are left out. */
export function slaChanges(before: SlaLegs, after: SlaLegs): Record<string, string[]> {
  const changes: Record<string, string[]> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const c = legChanges(before[key], after[key]);
    if (c.length) changes[legLabel(key)] = c;
  }
  return changes;
}
