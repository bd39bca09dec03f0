import type pg from 'pg';

/**
 * Brute-force throttling of sign-in, per account (keyed by the username given, whether it exists or not,
 * so that a lockout reveals nothing) and per client address, in PostgreSQL (shared by every replica):
 *
 * - account: from the 5th consecutive failure on, each further attempt must wait 2^(n−5) s (1, 2, 4, 8 s…);
 *   the 10th failure locks the account for 15 min. A success clears it.
 * - address: from the 20th failure (within 15 min of the previous one) the same backoff; the 100th locks the
 *   address for 15 min. Failures older than 15 min are forgotten.
 *
 * A refused attempt is answered 429 with `Retry-After` (seconds) and is not counted.
 */
const THROTTLE_POLICY = {
  account: { backoffAfter: 5, lockAfter: 10, lockMs: 15 * 60_000 },
  address: { backoffAfter: 20, lockAfter: 100, lockMs: 15 * 60_000 },
  /** Longest backoff wait, ms. */
  maxBackoffMs: 5 * 60_000,
  /** Failures older than this are forgotten, ms. */
  forgetAfterMs: 15 * 60_000,
} as const;

/** The throttle key of a username and of a client address. */
const accountKey = (username: string) => `user:${username.trim().toLowerCase()}`;
const addressKey = (ip: string) => `ip:${ip}`;

/** The state of one key. */
export interface ThrottleState {
  failures: number;
  lastFailureAt: Date;
  lockedUntil?: Date;
}

type Policy = { backoffAfter: number; lockAfter: number; lockMs: number };

/** Seconds to wait before the next attempt (0: allowed now). Pure. */
function waitSeconds(state: ThrottleState | undefined, policy: Policy, now: Date): number {
  if (!state) return 0;
  if (state.lockedUntil && state.lockedUntil > now) return Math.ceil((state.lockedUntil.getTime() - now.getTime()) / 1000);
  if (now.getTime() - state.lastFailureAt.getTime() > THROTTLE_POLICY.forgetAfterMs) return 0;
  if (state.failures < policy.backoffAfter) return 0;
  const backoffMs = Math.min(1000 * 2 ** (state.failures - policy.backoffAfter), THROTTLE_POLICY.maxBackoffMs);
  const allowedAt = state.lastFailureAt.getTime() + backoffMs;
  return allowedAt > now.getTime() ? Math.ceil((allowedAt - now.getTime()) / 1000) : 0;
}

/** Throttle counters in `identity_throttle`. */
export class Throttle {
  constructor(private readonly pool: pg.Pool) {}

  async state(key: string): Promise<ThrottleState | undefined> {
    const { rows } = await this.pool.query<{ failures: number; last_failure_at: Date; locked_until: Date | null }>(
      'SELECT failures, last_failure_at, locked_until FROM identity_throttle WHERE key = $1', [key],
    );
    const r = rows[0];
    return r ? { failures: r.failures, lastFailureAt: r.last_failure_at, ...(r.locked_until ? { lockedUntil: r.locked_until } : {}) } : undefined;
  }

  /** Seconds the attempt must wait: the longer of the account's and the address's (0: go ahead). */
  async check(username: string, ip: string, now: Date): Promise<number> {
    const [account, address] = await Promise.all([this.state(accountKey(username)), this.state(addressKey(ip))]);
    return Math.max(waitSeconds(account, THROTTLE_POLICY.account, now), waitSeconds(address, THROTTLE_POLICY.address, now));
  }

  /** Counts a failure for the account and the address, locking them when they reach their limit. */
  async failed(username: string, ip: string, now: Date): Promise<void> {
    await this.count(accountKey(username), THROTTLE_POLICY.account, now);
    await this.count(addressKey(ip), THROTTLE_POLICY.address, now);
  }

  /** Clears the account's counter (a successful sign-in). */
  async succeeded(username: string): Promise<void> {
    await this.pool.query('DELETE FROM identity_throttle WHERE key = $1', [accountKey(username)]);
  }

  private async count(key: string, policy: Policy, now: Date): Promise<void> {
    const forgetBefore = new Date(now.getTime() - THROTTLE_POLICY.forgetAfterMs);
    await this.pool.query(
      `INSERT INTO identity_throttle (key, failures, last_failure_at) VALUES ($1, 1, $2)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN identity_throttle.last_failure_at < $3 AND (identity_throttle.locked_until IS NULL OR identity_throttle.locked_until < $2) THEN 1 ELSE identity_throttle.failures + 1 END,
         last_failure_at = $2,
         locked_until = CASE WHEN (CASE WHEN identity_throttle.last_failure_at < $3 THEN 1 ELSE identity_throttle.failures + 1 END) >= $4 THEN $5::timestamptz ELSE identity_throttle.locked_until END`,
      [key, now, forgetBefore, policy.lockAfter, new Date(now.getTime() + policy.lockMs)],
    );
  }
}
