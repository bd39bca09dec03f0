import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import type { Clock } from '@tongban/domain';
import { nextReference } from './reference-number';

/**
 * The retry window of Open311 submissions. Open311 has no idempotency key, and clients (FixMyStreet,
 * mobile apps) re-send a POST whose answer they did not get. Within the window, a submission from the
 * same client application and device (device_id) with the same body (SHA-256 of the canonical request)
 * gets the ticket of the first one instead of a second ticket. After the window, the same body is a new
 * report. Submissions without a device id are never merged (two people may report the same thing).
 */

/** Environment variable of the window, seconds (0 turns the merging off). */
const RETRY_WINDOW_ENV = 'TONGBAN_OPEN311_RETRY_WINDOW_SECONDS';

/** Default window: one hour. */
const DEFAULT_RETRY_WINDOW_SECONDS = 3600;

/**
 * The configured window in seconds.
 * @throws Error when the variable is not a non-negative number.
 */
export function retryWindowSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[RETRY_WINDOW_ENV];
  if (raw === undefined || raw === '') return DEFAULT_RETRY_WINDOW_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`${RETRY_WINDOW_ENV} must be a number of seconds ≥ 0, not ${raw}`);
  return seconds;
}

/** The ticket a submission goes to, and whether an earlier submission already claimed it. */
export interface ClaimedIds {
  ticketId: string;
  reference: string;
  replayed: boolean;
}

/**
 * Claims the ticket id for a submission inside the retry window: the earlier submission's when there
 * is one within the window (replayed), else a new id and reference. Concurrent identical submissions
 * race on the row; the loser gets the winner's ticket.
 */
export async function claimRetryWindow(
  deps: { pool: pg.Pool; clock: Clock },
  owner: string,
  deviceId: string,
  requestHash: string,
  windowSeconds: number,
): Promise<ClaimedIds> {
  const now = deps.clock.now();
  const since = new Date(now.getTime() - windowSeconds * 1000);
  const current = async () => (await deps.pool.query<{ ticket_id: string; reference: string }>(
    `SELECT ticket_id, reference FROM intake_submission_retries
     WHERE principal = $1 AND device_id = $2 AND request_hash = $3 AND created_at > $4`,
    [owner, deviceId, requestHash, since],
  )).rows[0];
  const earlier = await current();
  if (earlier) return { ticketId: earlier.ticket_id, reference: earlier.reference, replayed: true };
  const ticketId = uuidv7();
  const reference = await nextReference(deps.pool, now);
  const claimed = await deps.pool.query(
    `INSERT INTO intake_submission_retries (principal, device_id, request_hash, ticket_id, reference, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (principal, device_id, request_hash) DO UPDATE
       SET ticket_id = EXCLUDED.ticket_id, reference = EXCLUDED.reference, created_at = EXCLUDED.created_at
       WHERE intake_submission_retries.created_at <= $7
     RETURNING ticket_id`,
    [owner, deviceId, requestHash, ticketId, reference, now, since],
  );
  if (claimed.rowCount) return { ticketId, reference, replayed: false };
  const winner = await current();
  if (!winner) throw new Error('retry window row vanished');
  return { ticketId: winner.ticket_id, reference: winner.reference, replayed: true };
}
