import type pg from 'pg';
import { withTransaction } from '@tongban/eventstore';

/**
 * The delivery ledger of the channels that reach people outside the platform (SMS, e-mail): one row per
 * message id (event + recipient, see `messageIdOf`) + channel + address (its keyed hash, {@link AddressHash}),
 * written BEFORE the provider is called and updated with the outcome before the event is acknowledged.
 *
 * States: `sending` (claimed, with a lease) → `sent` | `failed` (permanent: recorded, never retried) |
 * `pending` (a transient failure released the claim: the event's redelivery tries again) | `in_doubt`
 * (see below) | `opted_out`.
 *
 * Exactly once, and what a crash does: a redelivered event finds `sent`/`failed`/`in_doubt` and sends
 * nothing. A live claim of another replica (`sending`, lease not expired) makes the redelivery wait
 * (retried later). If the process died between the provider call and recording its outcome, the row
 * stays `sending` until its lease (longer than the provider timeout) expires; the next delivery finds a
 * stale claim, i.e. a send that may or may not have reached the provider:
 * - when the provider can tell (`SmsProvider.wasSent`: Alibaba Cloud lists OutId = our message id in
 *   QuerySendDetails; the log provider), it is asked, and a message it accepted is recorded `sent`
 *   without sending again — no duplicate;
 * - otherwise the message is sent once more (attempt 2) — at most one duplicate — and if that attempt
 *   is also lost in a crash the row becomes `in_doubt` and is never sent again. Duplicates ≤ 1.
 */

/**
 * The keyed hash the ledger keeps for an address (issue 14 item 6): the rows never hold a reporter's phone or
 * e-mail, so erasing the reporter leaves neither behind. What is sent goes to the address the event gives
 * (opened with the reporter's key); the ledger only needs to recognise the same address again. Built with
 * {@link ledgerAddressHash}.
 */
export type AddressHash = (channel: LedgerChannel, address: string) => string;

/** Prefix of a hashed ledger address (rows written before hashing hold the address itself). */
const HASHED = 'hmac:';

/** {@link AddressHash} from a keyed hash of a scope (ReporterKeyStore.deviceHash: HMAC-SHA256, hex): `hmac:<hex>`. */
export function ledgerAddressHash(keyedHash: (scope: string) => string): AddressHash {
  return (channel, address) => `${HASHED}${keyedHash(`ledger:${channel}:${address}`)}`;
}

/**
 * Replaces the addresses of rows written before addresses were hashed by their hash (idempotent; replicas
 * may run it side by side). @returns the rows changed.
 */
export async function hashLedgerAddresses(pool: pg.Pool, hash: AddressHash): Promise<number> {
  const { rows } = await pool.query<{ channel: LedgerChannel; address: string }>(
    `SELECT DISTINCT channel, address FROM notification_ledger WHERE address NOT LIKE '${HASHED}%'`,
  );
  let changed = 0;
  for (const r of rows) {
    const res = await pool.query('UPDATE notification_ledger SET address = $3 WHERE channel = $1 AND address = $2', [r.channel, r.address, hash(r.channel, r.address)]);
    changed += res.rowCount ?? 0;
  }
  return changed;
}

/** Lease of a claim: longer than any provider call (10 s timeout) plus recording it. */
export const CLAIM_LEASE_MS = 30_000;

export type LedgerChannel = 'sms' | 'email';

/** Which row. */
export interface LedgerKey {
  messageId: string;
  channel: LedgerChannel;
  /** Phone number or e-mail address (stored as its {@link AddressHash}). */
  address: string;
}

/** Row details written with the claim. */
export interface LedgerContext {
  eventId: string;
  ticketId: string;
  kind: string;
}

/** The outcome of a claim. */
export type Claim =
  /** Send now. `stale`: an earlier attempt was claimed but never recorded (the process died mid-send). */
  | { action: 'send'; attempt: number; stale: boolean; staleClaims: number; claimedAt: Date }
  /** Already handled (sent, failed, in doubt, opted out): send nothing. */
  | { action: 'done'; state: string }
  /** Another process holds a live claim: retry later. */
  | { action: 'busy' };

export class DeliveryLedger {
  constructor(private readonly pool: pg.Pool, private readonly hash: AddressHash, private readonly leaseMs = CLAIM_LEASE_MS) {}

  /** The row's key as stored: the address hashed. */
  private row(key: LedgerKey): [string, LedgerChannel, string] {
    return [key.messageId, key.channel, this.hash(key.channel, key.address)];
  }

