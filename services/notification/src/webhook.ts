import type pg from 'pg';
import { Webhook } from 'standardwebhooks';
import type { NotificationChannel, NoticeContext } from './channels';
import { type Notice, unknownNoticeKinds } from './recipients';
import { type OutboxEntry, type WebhookSend, enqueueWebhooks } from './webhook-outbox';
import { jsonArraySetting } from './json-setting';

/** A webhook subscription (TONGBAN_WEBHOOKS: a JSON array of these). */
export interface WebhookSubscription {
  id: string;
  /** http(s) URL the notices are POSTed to. */
  url: string;
  /** Standard Webhooks signing secret: `whsec_` and the base64 of 24–64 random bytes (the HMAC-SHA256 key). */
  secret: string;
  /** Unit ids whose notices it receives; absent: every unit. */
  units?: readonly string[];
  /** Notice kinds it receives (ticket-arrived, public-reply, …); absent: every kind. */
  kinds?: readonly string[];
}

/** The JSON body POSTed for one notice. */
export interface WebhookPayload {
  /** Deterministic message id (also in `webhook-id`): the same on every retry. */
  id: string;
  kind: string;
  ticketId: string;
  /** The ticket's reference (LS-2026-000123) and status after the event. */
  reference: string;
  status: string;
  /**
   * Who the notice is for: a unit or staff member with its id; a citizen's device (`device`: the reporter's
   * or a follower's) without one — a webhook never names the reporter (issue 14 item 6).
   */
  recipient: { kind: string; id?: string };
  /** The notice's texts; empty for a confidential ticket (GB/T 33358 保密: they quote the report), which the receiver reads through the API. */
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
class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  readonly code = 'webhook_delivery_failed';
}

/** Standard Webhooks headers (lower case, as Node and the libraries read them). */
export const ID_HEADER = 'webhook-id';
export const TIMESTAMP_HEADER = 'webhook-timestamp';
export const SIGNATURE_HEADER = 'webhook-signature';
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;

const KEYS = new Set(['id', 'url', 'secret', 'units', 'kinds']);
/** `whsec_` + standard base64 (padded). */
const SECRET = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/;
const SECRET_BYTES = { min: 24, max: 64 };

/** Whether `secret` is a Standard Webhooks secret: `whsec_` and the base64 of 24–64 bytes. */
export function isWebhookSecret(secret: string): boolean {
  const m = SECRET.exec(secret);
  if (!m) return false;
  const bytes = Buffer.from(m[1] ?? '', 'base64').length;
  return bytes >= SECRET_BYTES.min && bytes <= SECRET_BYTES.max;
}

/**
 * Parses TONGBAN_WEBHOOKS (unset or empty: no subscriptions).
 * @throws WebhookConfigError naming the entry and field that is wrong.
 */
export function parseWebhookSubscriptions(raw: string | undefined): WebhookSubscription[] {
  const json = jsonArraySetting('TONGBAN_WEBHOOKS', raw, '{id, url, secret, units?, kinds?}',
    (message, cause) => (cause === undefined ? new WebhookConfigError(message) : new WebhookConfigError(message, { cause })));
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
    if (typeof secret !== 'string' || !isWebhookSecret(secret)) {
      return fail(`secret of "${id}" must be a Standard Webhooks secret: whsec_ and the base64 of ${SECRET_BYTES.min}–${SECRET_BYTES.max} random bytes (e.g. node -p "'whsec_' + crypto.randomBytes(32).toString('base64')")`);
    }
    const list = (name: 'units' | 'kinds'): readonly string[] | undefined => {
      const v = e[name];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) return fail(`${name} of "${id}" must be an array of non-empty strings`);
      return v as string[];
    };
    const units = list('units');
    const kinds = list('kinds');
    const unknownKinds = kinds && unknownNoticeKinds(kinds);
    if (unknownKinds) fail(`kinds of "${id}": ${unknownKinds}`);
    return { id, url: parsed.toString(), secret, ...(units ? { units } : {}), ...(kinds ? { kinds } : {}) };
  });
}

/**
 * The Standard Webhooks headers (https://www.standardwebhooks.com) of one POST: `webhook-id` (the delivery
 * id, the same on every retry), `webhook-timestamp` (unix seconds of this attempt) and `webhook-signature`
 * (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`, keyed with the secret's decoded bytes).
 * Receivers verify with any Standard Webhooks library (`new Webhook(secret).verify(rawBody, headers)`).
 */
