/**
 * The webhook outbox (issue 16 items 14 and 15): one row per (message id, subscription), written when
 * the notice's event is handled, then sent by {@link WebhookSender} loops (one per notification
 * replica) that claim due rows with `FOR UPDATE SKIP LOCKED` and a lease before POSTing.
 *
 * - **One POST per delivery across replicas**: a row is sent only by the replica holding its claim;
 *   another replica (or a redelivered event) finds it claimed, delivered or pending and sends nothing.
 *   Handling the event only writes the row, so a slow receiver never holds the event consumer (and no
 *   backlog outlasts the ack wait because of it).
 * - **Retries over a long horizon**: a failure (network error, timeout, non-2xx) is retried with
 *   exponential backoff (1 s, 2 s, 4 s … at most `maxBackoffMs`, ±20 % jitter) for `retryHours`
 *   after the first attempt; then the row is `abandoned` (an error log line and a metric) until an
 *   operator redrives it (`npm run webhooks -- redrive`).
 * - **Crash between POST and recording it**: the claim's lease (longer than the request timeout)
 *   expires and the row is sent again — the only duplicate, with the same `webhook-id`.
 *
 * States: `pending` (waiting for its next attempt, or claimed while `claimed_until` is in the future) →
 * `delivered` | `abandoned`. All times are the database's clock (real time, UTC).
 */
import { Counter, Gauge } from 'prom-client';
import type pg from 'pg';
import type { Principal } from '@tongban/auth';
import type { notification } from '@tongban/contracts';
import type { Migration } from '@tongban/eventstore';
import { singleMetric } from '@tongban/messaging';
import { fail } from '@tongban/runtime';

/** The outbox table (after 003_notification_ledger). */
export const WEBHOOK_OUTBOX_MIGRATIONS: readonly Migration[] = [{
  id: '005_webhook_outbox',
  sql: `
    CREATE TABLE webhook_outbox (
      message_id uuid NOT NULL,
      subscription_id text NOT NULL,
      ticket_id uuid NOT NULL,
      kind text NOT NULL,
      body text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'abandoned')),
      attempts integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      retry_from timestamptz NOT NULL DEFAULT now(),
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      claimed_until timestamptz,
      last_attempt_at timestamptz,
      last_error text,
      delivered_at timestamptz,
      PRIMARY KEY (message_id, subscription_id)
    );
    CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE state = 'pending';
    -- Deliveries recorded before the outbox existed are delivered.
    INSERT INTO webhook_outbox (message_id, subscription_id, ticket_id, kind, body, state, delivered_at)
      SELECT d.message_id, d.subscription_id, m.ticket_id, m.kind, '', 'delivered', d.delivered_at
      FROM webhook_deliveries d JOIN inbox_messages m ON m.id = d.message_id
      ON CONFLICT DO NOTHING;`,
}];

/** One row to enqueue. */
export interface OutboxEntry {
  messageId: string;
  subscriptionId: string;
  ticketId: string;
  kind: string;
  /** The exact JSON body to POST (signed at each attempt). */
  body: string;
}

/** Enqueues deliveries; an existing row (any state) is left as it is. */
export async function enqueueWebhooks(pool: pg.Pool, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await pool.query(
    `INSERT INTO webhook_outbox (message_id, subscription_id, ticket_id, kind, body)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[])
     ON CONFLICT DO NOTHING`,
    [entries.map((e) => e.messageId), entries.map((e) => e.subscriptionId), entries.map((e) => e.ticketId), entries.map((e) => e.kind), entries.map((e) => e.body)],
  );
}

/** A claimed row. */
interface ClaimedDelivery extends OutboxEntry {
  attempts: number;
  /** When retries started (first attempt, or the last redrive). */
  retryFrom: Date;
}

/** Sends one claimed delivery; throws on failure. */
export type WebhookSend = (delivery: ClaimedDelivery) => Promise<void>;

/** Settings of {@link WebhookSender}. */
export interface WebhookSenderOptions {
  pool: pg.Pool;
  send: WebhookSend;
  /** How long failures are retried, hours (TONGBAN_WEBHOOK_RETRY_HOURS, default 24). */
  retryHours?: number;
  /** Longest pause between attempts, ms (default 10 min). */
  maxBackoffMs?: number;
  /** Claim lease, ms: longer than one request (default 30 s). */
  leaseMs?: number;
  /** Rows sent at once per replica (default 8). */
  concurrency?: number;
  /** Poll interval when idle, ms (default 500; enqueuing in this process wakes it at once). */
  pollMs?: number;
  /** Told about failures and abandoned deliveries. */
  onOutcome?: (outcome: { delivery: ClaimedDelivery; ok: boolean; abandoned: boolean; error?: unknown; nextAttemptMs?: number }) => void;
}

/** Backoff before attempt `attempts + 1`: 1 s · 2^(attempts−1), at most `maxMs`, ±20 % jitter. */
function webhookBackoffMs(attempts: number, maxMs: number, random = Math.random): number {
  const base = Math.min(1000 * 2 ** Math.max(0, attempts - 1), maxMs);
  return Math.round(base * (0.8 + 0.4 * random()));
}

