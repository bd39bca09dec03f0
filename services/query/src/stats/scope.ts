/**
 * Who may see which statistics, and the request checked into a {@link StatsQuery}:
 * auditors everything (default: the whole prefecture); supervisors their jurisdiction's subtree
 * (default: their division; another division must lie inside it); everyone else is refused.
 */
import type { Principal } from '@tongban/auth';
import { parseShanghaiDateOrInstant } from '@tongban/domain';
import type { ReferenceData } from '@tongban/reference-data';
import { fail } from '@tongban/runtime';
import { GROUP_BYS, type GroupBy } from './definitions';
import type { StatsQuery } from './definitions';

/** The raw request (strings as they arrive over gRPC; empty = not given). */
export interface StatsRequest {
  division: string;
  from: string;
  to: string;
  groupBy: string;
}

function instant(value: string, name: string): number | undefined {
  if (!value) return undefined;
  // A bare date is midnight in Asia/Shanghai (the administration's day).
  const ms = parseShanghaiDateOrInstant(value);
  if (Number.isNaN(ms)) throw fail.invalid(`invalid_${name}`, `${name} must be an ISO-8601 date or instant with an offset, got ${value}`);
  return ms;
}

/**
 * Checks a statistics request for a caller.
 * @throws ServiceFailure PERMISSION_DENIED (role_not_allowed, outside_jurisdiction), NOT_FOUND
 *   (unknown_division), INVALID_ARGUMENT (invalid_from, invalid_to, invalid_range, invalid_group_by).
 */
export function resolveStatsQuery(req: StatsRequest, principal: Principal, ref: ReferenceData, now: Date): StatsQuery {
  if (principal.kind !== 'staff' || (principal.role !== 'auditor' && principal.role !== 'supervisor')) {
    throw fail.forbidden('role_not_allowed', 'statistics are for supervisors and auditors');
  }
  const division = req.division || (principal.role === 'supervisor' ? principal.division : '');
  if (division && !ref.divisions.get(division)) throw fail.notFound('unknown_division', `unknown division ${division}`);
  if (principal.role === 'supervisor' && !(division && ref.divisions.isWithin(division, principal.division))) {
    throw fail.forbidden('outside_jurisdiction', `division ${division || '(all)'} lies outside your jurisdiction ${principal.division}`);
  }
  const groupBy = (req.groupBy || 'none') as GroupBy;
  if (!GROUP_BYS.includes(groupBy)) throw fail.invalid('invalid_group_by', `groupBy must be one of ${GROUP_BYS.join(', ')}`);
  const fromMs = instant(req.from, 'from');
  const toMs = instant(req.to, 'to');
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw fail.invalid('invalid_range', 'from must be before to');
  return { division, groupBy, nowMs: now.getTime(), ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}) };
}
