/**
 * SLA policies: the catalogue's hours (24 h first response, 72 h resolution, warning at 0.75 of a leg —
 * shared/data/service-catalog.json, after the Liangshan 限时办结制 rule) plus the calendar they count on,
 * selected per category (service_code) or per unit by configuration. A ticket keeps the policy in force
 * when it was submitted (the snapshot in TicketSubmitted), so a later change of policy or configuration
 * never changes the time a ticket has already used.
 */
import defaultConfig from '../../data/calendars/sla-config.json';
import policySetsData from '../../data/calendars/policy-sets.json';
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
  /** Urgency class of the category (issue 14 item 1); absent on tickets from before classes. */
  urgencyClass?: string | undefined;
  /** The policy set the limits came from (`default`, `sichuan`). */
  policySet?: string | undefined;
  /** inquiry | help | suggestion | complaint | report. */
  requestType?: string | undefined;
  /** Sign-for (签收) limit, hours counted on `signForCalendar` (or `calendar`); absent: no sign-for leg. */
  signForHours?: number | undefined;
  signForCalendar?: string | undefined;
}

/**
 * Urgency classes (issue 14 item 1): emergency and utilities run on calendar hours every day; general on
 * the calendar of its policy set (working days with the holiday calendar in the Sichuan set).
 */
export const URGENCY_CLASSES = ['emergency', 'utilities', 'general'] as const;
export type UrgencyClass = (typeof URGENCY_CLASSES)[number];

/** Kinds of request of the 12345 hotlines (咨询, 求助, 建议, 投诉, 举报). */
export const REQUEST_TYPES = ['inquiry', 'help', 'suggestion', 'complaint', 'report'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** The limits of one urgency class. Hours left out fall back to the catalogue's slaPolicy. */
export interface ClassLimits {
  /** Sign-for limit, hours counted on `signForCalendar` (or `calendar`). */
  signForHours: number;
  signForCalendar?: string;
  firstResponseHours?: number;
  resolutionHours?: number;
  /** Calendar of the first-reply and resolution legs (and of sign-for without its own). */
  calendar: string;
}

/** A policy set (packages/domain/data/calendars/policy-sets.json). */
export interface PolicySet {
  name: string;
  /** Where the figures come from. */
  source: string;
  classes: Record<UrgencyClass, ClassLimits>;
  /** Resolution hours per request type, for the classes in `requestTypeClasses` (Sichuan: general only). */
  resolutionHoursByRequestType?: Partial<Record<RequestType, number>>;
  requestTypeClasses?: UrgencyClass[];
}

/** The shipped policy sets by id: `default` (the article's 24 h / 72 h) and `sichuan` (Sichuan's 2025 measures). */
export const POLICY_SETS: Readonly<Record<string, PolicySet>> = policySetsData.sets as unknown as Record<string, PolicySet>;

/** The policy set used when neither the setting nor the configuration names one. */
export const DEFAULT_POLICY_SET = 'default';

/** The request type assumed when neither the submission nor the configuration gives one (求助). */
export const DEFAULT_REQUEST_TYPE: RequestType = 'help';

/** True for one of URGENCY_CLASSES. */
export function isUrgencyClass(v: string): v is UrgencyClass {
  return (URGENCY_CLASSES as readonly string[]).includes(v);
}

/** True for one of REQUEST_TYPES. */
export function isRequestType(v: string): v is RequestType {
  return (REQUEST_TYPES as readonly string[]).includes(v);
}

/** Which calendar and hours apply to a ticket: per service_code first, then per unit, then the default. */
export interface SlaConfig {
  /** Calendar for tickets that no rule names (default calendar-hours, the seed's rule). */
  defaultCalendar?: string;
  /** service_code → calendar id (wins over the unit: e.g. dangerous structures count every hour everywhere). */
  calendarByServiceCode?: Record<string, string>;
  /** Unit id (e.g. adm-513437100) → calendar id. */
  calendarByUnit?: Record<string, string>;
  /** service_code → hours that differ from the catalogue's slaPolicy (win over class and request type). */
  policyByServiceCode?: Record<string, Partial<SlaPolicyConfig>>;
  /** Policy set id (POLICY_SETS; default `default`); TONGBAN_SLA_POLICY_SET overrides it. */
  policySet?: string;
  /** service_code → urgency class; a category not named is `general`. */
  urgencyClassByServiceCode?: Record<string, UrgencyClass>;
  /** service_code → the request type assumed when the submission gives none (default `help`). */
  requestTypeByServiceCode?: Record<string, RequestType>;
  /** Per-class overrides of the selected set's limits. */
  urgencyClasses?: Partial<Record<UrgencyClass, Partial<ClassLimits>>>;
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
  if (p.signForHours !== undefined && (typeof p.signForHours !== 'number' || !Number.isFinite(p.signForHours) || p.signForHours <= 0)) {
    problems.push({ reason: 'invalid_policy', message: `signForHours must be a positive number of hours (got ${String(p.signForHours)})` });
  }
  if (p.signForCalendar && !findCalendar(p.signForCalendar)) problems.push({ reason: 'unknown_calendar', message: `unknown calendar "${p.signForCalendar}"` });
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
  if (c.policySet !== undefined && !POLICY_SETS[c.policySet]) problems.push(`policySet: unknown policy set "${c.policySet}" (known: ${Object.keys(POLICY_SETS).join(', ')})`);
  for (const [code, cls] of Object.entries<string>(c.urgencyClassByServiceCode ?? {})) {
    if (!isUrgencyClass(cls)) problems.push(`urgencyClassByServiceCode.${code}: unknown urgency class "${cls}"`);
  }
  for (const [code, type] of Object.entries<string>(c.requestTypeByServiceCode ?? {})) {
    if (!isRequestType(type)) problems.push(`requestTypeByServiceCode.${code}: unknown request type "${type}"`);
  }
  for (const [cls, limits] of Object.entries(c.urgencyClasses ?? {})) {
    if (!isUrgencyClass(cls)) { problems.push(`urgencyClasses.${cls}: unknown urgency class`); continue; }
    for (const field of ['signForHours', 'firstResponseHours', 'resolutionHours'] as const) {
      const v = limits?.[field];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) problems.push(`urgencyClasses.${cls}.${field} must be a positive number of hours (got ${String(v)})`);
    }
    for (const field of ['calendar', 'signForCalendar'] as const) {
      const id = limits?.[field];
      if (id !== undefined && !findCalendar(id)) problems.push(`urgencyClasses.${cls}.${field}: unknown calendar "${id}"`);
    }
  }
  for (const [code, override] of Object.entries(c.policyByServiceCode ?? {})) {
    for (const p of slaPolicyProblems({ ...base, ...override })) problems.push(`policyByServiceCode.${code}: ${p.message}`);
  }
  for (const p of slaPolicyProblems(base)) problems.push(`catalogue slaPolicy: ${p.message}`);
  if (problems.length) throw new SlaConfigError(problems);
  return c;
}

