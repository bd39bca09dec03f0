// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { notification } from '@tongban/contracts';
import { TICKET_EVENT_TYPES } from '@tongban/domain';
import { runMigrations } from '@tongban/eventstore';
import { LatestStates, ReporterKeyStore, consumeTicketEvents, positiveNumber, runService, serveGrpc, unary } from '@tongban/runtime';
import type { NotificationChannel } from './channels';
import { type KnownTicket, deliverEventNotices } from './delivery';
import { inboxChannel, listInbox, markInboxRead } from './inbox';
import { hashLedgerAddresses, ledgerAddressHash } from './ledger';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import { parseUnitContacts } from './contacts';
import { noticeOptions, outboundChannels } from './outbound-config';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, parseWebhookSubscriptions, webhookChannel, webhookSend } from './webhook';
import { WebhookSender, listWebhookDeliveriesRpc } from './webhook-outbox';

runService('notification', async (host) => {
  // Invalid TONGBAN_WEBHOOKS: WebhookConfigError, and the process does not start.
  const subscriptions = parseWebhookSubscriptions(process.env['TONGBAN_WEBHOOKS']);
  // Invalid TONGBAN_NOTIFY_CONTACTS or SMS settings: the process does not start either.
  const contacts = parseUnitContacts(process.env['TONGBAN_NOTIFY_CONTACTS']);
  await runMigrations(host.pool, 'notification', NOTIFICATION_MIGRATIONS);
  const grpc = await serveGrpc(host, 'notification', notification.NotificationServiceService, {
    listInbox: unary(host.keys, host.log, (req: notification.ListInboxRequest, p) => listInbox(host.pool, p, req)),
    markInboxRead: unary(host.keys, host.log, (req: notification.MarkInboxReadRequest, p) => markInboxRead(host.pool, p, req)),
    listWebhookDeliveries: unary(host.keys, host.log, (req: notification.ListWebhookDeliveriesRequest, p) => listWebhookDeliveriesRpc(host.pool, p, req)),
  });
  const channels: NotificationChannel[] = [inboxChannel(host.pool)];
  if (subscriptions.length > 0) {
    const sender = new WebhookSender({
      pool: host.pool,
      send: webhookSend(subscriptions, positiveNumber(process.env, 'TONGBAN_WEBHOOK_TIMEOUT_MS', DEFAULT_WEBHOOK_TIMEOUT_MS)),
      retryHours: positiveNumber(process.env, 'TONGBAN_WEBHOOK_RETRY_HOURS', 24),
      pollMs: Math.max(host.config.pollMs, 100),
      onOutcome: ({ delivery, ok, abandoned, error, nextAttemptMs }) => {
        if (ok) return;
        const entry = { subscription: delivery.subscriptionId, messageId: delivery.messageId, kind: delivery.kind, attempts: delivery.attempts, err: error instanceof Error ? error.message : String(error) };
        if (abandoned) host.log.error(entry, 'webhook delivery abandoned after its retry horizon (list and redrive: npm run webhooks)');
        else host.log.warn({ ...entry, nextAttemptMs }, 'webhook delivery failed; retrying');
      },
    });
    sender.start((err) => host.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'webhook sender round failed; retrying'));
    host.onStop(() => sender.stop());
    channels.push(webhookChannel({ pool: host.pool, subscriptions, onEnqueued: () => sender.kick() }));
  }
  // Issue 14 item 6: the reporter's sealed phone and e-mail are opened with the reporters' data keys (none once erased),
  // and the delivery ledger keeps only a keyed hash of each address (rows from before: hashed now).
  const reporters = await ReporterKeyStore.open(host.pool);
  const addressHash = ledgerAddressHash((scope) => reporters.deviceHash(scope));
  const rehashed = await hashLedgerAddresses(host.pool, addressHash);
  if (rehashed > 0) host.log.info({ rows: rehashed }, 'delivery ledger: addresses replaced by their keyed hash');
  const outbound = outboundChannels(process.env, host.pool, contacts, addressHash, (entry, message) => host.log.info(entry, message));
  channels.push(...outbound.channels);
  host.onStop(async () => outbound.close());
  // Notices are stamped with their event's time, not the delivery's: a late redelivery never looks newer (item 12).
  // Every event type, so that a ticket's state folds on from the events seen here (its stream is read only
  // for revisions another replica handled); events that give no notice are only folded (issue 13).
  const options = { ...noticeOptions(contacts, (id) => host.ref.unitsById.get(id)?.name), reporters, states: new LatestStates<KnownTicket>() };
  // A failing channel throws: the consumer redelivers with backoff and dead-letters after maxDeliver. The
  // events at hand are delivered together; a failed batch goes one by one.
  await consumeTicketEvents(host, 'notification-inbox', TICKET_EVENT_TYPES, async (event) => {
    await deliverEventNotices(channels, host.store, [event], options);
  }, {
    batchHandler: async (events) => { await deliverEventNotices(channels, host.store, events, options); },
  });
  host.log.info({ port: grpc.port, webhooks: subscriptions.map((s) => s.id), outbound: outbound.describe }, 'notification gRPC listening');
});