function outboxMetrics() {
  return {
    outcomes: singleMetric('tongban_webhook_attempts_total', () => new Counter({
      name: 'tongban_webhook_attempts_total', help: 'Webhook POST attempts by outcome (delivered, failed, abandoned)', labelNames: ['subscription', 'outcome'],
    })),
    rows: singleMetric('tongban_webhook_deliveries', () => new Gauge({
      name: 'tongban_webhook_deliveries', help: 'Webhook deliveries in the outbox by state (pending, delivered, abandoned)', labelNames: ['subscription', 'state'],
    })),
  };
}

/** Counts of the outbox per subscription and state. */
export async function webhookDeliveryCounts(pool: pg.Pool): Promise<{ subscription: string; state: string; count: number }[]> {
  const { rows } = await pool.query<{ subscription: string; state: string; count: number }>(
    'SELECT subscription_id AS subscription, state, count(*)::int AS count FROM webhook_outbox GROUP BY 1, 2 ORDER BY 1, 2',
  );
  return rows;
}

/**
 * The sending loop of one replica. `start()` runs until `stop()`; `runOnce()` claims and sends what is
 * due once (tests). Database errors (an outage) end the round and are retried on the next one.
 */
export class WebhookSender {
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastCount = 0;
  private readonly metrics = outboxMetrics();
  private readonly retryMs: number;
  private readonly maxBackoffMs: number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly pollMs: number;

  constructor(private readonly options: WebhookSenderOptions) {
    this.retryMs = (options.retryHours ?? 24) * 3_600_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 600_000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.concurrency = options.concurrency ?? 8;
    this.pollMs = options.pollMs ?? 500;
  }

  /** Wakes the loop (after enqueuing). */
  kick(): void {
    this.wake?.();
  }

  /** Claims up to `concurrency` due rows, sends them in parallel, records each outcome. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    const { pool } = this.options;
    const { rows } = await pool.query<{ message_id: string; subscription_id: string; ticket_id: string; kind: string; body: string; attempts: number; retry_from: Date }>(
      `UPDATE webhook_outbox o SET claimed_until = now() + $2 * interval '1 millisecond', attempts = o.attempts + 1, last_attempt_at = now(),
              retry_from = CASE WHEN o.attempts = 0 THEN now() ELSE o.retry_from END
       FROM (SELECT message_id, subscription_id FROM webhook_outbox
             WHERE state = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
       WHERE o.message_id = due.message_id AND o.subscription_id = due.subscription_id
       RETURNING o.message_id, o.subscription_id, o.ticket_id, o.kind, o.body, o.attempts, o.retry_from`,
      [this.concurrency, this.leaseMs],
    );
    await Promise.all(rows.map(async (r) => {
      const delivery: ClaimedDelivery = {
        messageId: r.message_id, subscriptionId: r.subscription_id, ticketId: r.ticket_id, kind: r.kind, body: r.body, attempts: r.attempts, retryFrom: r.retry_from,
      };
      try {
        await this.options.send(delivery);
      } catch (error) {
        const abandoned = Date.now() - delivery.retryFrom.getTime() >= this.retryMs;
        const nextAttemptMs = abandoned ? undefined : webhookBackoffMs(delivery.attempts, this.maxBackoffMs);
        await pool.query(
          `UPDATE webhook_outbox SET claimed_until = NULL, last_error = $3, state = $4,
                  next_attempt_at = now() + $5 * interval '1 millisecond'
           WHERE message_id = $1 AND subscription_id = $2`,
          [delivery.messageId, delivery.subscriptionId, error instanceof Error ? error.message : String(error), abandoned ? 'abandoned' : 'pending', nextAttemptMs ?? 0],
        );
        this.metrics.outcomes.inc({ subscription: delivery.subscriptionId, outcome: abandoned ? 'abandoned' : 'failed' });
        this.options.onOutcome?.({ delivery, ok: false, abandoned, error, ...(nextAttemptMs !== undefined ? { nextAttemptMs } : {}) });
        return;
      }
      await pool.query(
        `UPDATE webhook_outbox SET state = 'delivered', delivered_at = now(), claimed_until = NULL, last_error = NULL
         WHERE message_id = $1 AND subscription_id = $2`,
        [delivery.messageId, delivery.subscriptionId],
      );
      this.metrics.outcomes.inc({ subscription: delivery.subscriptionId, outcome: 'delivered' });
      this.options.onOutcome?.({ delivery, ok: true, abandoned: false });
    }));
    return rows.length;
  }

  /** Starts the loop. */
  start(onError: (err: unknown) => void = () => undefined): void {
    this.loop ??= (async () => {
      while (!this.stopping) {
        let claimed = 0;
        try {
          claimed = await this.runOnce();
          if (Date.now() - this.lastCount > 10_000) {
            this.lastCount = Date.now();
            this.metrics.rows.reset();
            for (const c of await webhookDeliveryCounts(this.options.pool)) this.metrics.rows.set({ subscription: c.subscription, state: c.state }, c.count);
          }
        } catch (err) {
          onError(err);
        }
        if (claimed === 0 && !this.stopping) {
          await new Promise<void>((resolve) => {
            const done = (): void => { clearTimeout(timer); this.wake = null; resolve(); };
            const timer = setTimeout(done, this.pollMs);
            this.wake = done;
          });
        }
      }
    })();
  }

