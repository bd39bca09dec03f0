import { createHmac, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { NotificationChannel, NoticeContext } from './channels';
import type { Notice } from './recipients';

/** A webhook subscription (TONGBAN_WEBHOOKS: a JSON array of these). */
export interface WebhookSubscription {
  id: string;
  /** http(s) URL the notices are POSTed to. */
  url: string;
  /** HMAC-SHA256 key for `Tongban-Signature`. */
  secret: string;
  /** Unit ids whose notices it receives; absent: every unit. */
  units?: readonly string[];
  /** Notice kinds it receives (ticket-arrived, public-reply, …); absent: every kind. */
  kinds?: readonly string[];
}

/** The JSON body POSTed for one notice. */
export interface WebhookPayload {
  /** Deterministic message id (also in `Tongban-Delivery`): the same on every retry. */
  id: string;
  kind: string;
  ticketId: string;
  recipient: { kind: string; id: string };
  title: string;
  body: string;
  /** When the causing event was recorded (stable across retries). */
  createdAt: string;
}

/** TONGBAN_WEBHOOKS is not valid (refused at start: the service does not run on a bad configuration). */
export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
  readonly code = 'invalid_webhook_config';
}

/** One webhook delivery failed (network error, timeout, or a non-2xx answer). */
export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  readonly code = 'webhook_delivery_failed';
}

export const SIGNATURE_HEADER = 'Tongban-Signature';
export const DELIVERY_HEADER = 'Tongban-Delivery';
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;

const KEYS = new Set(['id', 'url', 'secret', 'units', 'kinds']);

/**
 * Parses TONGBAN_WEBHOOKS (unset or empty: no subscriptions).
 * @throws WebhookConfigError naming the entry and field that is wrong.
 */
export function parseWebhookSubscriptions(raw: string | undefined): WebhookSubscription[] {
  if (raw === undefined || raw.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new WebhookConfigError(`TONGBAN_WEBHOOKS is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!Array.isArray(json)) throw new WebhookConfigError('TONGBAN_WEBHOOKS must be a JSON array of {id, url, secret, units?, kinds?}');
  const seen = new Set<string>();
  return json.map((entry: unknown, i): WebhookSubscription => {
    const fail = (what: string): never => { throw new WebhookConfigError(`TONGBAN_WEBHOOKS[${i}]: ${what}`); };
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return fail('must be an object {id, url, secret, units?, kinds?}');
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !KEYS.has(k));
    if (unknown.length > 0) fail(`unknown field(s) ${unknown.join(', ')}`);
    const id = e['id'];
    if (typeof id !== 'string' || id.trim() === '') return fail('id must be a non-empty string');
    if (seen.has(id)) fail(`duplicate id "${id}"`);
    seen.add(id);
    const url = e['url'];
    let parsed: URL | undefined;
    try { parsed = typeof url === 'string' ? new URL(url) : undefined; } catch { parsed = undefined; }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return fail(`url of "${id}" must be an http(s) URL`);
    const secret = e['secret'];
    if (typeof secret !== 'string' || secret === '') return fail(`secret of "${id}" must be a non-empty string`);
    const list = (name: 'units' | 'kinds'): readonly string[] | undefined => {
      const v = e[name];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) return fail(`${name} of "${id}" must be an array of non-empty strings`);
      return v as string[];
    };
    const units = list('units');
    const kinds = list('kinds');
    return { id, url: parsed.toString(), secret, ...(units ? { units } : {}), ...(kinds ? { kinds } : {}) };
  });
}

/** `Tongban-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signWebhook(secret: string, rawBody: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex')}`;
}

/**
 * What a receiver does: checks a `Tongban-Signature` header against the raw body and the secret, and
 * that its timestamp is within `toleranceSeconds` (default 300) of `nowSeconds`. Constant-time compare.
 */
export function verifyWebhookSignature(header: string | undefined, rawBody: string, secret: string, nowSeconds = Date.now() / 1000, toleranceSeconds = 300): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    parts.set(k, [...(parts.get(k) ?? []), part.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex'));
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * The unit a notice concerns, for a subscription's `units` filter: the recipient unit for notices to a
 * unit; otherwise (to the reporter) the unit holding the ticket.
 */
export function unitOfNotice(notice: Notice, ctx: Pick<NoticeContext, 'state'>): string {
  return notice.recipient.kind === 'unit' ? notice.recipient.id : ctx.state.holderUnitId;
}

export function subscriptionMatches(sub: WebhookSubscription, notice: Notice, ctx: Pick<NoticeContext, 'state'>): boolean {
  if (sub.kinds && !sub.kinds.includes(notice.kind)) return false;
  if (sub.units && !sub.units.includes(unitOfNotice(notice, ctx))) return false;
  return true;
}

export interface WebhookChannelOptions {
  pool: pg.Pool;
  subscriptions: readonly WebhookSubscription[];
  /** Per request (default 5 s). */
  timeoutMs?: number;
  /** Real time for the signature timestamp (default Date.now, not the service's test clock). */
  nowMs?: () => number;
}

/**
 * Signed webhooks as a channel: POSTs each notice to every matching subscription. A success is
 * recorded in webhook_deliveries (message id, subscription id) and never re-sent when the event is
 * handled again; failures (network error, timeout, non-2xx) are tried for every subscription, then
 * thrown together so that the event is redelivered and only what failed is retried.
 */
export function webhookChannel(options: WebhookChannelOptions): NotificationChannel {
  const { pool, subscriptions } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const nowMs = options.nowMs ?? Date.now;
  return {
    name: 'webhook',
    async deliver(notice, ctx) {
      const matching = subscriptions.filter((s) => subscriptionMatches(s, notice, ctx));
      if (matching.length === 0) return;
      const { rows } = await pool.query<{ subscription_id: string }>(
        'SELECT subscription_id FROM webhook_deliveries WHERE message_id = $1 AND subscription_id = ANY($2::text[])',
        [ctx.messageId, matching.map((s) => s.id)],
      );
      const done = new Set(rows.map((r) => r.subscription_id));
      const payload: WebhookPayload = {
        id: ctx.messageId, kind: notice.kind, ticketId: ctx.state.ticketId, recipient: { kind: notice.recipient.kind, id: notice.recipient.id },
        title: notice.title, body: notice.body, createdAt: ctx.event.recordedAt,
      };
      const rawBody = JSON.stringify(payload);
      const errors: string[] = [];
      for (const sub of matching) {
        if (done.has(sub.id)) continue;
        try {
          await post(sub, rawBody, ctx.messageId, Math.floor(nowMs() / 1000), timeoutMs);
        } catch (err) {
          errors.push(`${sub.id}: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        await pool.query(
          'INSERT INTO webhook_deliveries (message_id, subscription_id, delivered_at) VALUES ($1, $2, now()) ON CONFLICT DO NOTHING',
          [ctx.messageId, sub.id],
        );
      }
      if (errors.length > 0) throw new WebhookDeliveryError(`webhook delivery of ${ctx.messageId} failed: ${errors.join('; ')}`);
    },
  };
}

async function post(sub: WebhookSubscription, rawBody: string, messageId: string, t: number, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(sub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(sub.secret, rawBody, t), [DELIVERY_HEADER]: messageId },
      body: rawBody,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
  } catch (err) {
    throw new WebhookDeliveryError(`POST ${sub.url} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new WebhookDeliveryError(`POST ${sub.url} answered ${res.status}`);
}
