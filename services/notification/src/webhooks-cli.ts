/**
 * `npm run -s webhooks -- status|list|redrive` against DATABASE_URL (issue 16 item 15):
 * - `status`: deliveries per subscription and state (pending, delivered, abandoned) as JSON lines; with
 *   none, one line on stderr saying so (no subscription in TONGBAN_WEBHOOKS, and how to configure one, or
 *   none delivered yet to the configured ones) — stdout stays JSON lines only;
 * - `list [--subscription <id>] [--state pending|abandoned|delivered]`: deliveries not yet delivered (or
 *   of that state), oldest first, one JSON object a line (message id, subscription, ticket, kind, state,
 *   attempts, next attempt, last error);
 * - `redrive [--subscription <id>] [--message <id>,…]`: abandoned deliveries become pending again with
 *   a new retry horizon; the notification senders POST them (delivered ones are never sent again).
 * Exit 2 with a usage line on bad arguments.
 */
import { runCli, withNotificationPool } from './cli';
import { parseWebhookSubscriptions } from './webhook';
import { listWebhookDeliveries, redriveWebhookDeliveries, webhookDeliveryCounts } from './webhook-outbox';

const USAGE = 'usage: npm run -s webhooks -- status | list [--subscription <id>] [--state pending|abandoned|delivered] | redrive [--subscription <id>] [--message <id>,…]\n';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i]!;
    const value = rest[i + 1];
    if (!['--subscription', '--state', '--message'].includes(flag) || value === undefined) { process.stderr.write(USAGE); return 2; }
    flags.set(flag, value);
  }
  const state = flags.get('--state');
  if (!['status', 'list', 'redrive'].includes(command ?? '') || (state && !['pending', 'abandoned', 'delivered'].includes(state))) {
    process.stderr.write(USAGE);
    return 2;
  }
  return withNotificationPool(async (pool) => {
    const subscription = flags.get('--subscription');
    if (command === 'status') {
      const counts = await webhookDeliveryCounts(pool);
      for (const c of counts) process.stdout.write(`${JSON.stringify(c)}\n`);
      if (counts.length === 0) process.stderr.write(`${noDeliveriesLine()}\n`);
    } else if (command === 'list') {
      const rows = await listWebhookDeliveries(pool, { ...(state ? { states: [state] } : {}), ...(subscription ? { subscription } : {}) });
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    } else {
      const messageIds = flags.get('--message')?.split(',').filter(Boolean);
      const n = await redriveWebhookDeliveries(pool, { ...(subscription ? { subscription } : {}), ...(messageIds ? { messageIds } : {}) });
      process.stdout.write(`${JSON.stringify({ redriven: n })}\n`);
    }
    return 0;
  });
}

/** What `status` says when the outbox is empty: no subscription configured (and how), or none delivered yet. */
function noDeliveriesLine(): string {
  const ids = parseWebhookSubscriptions(process.env['TONGBAN_WEBHOOKS']).map((s) => s.id);
  return ids.length === 0
    ? 'no webhook subscriptions are configured: set TONGBAN_WEBHOOKS (a JSON array of {id, url, secret, units?, kinds?}) for the notification service and in this shell'
    : `no webhook deliveries yet for the configured subscriptions: ${ids.join(', ')}`;
}

runCli(main);