/**
 * The policy snapshot for a new ticket of `serviceCode` held first by `unitId` (issue 14 item 1).
 * Class: `urgencyClassByServiceCode` (else general). Hours: the category's `policyByServiceCode`, else the
 * request type's resolution limit (sets that have one, for their `requestTypeClasses`), else the class's
 * limits (set, then `urgencyClasses` overrides), else the catalogue's. Calendar: by service_code, else by
 * unit, else `defaultCalendar`, else the class's. Calendar hours are omitted from the snapshot (so
 * snapshots of the seed's rule stay as they were). `policySet` overrides the configuration's set
 * (TONGBAN_SLA_POLICY_SET). Unknown set: the default set.
 */
export function slaPolicyFor(
  base: SlaPolicyConfig, config: SlaConfig, at: { serviceCode: string; unitId?: string; requestType?: string; policySet?: string },
): SlaPolicySnapshot {
  const setId = at.policySet || config.policySet || DEFAULT_POLICY_SET;
  const set = POLICY_SETS[setId] ?? POLICY_SETS[DEFAULT_POLICY_SET];
  const urgencyClass: UrgencyClass = config.urgencyClassByServiceCode?.[at.serviceCode] ?? 'general';
  const requestType: RequestType = at.requestType && isRequestType(at.requestType)
    ? at.requestType : config.requestTypeByServiceCode?.[at.serviceCode] ?? DEFAULT_REQUEST_TYPE;
  const limits: Partial<ClassLimits> = { ...(set?.classes[urgencyClass] ?? {}), ...(config.urgencyClasses?.[urgencyClass] ?? {}) };
  const byType = set?.requestTypeClasses?.includes(urgencyClass) ? set.resolutionHoursByRequestType?.[requestType] : undefined;
  const override = config.policyByServiceCode?.[at.serviceCode] ?? {};
  const hours = {
    firstResponseHours: override.firstResponseHours ?? limits.firstResponseHours ?? base.firstResponseHours,
    resolutionHours: override.resolutionHours ?? byType ?? limits.resolutionHours ?? base.resolutionHours,
    warnAtFraction: override.warnAtFraction ?? base.warnAtFraction,
  };
  const calendar = config.calendarByServiceCode?.[at.serviceCode]
    ?? (at.unitId ? config.calendarByUnit?.[at.unitId] : undefined)
    ?? config.defaultCalendar
    ?? limits.calendar
    ?? CALENDAR_HOURS_ID;
  const signForCalendar = limits.signForCalendar ?? calendar;
  return {
    ...hours,
    ...(calendar && calendar !== CALENDAR_HOURS_ID ? { calendar } : {}),
    urgencyClass,
    policySet: POLICY_SETS[setId] ? setId : DEFAULT_POLICY_SET,
    requestType,
    ...(limits.signForHours ? { signForHours: limits.signForHours } : {}),
    ...(limits.signForHours && signForCalendar !== calendar ? { signForCalendar } : {}),
  };
}
