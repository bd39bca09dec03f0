/**
 * The auditor's tools that need no server: a flat diff of two ticket states and the history exports
 * (JSONL, CSV with spreadsheet-formula escaping). Pure.
 */
import type { HistoryEntry } from './types';

/** One changed field between two states: its JSON path and both values (undefined: absent). */
export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, Array.isArray(value) ? [] : {});
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
}

/** The fields that differ between two JSON values (leaf by leaf, sorted by path). */
export function diffStates(before: unknown, after: unknown): FieldChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, '', a);
  flatten(after, '', b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  // An empty array or object that gained (or lost) members is told by its members, not as a field of its own.
  const hasMembers = (m: Map<string, unknown>, p: string) => [...m.keys()].some((k) => k.startsWith(`${p}.`));
  const grewOrEmptied = (p: string) => (a.has(p) && !b.has(p) && hasMembers(b, p)) || (b.has(p) && !a.has(p) && hasMembers(a, p));
  return paths
    .filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)) && !grewOrEmptied(p))
    .map((p) => ({ path: p, before: a.get(p), after: b.get(p) }));
}

/** The history as JSON Lines: one event per line, as the API gives it. */
export function historyJsonl(events: readonly HistoryEntry[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '');
}

/**
 * One CSV cell (RFC 4180 quoting). A text that a spreadsheet would run as a formula (starting with `=`,
 * `+`, `-`, `@`, tab or carriage return — OWASP's CSV injection list) is prefixed with `'`.
 */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The history as CSV: revision, type, occurred/recorded (UTC), actor, unit, data (JSON), hash; CRLF lines. */
export function historyCsv(events: readonly HistoryEntry[]): string {
  const head = ['revision', 'type', 'occurredAt', 'recordedAt', 'actorKind', 'actorId', 'actorUnit', 'data', 'hash'];
  const rows = events.map((e) => [e.revision, e.type, e.occurredAt, e.recordedAt, e.actor.kind, e.actor.id, e.actor.unitId ?? '', e.data, e.hash ?? '']);
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
