/**
 * Prints a staff token for a seeded staff member:
 *
 *   npm run -s token -- --role <role> --division <code> [--department <type>] [--ttl <seconds>]
 *
 * Roles and the unit whose seeded member the token is for:
 * - admin: the administration responsible for the division (a village → its township);
 * - department: the department of that type in the division's county (`--department` required);
 * - supervisor: the county or prefecture administration of the code (a county or the prefecture code);
 * - auditor: the prefecture administration;
 * - information-officer: the township administration of the code; the token's division is the code itself
 *   (a village officer's jurisdiction).
 * Signed with TONGBAN_JWT_SECRET (or the development default). Only the token goes to stdout, so that
 * `TOKEN=$(npm run -s token -- --role admin --division 513437100001)` works; errors go to stderr, exit 2.
 */
import { parseArgs } from 'node:util';
import { signToken, signingKey, type StaffPrincipal } from '@tongban/auth';
import type { StaffRole, Unit } from '@tongban/domain';
import { type ReferenceData, loadReferenceData } from '@tongban/reference-data';
import { loadConfig, systemClock } from '@tongban/runtime';

/** The roles this script issues tokens for. */
export const TOKEN_ROLES: readonly StaffRole[] = ['information-officer', 'admin', 'department', 'supervisor', 'auditor'];

const USAGE = `usage: npm run -s token -- --role <${TOKEN_ROLES.join('|')}> --division <code> [--department <type>] [--ttl <seconds>]`;

/** A request the script cannot satisfy (bad arguments, unknown division…): message for stderr, exit 2. */
export class TokenRequestError extends Error {
  override readonly name = 'TokenRequestError';
  readonly code = 'invalid_token_request';
}

/** What to issue a token for. */
export interface TokenRequest {
  role: StaffRole;
  division: string;
  department?: string;
}

function unitOrFail(unit: Unit | undefined, what: string): Unit {
  if (!unit) throw new TokenRequestError(`no ${what}`);
  return unit;
}

/**
 * The principal of the seeded staff member for a role and division.
 * @throws TokenRequestError when the division, department type or role does not fit.
 */
export function staffPrincipalFor(ref: ReferenceData, req: TokenRequest): StaffPrincipal {
  const division = ref.divisions.get(req.division);
  if (!division) throw new TokenRequestError(`unknown division ${req.division}`);
  let unit: Unit;
  let claimDivision: string | undefined;
  switch (req.role) {
    case 'admin':
      unit = unitOrFail(ref.responsibleUnit(division.code), `administration unit for division ${division.code}`);
      break;
    case 'department': {
      if (!req.department) {
        const types = ref.catalogue.departmentTypes.map((t) => t.code).join(', ');
        throw new TokenRequestError(`--role department needs --department <type> (one of ${types})`);
      }
      if (!ref.catalogue.departmentTypes.some((t) => t.code === req.department)) {
        const types = ref.catalogue.departmentTypes.map((t) => t.code).join(', ');
        throw new TokenRequestError(`unknown department type ${req.department} (one of ${types})`);
      }
      if (division.level === 'prefecture') throw new TokenRequestError('departments are per county: give a county (or lower) division code');
      unit = unitOrFail(ref.departmentUnit(division.code, req.department), `${req.department} department for division ${division.code}`);
      break;
    }
    case 'supervisor':
      if (division.level !== 'county' && division.level !== 'prefecture') {
        const county = ref.divisions.ancestorAt(division.code, 'county');
        const prefecture = ref.divisions.ancestorAt(division.code, 'prefecture');
        throw new TokenRequestError(`supervisors sit at county or prefecture level; ${division.code} (${division.name}) is a ${division.level}: `
          + `give its county ${county?.code ?? '?'} or the prefecture ${prefecture?.code ?? '?'}`);
      }
      unit = unitOrFail(ref.unitsById.get(`adm-${division.code}`), `administration unit for division ${division.code}`);
      break;
    case 'auditor': {
      const prefecture = ref.divisions.ancestorAt(division.code, 'prefecture');
      unit = unitOrFail(prefecture ? ref.unitsById.get(`adm-${prefecture.code}`) : undefined, 'prefecture administration');
      break;
    }
    case 'information-officer': {
      const township = ref.divisions.ancestorAt(division.code, 'township');
      if (!township) {
        throw new TokenRequestError(`information officers work at township or village level; ${division.code} (${division.name}) is a ${division.level}`);
      }
      unit = unitOrFail(ref.unitsById.get(`adm-${township.code}`), `administration unit for township ${township.code}`);
      claimDivision = division.code;
      break;
    }
    default:
      throw new TokenRequestError(`unknown role ${String(req.role)}; ${USAGE}`);
  }
  const member = ref.staff.find((s) => s.unitId === unit.id && s.role === req.role);
  if (!member) throw new TokenRequestError(`no seeded ${req.role} in unit ${unit.id}`);
  return {
    kind: 'staff',
    id: member.id,
    role: req.role,
    unitId: unit.id,
    division: claimDivision ?? unit.division,
    ...(unit.departmentType ? { department: unit.departmentType } : {}),
  };
}

/**
 * Parses the command line.
 * @throws TokenRequestError on unknown options or missing values.
 */
export function parseTokenArgs(argv: string[]): TokenRequest & { ttlSeconds?: number; help: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' }, division: { type: 'string' }, department: { type: 'string' },
        ttl: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new TokenRequestError(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  if (values['help'] === true) return { role: 'admin', division: '', help: true };
  const role = values['role'];
  const division = values['division'];
  if (typeof role !== 'string' || !(TOKEN_ROLES as readonly string[]).includes(role)) {
    throw new TokenRequestError(`${typeof role === 'string' ? `unknown role ${role}` : '--role is required'}\n${USAGE}`);
  }
  if (typeof division !== 'string' || division === '') throw new TokenRequestError(`--division is required\n${USAGE}`);
  const ttl = values['ttl'];
  let ttlSeconds: number | undefined;
  if (typeof ttl === 'string') {
    ttlSeconds = Number(ttl);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new TokenRequestError('--ttl must be a positive number of seconds');
  }
  const department = values['department'];
  return {
    role: role as StaffRole,
    division,
    ...(typeof department === 'string' ? { department } : {}),
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    help: false,
  };
}

async function main(): Promise<void> {
  try {
    const args = parseTokenArgs(process.argv.slice(2));
    if (args.help) {
      process.stderr.write(`${USAGE}\n`);
      return;
    }
    const principal = staffPrincipalFor(loadReferenceData(), args);
    const token = await signToken(principal, signingKey(loadConfig().jwtSecret), systemClock.now(), args.ttlSeconds);
    process.stdout.write(`${token}\n`);
  } catch (err) {
    process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) void main();