  /** Stops the loop after the round in hand. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }
}

/** A delivery as the operator command lists it. */
export interface OutboxRow {
  messageId: string;
  subscriptionId: string;
  ticketId: string;
  kind: string;
  state: string;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  lastError: string | null;
  deliveredAt: string | null;
}

/** Deliveries that are not delivered (or `states`), oldest first, at most `limit`. */
export async function listWebhookDeliveries(
  pool: pg.Pool, options: { states?: readonly string[]; subscription?: string; limit?: number } = {},
): Promise<OutboxRow[]> {
  const { rows } = await pool.query<{
    message_id: string; subscription_id: string; ticket_id: string; kind: string; state: string; attempts: number;
    created_at: Date; next_attempt_at: Date; last_error: string | null; delivered_at: Date | null;
  }>(
    `SELECT message_id, subscription_id, ticket_id, kind, state, attempts, created_at, next_attempt_at, last_error, delivered_at
     FROM webhook_outbox WHERE state = ANY($1::text[]) AND ($2::text IS NULL OR subscription_id = $2)
     ORDER BY created_at LIMIT $3`,
    [options.states ?? ['pending', 'abandoned'], options.subscription ?? null, options.limit ?? 1000],
  );
  return rows.map((r) => ({
    messageId: r.message_id, subscriptionId: r.subscription_id, ticketId: r.ticket_id, kind: r.kind, state: r.state, attempts: r.attempts,
    createdAt: r.created_at.toISOString(), nextAttemptAt: r.state === 'pending' ? r.next_attempt_at.toISOString() : null,
    lastError: r.last_error, deliveredAt: r.delivered_at?.toISOString() ?? null,
  }));
}

/**
 * Hands abandoned deliveries (of `subscription`, or all) back to the senders: pending now, with a new
 * retry horizon. Returns how many. A delivered row is never sent again.
 */
export async function redriveWebhookDeliveries(pool: pg.Pool, options: { subscription?: string; messageIds?: readonly string[] } = {}): Promise<number> {
  const { rowCount } = await pool.query(
    `UPDATE webhook_outbox SET state = 'pending', attempts = 0, next_attempt_at = now(), retry_from = now(), claimed_until = NULL
     WHERE state = 'abandoned' AND ($1::text IS NULL OR subscription_id = $1) AND ($2::uuid[] IS NULL OR message_id = ANY($2::uuid[]))`,
    [options.subscription ?? null, options.messageIds ?? null],
  );
  return rowCount ?? 0;
}

/** Staff roles that may read webhook delivery state (platform configuration, not a unit's business). */
const WEBHOOK_STATE_ROLES: readonly string[] = ['auditor', 'admin'];

/**
 * ListWebhookDeliveries: counts per subscription and state, and the deliveries of `state` (default:
 * pending and abandoned), oldest first, at most `limit` (0: 100; capped at 1000).
 * @throws ServiceFailure PERMISSION_DENIED `webhook_state_forbidden` for anyone but an auditor or admin;
 *   INVALID_ARGUMENT `invalid_state` for another state.
 */
export async function listWebhookDeliveriesRpc(
  pool: pg.Pool, principal: Principal, req: notification.ListWebhookDeliveriesRequest,
): Promise<notification.ListWebhookDeliveriesResponse> {
  if (principal.kind !== 'staff' || !WEBHOOK_STATE_ROLES.includes(principal.role)) {
    throw fail.forbidden('webhook_state_forbidden', 'only auditors and admins may read webhook delivery state');
  }
  if (req.state && !['pending', 'delivered', 'abandoned'].includes(req.state)) throw fail.invalid('invalid_state', 'state must be pending, delivered or abandoned');
  const limit = Math.min(Math.max(req.limit || 100, 1), 1000);
  const [counts, rows] = await Promise.all([
    webhookDeliveryCounts(pool),
    listWebhookDeliveries(pool, { ...(req.state ? { states: [req.state] } : {}), ...(req.subscriptionId ? { subscription: req.subscriptionId } : {}), limit }),
  ]);
  return {
    counts: counts.filter((c) => !req.subscriptionId || c.subscription === req.subscriptionId).map((c) => ({ subscriptionId: c.subscription, state: c.state, count: c.count })),
    deliveries: rows.map((r) => ({
      messageId: r.messageId, subscriptionId: r.subscriptionId, ticketId: r.ticketId, kind: r.kind, state: r.state, attempts: r.attempts,
      createdAt: r.createdAt, nextAttemptAt: r.nextAttemptAt ?? '', lastError: r.lastError ?? '', deliveredAt: r.deliveredAt ?? '',
    })),
  };
}
