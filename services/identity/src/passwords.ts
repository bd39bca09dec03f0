import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hash, verify } from '@node-rs/argon2';
import type pg from 'pg';
import { StaffRejection } from './staff';

/**
 * Password hashing: Argon2id (@node-rs/argon2, prebuilt binaries) with OWASP's first recommended setting,
 * m = 19 MiB, t = 2, p = 1 (login p50 measured in the README). Hashes live in `identity_passwords`, never
 * in an event. Unknown users are verified against a dummy hash, so their failure takes as long as a wrong
 * password.
 */
const ARGON2_OPTIONS = { algorithm: 2 /* Algorithm.Argon2id (a const enum) */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Minimum length of a new password, characters. */
const MIN_PASSWORD_LENGTH = 10;
/** Maximum length (bounds the hashing work per request), characters. */
const MAX_PASSWORD_LENGTH = 256;

const COMMON = new Set(
  readFileSync(join(__dirname, '..', 'data', 'common-passwords.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')),
);

/**
 * Checks a new password: length 10–256, not a common password (the bundled list, case-insensitive), not
 * the username.
 * @throws StaffRejection invalid weak_password naming the rule.
 */
export function checkNewPassword(password: string, username: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) throw new StaffRejection('invalid', 'weak_password', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (length > MAX_PASSWORD_LENGTH) throw new StaffRejection('invalid', 'weak_password', `a password has at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || lower === username.toLowerCase()) throw new StaffRejection('invalid', 'weak_password', 'this password is too common (or is the username); choose another');
}

let dummy: Promise<string> | undefined;

/** Password hashes of staff accounts. */
export class PasswordStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Hashes and stores a password (replacing the previous one). */
  async set(staffId: string, password: string, now: Date): Promise<void> {
    const h = await hash(password, ARGON2_OPTIONS);
    await this.pool.query(
      `INSERT INTO identity_passwords (staff_id, hash, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (staff_id) DO UPDATE SET hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at`, [staffId, h, now],
    );
  }

  /**
   * True when `password` is the account's. `staffId` undefined (unknown user) or an account without a
   * password still costs one Argon2 verification, against a dummy hash.
   */
  async verify(staffId: string | undefined, password: string): Promise<boolean> {
    const stored = staffId
      ? (await this.pool.query<{ hash: string }>('SELECT hash FROM identity_passwords WHERE staff_id = $1', [staffId])).rows[0]?.hash
      : undefined;
    dummy ??= hash('tongban-dummy-password-for-timing', ARGON2_OPTIONS);
    const ok = await verify(stored ?? await dummy, password.slice(0, MAX_PASSWORD_LENGTH)).catch(() => false);
    return ok && stored !== undefined;
  }
}
