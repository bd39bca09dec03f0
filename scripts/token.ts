/**
 * Prints a staff token for a seeded staff member:
 *
 *   npm run -s token -- --role <role> --division <code> [--department <type>] [--ttl <seconds>]
 *
 * Roles and the unit whose seeded member the token is for:
 * - admin: the administration responsible for the division (a village → its township);
 * - department: the department of that type in the division's county (`--department` required);
 * - supervisor, hotline: the county or prefecture administration of the code (a county or the prefecture code);
 * - auditor: the prefecture administration;
 * - information-officer: the township administration of the code; the token's division is the code itself
 *   (a village officer's jurisdiction).
 * The unit is chosen by `seededStaff` (@tongban/reference-data), as the test stack does.
 * Signed with the installation's key, as identity signs: derived from TONGBAN_JWT_SECRET when set, else the
 * generated installation key in DATABASE_URL's table `identity_installation_key` (created if the platform
 * has not started yet). Only the token goes to stdout, so that
 * `TOKEN=$(npm run -s token -- --role admin --division 513437100001)` works; errors go to stderr, exit 2.
 * Nothing secret is logged: not the secret, not the key (the token itself goes to stdout only).
 */
import { parseArgs } from 'node:util';
import { signToken } from '@tongban/auth';
import { STAFF_ROLES, type StaffRole } from '@tongban/domain';
import { loadReferenceData, seededStaff } from '@tongban/reference-data';
import { createPool } from '@tongban/eventstore';
import { endQuietlyWhenStdoutCloses, loadConfig, systemClock } from '@tongban/runtime';
import { loadKeyRing } from '../services/identity/src/signing-keys';

const USAGE = `usage: npm run -s token -- --role <${STAFF_ROLES.join('|')}> --division <code> [--department <type>] [--ttl <seconds>]`;

/** Bad arguments: message for stderr, exit 2 (as for an UnknownStaffError from `seededStaff`). */
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
  if (typeof role !== 'string' || !(STAFF_ROLES as readonly string[]).includes(role)) {
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
    const principal = seededStaff(loadReferenceData(), args.role, args.division, args.department);
    const pool = createPool(loadConfig().databaseUrl, { max: 1 });
    let ring;
    try {
      ring = await loadKeyRing(process.env, pool);
    } finally {
      await pool.end();
    }
    const token = await signToken(principal, ring.signing, systemClock.now(), args.ttlSeconds);
    process.stdout.write(`${token}\n`);
  } catch (err) {
    process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}

if (require.main === module) {
  endQuietlyWhenStdoutCloses();
  void main();
}