  /** Claims a delivery (one transaction; the row lock serialises concurrent claims). */
  async claim(key: LedgerKey, ctx: LedgerContext): Promise<Claim> {
    return withTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO notification_ledger (message_id, channel, address, event_id, ticket_id, kind, state, attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, now(), now()) ON CONFLICT DO NOTHING`,
        [...this.row(key), ctx.eventId, ctx.ticketId, ctx.kind],
      );
      const { rows } = await client.query<{ state: string; attempts: number; stale: boolean; claimed_at: Date | null }>(
        `SELECT state, attempts, (state = 'sending' AND lease_until < now()) AS stale, claimed_at
         FROM notification_ledger WHERE message_id = $1 AND channel = $2 AND address = $3 FOR UPDATE`,
        this.row(key),
      );
      const row = rows[0]!;
      let claim: Claim;
      if (row.state === 'pending' || row.stale) {
        const updated = await client.query<{ attempts: number; claimed_at: Date; stale_claims: number }>(
          `UPDATE notification_ledger SET state = 'sending', attempts = attempts + 1, claimed_at = now(),
             stale_claims = stale_claims + (CASE WHEN state = 'sending' THEN 1 ELSE 0 END),
             lease_until = now() + ($4::bigint * interval '1 millisecond'), updated_at = now()
           WHERE message_id = $1 AND channel = $2 AND address = $3 RETURNING attempts, claimed_at, stale_claims`,
          [...this.row(key), this.leaseMs],
        );
        const u = updated.rows[0]!;
        claim = { action: 'send', attempt: u.attempts, stale: row.stale, staleClaims: u.stale_claims, claimedAt: row.claimed_at ?? u.claimed_at };
      } else {
        claim = row.state === 'sending' ? { action: 'busy' } : { action: 'done', state: row.state };
      }
      return claim;
    });
  }

  /** Records the final state of a claimed delivery. */
  async finish(key: LedgerKey, ctx: LedgerContext, state: 'sent' | 'failed' | 'in_doubt' | 'opted_out', details: { providerId?: string; error?: string } = {}): Promise<void> {
    await this.pool.query(
      `INSERT INTO notification_ledger (message_id, channel, address, event_id, ticket_id, kind, state, attempts, provider_id, error, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, now(), now())
       ON CONFLICT (message_id, channel, address) DO UPDATE SET state = $7, provider_id = $8, error = $9, lease_until = NULL, updated_at = now()`,
      [...this.row(key), ctx.eventId, ctx.ticketId, ctx.kind, state, details.providerId ?? null, details.error ?? null],
    );
  }

  /** Releases a claim after a transient failure: the event's redelivery tries again. */
  async release(key: LedgerKey, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE notification_ledger SET state = 'pending', error = $4, lease_until = NULL, updated_at = now()
       WHERE message_id = $1 AND channel = $2 AND address = $3 AND state = 'sending'`,
      [...this.row(key), error],
    );
  }

  /** True when the address asked not to be sent messages on the channel (opt-out). */
  async optedOut(channel: LedgerChannel, address: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM notification_opt_outs WHERE channel = $1 AND address = $2', [channel, address]);
    return (rowCount ?? 0) > 0;
  }
}

/** Opts an address out of (or back into) a channel. */
export async function setOptOut(pool: pg.Pool, channel: LedgerChannel, address: string, out: boolean): Promise<void> {
  if (out) await pool.query('INSERT INTO notification_opt_outs (channel, address, opted_out_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING', [channel, address]);
  else await pool.query('DELETE FROM notification_opt_outs WHERE channel = $1 AND address = $2', [channel, address]);
}

/** Migrations of the ledger and the opt-outs. */
export const LEDGER_MIGRATIONS = [
  {
    id: '003_notification_ledger',
    sql: `
      CREATE TABLE notification_ledger (
        message_id uuid NOT NULL,
        channel text NOT NULL,
        address text NOT NULL,
        event_id uuid NOT NULL,
        ticket_id uuid NOT NULL,
        kind text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'in_doubt', 'opted_out')),
        attempts int NOT NULL,
        -- Claims found stale (the process died mid-send): the second makes the row in_doubt.
        stale_claims int NOT NULL DEFAULT 0,
        claimed_at timestamptz,
        lease_until timestamptz,
        provider_id text,
        error text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (message_id, channel, address)
      );
      CREATE INDEX notification_ledger_ticket ON notification_ledger (ticket_id);
      CREATE TABLE notification_opt_outs (
        channel text NOT NULL,
        address text NOT NULL,
        opted_out_at timestamptz NOT NULL,
        PRIMARY KEY (channel, address)
      );`,
  },
] as const;
