/**
 * SLA policies: the catalogue's hours (24 h first response, 72 h resolution, warning at 0.75 of a leg —
 * shared/data/service-catalog.json, after the Liangshan 限时办结制 rule) plus the calendar they count on,
 * selected per category (service_code) or per unit by configuration. A ticket keeps the policy in force
 * when it was submitted (the snapshot in TicketSubmitted), so a later change of policy or configuration
 * never changes the time a ticket has already used.
 */
import defaultConfig from '../../data/calendars/sla-config.json';
import type { SlaPolicyConfig } from '../reference/catalogue';
import { reject } from '../ticket/errors';
import { CALENDAR_HOURS_ID } from './calendar';
import { findCalendar } from './calendars';

/** The policy snapshot of a ticket (proto tongban.ticket.v1.SlaPolicy). Hours are counted on `calendar`. */
export interface SlaPolicySnapshot {
  firstResponseHours: number;
  resolutionHours: number;
  /** Fraction (0 < f ≤ 1) of a leg after which the holding unit is warned. */
  warnAtFraction: number;
  /** Calendar id; absent or '' = calendar hours. */
  calendar?: string | undefined;
}

/** Which calendar and hours apply to a ticket: per service_code first, then per unit, then the default. */
export interface SlaConfig {
  /** Calendar for tickets that no rule names (default calendar-hours, the seed's rule). */
  defaultCalendar?: string;
  /** service_code → calendar id (wins over the unit: e.g. dangerous structures count every hour everywhere). */
  calendarByServiceCode?: Record<string, string>;
  /** Unit id (e.g. adm-513437100) → calendar id. */
  calendarByUnit?: Record<string, string>;
  /** service_code → hours that differ from the catalogue's slaPolicy. */
  policyByServiceCode?: Record<string, Partial<SlaPolicyConfig>>;
}

/** The shipped configuration (packages/domain/data/calendars/sla-config.json): calendar hours everywhere. */
export const DEFAULT_SLA_CONFIG: SlaConfig = defaultConfig as SlaConfig;

/** A problem with a policy: `invalid_policy` (hours, fraction) or `unknown_calendar`. */
export interface PolicyProblem {
  reason: 'invalid_policy' | 'unknown_calendar';
  message: string;
}

/** Problems with a policy (empty when valid): hours must be finite and > 0, 0 < warnAtFraction ≤ 1, a known calendar. */
export function slaPolicyProblems(p: Partial<SlaPolicySnapshot>): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const field of ['firstResponseHours', 'resolutionHours'] as const) {
    const v = p[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) problems.push({ reason: 'invalid_policy', message: `${field} must be a positive number of hours (got ${String(v)})` });
  }
  const f = p.warnAtFraction;
  if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0 || f > 1) problems.push({ reason: 'invalid_policy', message: `warnAtFraction must be within (0, 1] (got ${String(f)})` });
  if (p.calendar && !findCalendar(p.calendar)) problems.push({ reason: 'unknown_calendar', message: `unknown calendar "${p.calendar}"` });
  return problems;
}

/**
 * Checks a policy snapshot before it is recorded.
 * @throws TicketRejection invalid with reason unknown_calendar or invalid_policy (HTTP 400 / INVALID_ARGUMENT).
 */
export function validateSlaPolicy(p: Partial<SlaPolicySnapshot>): void {
  const problems = slaPolicyProblems(p);
  const first = problems.find((x) => x.reason === 'unknown_calendar') ?? problems[0];
  if (first) throw reject.invalid(first.reason, problems.map((x) => x.message).join('; '));
}

/** An invalid SLA configuration (unknown calendar, negative hours…), found when it is loaded. */
export class SlaConfigError extends Error {
  override readonly name = 'SlaConfigError';
  readonly code = 'invalid_sla_config';
  constructor(readonly problems: string[]) {
    super(`invalid SLA configuration: ${problems.join('; ')}`);
  }
}

/**
 * Validates a configuration against a catalogue policy: every named calendar must exist and every
 * resulting policy must be valid.
 * @throws SlaConfigError listing every problem.
 */
export function parseSlaConfig(json: unknown, base: SlaPolicyConfig): SlaConfig {
  const problems: string[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SlaConfigError(['the configuration must be a JSON object']);
  const c = json as SlaConfig;
  const calendarRefs: [string, string | undefined][] = [
    ['defaultCalendar', c.defaultCalendar],
    ...Object.entries(c.calendarByServiceCode ?? {}).map(([k, v]): [string, string] => [`calendarByServiceCode.${k}`, v]),
    ...Object.entries(c.calendarByUnit ?? {}).map(([k, v]): [string, string] => [`calendarByUnit.${k}`, v]),
  ];
  for (const [where, id] of calendarRefs) if (id !== undefined && !findCalendar(id)) problems.push(`${where}: unknown calendar "${id}"`);
  for (const [code, override] of Object.entries(c.policyByServiceCode ?? {})) {
    for (const p of slaPolicyProblems({ ...base, ...override })) problems.push(`policyByServiceCode.${code}: ${p.message}`);
  }
  for (const p of slaPolicyProblems(base)) problems.push(`catalogue slaPolicy: ${p.message}`);
  if (problems.length) throw new SlaConfigError(problems);
  return c;
}

/**
 * The policy snapshot for a new ticket of `serviceCode` held first by `unitId`: the catalogue's hours
 * (or the category's override) on the calendar chosen by service_code, else by unit, else the default.
 * The calendar is omitted when it is calendar hours (so snapshots of the seed's rule stay as they were).
 */
export function slaPolicyFor(base: SlaPolicyConfig, config: SlaConfig, at: { serviceCode: string; unitId?: string }): SlaPolicySnapshot {
  const hours = { ...base, ...(config.policyByServiceCode?.[at.serviceCode] ?? {}) };
  const calendar = config.calendarByServiceCode?.[at.serviceCode]
    ?? (at.unitId ? config.calendarByUnit?.[at.unitId] : undefined)
    ?? config.defaultCalendar
    ?? CALENDAR_HOURS_ID;
  return {
    firstResponseHours: hours.firstResponseHours,
    resolutionHours: hours.resolutionHours,
    warnAtFraction: hours.warnAtFraction,
    ...(calendar && calendar !== CALENDAR_HOURS_ID ? { calendar } : {}),
  };
}
