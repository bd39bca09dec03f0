import { notification } from '@tongban/contracts';
import { runMigrations } from '@tongban/eventstore';
import { consumeTicketEvents, runService, startGrpcServer, unary } from '@tongban/runtime';
import type { NotificationChannel } from './channels';
import { deliverNotices, inboxChannel, listInbox } from './inbox';
import { NOTIFICATION_MIGRATIONS } from './migrations';
import { parseWebhookSubscriptions, webhookChannel } from './webhook';

/** Event types that notify someone (see recipients.ts). */
const NOTIFYING_EVENTS = [
  'TicketRouted', 'TicketTransferred', 'TicketHandedBack', 'TicketReopened', 'TicketReplied', 'TicketResolved',
  'InformationRequested', 'TicketEscalated', 'DeadlineWarningIssued', 'DeadlineBreached',
];

runService('notification', async (host) => {
  // Invalid TONGBAN_WEBHOOKS: WebhookConfigError, and the process does not start.
  const subscriptions = parseWebhookSubscriptions(process.env['TONGBAN_WEBHOOKS']);
  await runMigrations(host.pool, 'notification', NOTIFICATION_MIGRATIONS);
  const grpc = await startGrpcServer(host.config.addresses.notification, notification.NotificationServiceService, {
    listInbox: unary(host.key, host.log, (req: notification.ListInboxRequest, p) => listInbox(host.pool, p, req)),
  });
  host.onStop(grpc.stop);
  const channels: NotificationChannel[] = [inboxChannel(host.pool)];
  if (subscriptions.length > 0) channels.push(webhookChannel({ pool: host.pool, subscriptions }));
  // A failing channel throws: the consumer redelivers with backoff and dead-letters after maxDeliver.
  await consumeTicketEvents(host, 'notification-inbox', NOTIFYING_EVENTS, async (event) => {
    await deliverNotices(channels, host.store, event, host.clock.now());
  });
  host.log.info({ port: grpc.port, webhooks: subscriptions.map((s) => s.id) }, 'notification gRPC listening');
});