export function webhookHeaders(secret: string, messageId: string, rawBody: string, unixSeconds: number): Record<string, string> {
  const t = Math.floor(unixSeconds);
  return {
    [ID_HEADER]: messageId,
    [TIMESTAMP_HEADER]: String(t),
    [SIGNATURE_HEADER]: new Webhook(secret).sign(messageId, new Date(t * 1000), rawBody),
  };
}

/**
 * The unit a notice concerns, for a subscription's `units` filter: the recipient unit for notices to a
 * unit; otherwise (to the reporter) the unit holding the ticket.
 */
function unitOfNotice(notice: Notice, ctx: Pick<NoticeContext, 'state'>): string {
  return notice.recipient.kind === 'unit' ? notice.recipient.id : ctx.state.holderUnitId;
}

function subscriptionMatches(sub: WebhookSubscription, notice: Notice, ctx: Pick<NoticeContext, 'state'>): boolean {
  if (sub.kinds && !sub.kinds.includes(notice.kind)) return false;
  if (sub.units && !sub.units.includes(unitOfNotice(notice, ctx))) return false;
  return true;
}

export interface WebhookChannelOptions {
  pool: pg.Pool;
  subscriptions: readonly WebhookSubscription[];
  /** Called after deliveries were enqueued (wakes this replica's {@link WebhookSender}). */
  onEnqueued?: () => void;
}

/**
 * Signed webhooks as a channel: each notice is written to the webhook outbox once per matching
 * subscription (see webhook-outbox.ts); the senders POST it, retry it over hours, and never send a
 * delivered one again. Handling an event again enqueues nothing new. The notices of a batch of events are
 * enqueued in one statement (issue 13).
 */
export function webhookChannel(options: WebhookChannelOptions): NotificationChannel {
  const { pool, subscriptions } = options;
  const entries = (notice: Notice, ctx: NoticeContext): OutboxEntry[] => {
    const matching = subscriptions.filter((s) => subscriptionMatches(s, notice, ctx));
    if (matching.length === 0) return [];
    const confidential = ctx.state.visibility === 'confidential';
    const payload: WebhookPayload = {
      id: ctx.messageId, kind: notice.kind, ticketId: ctx.state.ticketId, reference: ctx.state.reference, status: ctx.state.status,
      recipient: notice.recipient.kind === 'device' ? { kind: 'device' } : { kind: notice.recipient.kind, id: notice.recipient.id },
      title: confidential ? '' : notice.title, body: confidential ? '' : notice.body, createdAt: ctx.event.recordedAt,
    };
    const body = JSON.stringify(payload);
    return matching.map((sub) => ({ messageId: ctx.messageId, subscriptionId: sub.id, ticketId: ctx.state.ticketId, kind: notice.kind, body }));
  };
  const deliverMany = async (items: readonly { notice: Notice; context: NoticeContext }[]): Promise<void> => {
    const all = items.flatMap(({ notice, context }) => entries(notice, context));
    if (all.length === 0) return;
    await enqueueWebhooks(pool, all);
    options.onEnqueued?.();
  };
  return {
    name: 'webhook',
    deliverMany,
    deliver: (notice, context) => deliverMany([{ notice, context }]),
  };
}

/**
 * The sender's POST: signs the stored body with the subscription's secret and real time (Standard
 * Webhooks headers, {@link webhookHeaders}), a timeout of `timeoutMs` (default 5 s) and no redirects.
 * @throws WebhookDeliveryError on a network error, a timeout, a non-2xx answer or an unknown subscription.
 */
export function webhookSend(subscriptions: readonly WebhookSubscription[], timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS, nowMs: () => number = Date.now): WebhookSend {
  const byId = new Map(subscriptions.map((s) => [s.id, s]));
  return async (delivery) => {
    const sub = byId.get(delivery.subscriptionId);
    if (!sub) throw new WebhookDeliveryError(`subscription ${delivery.subscriptionId} is no longer configured`);
    await post(sub, delivery.body, delivery.messageId, Math.floor(nowMs() / 1000), timeoutMs);
  };
}

async function post(sub: WebhookSubscription, rawBody: string, messageId: string, t: number, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(sub.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...webhookHeaders(sub.secret, messageId, rawBody, t) },
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
