import { notification } from '@tongban/contracts';
import { runMigrations } from '@tongban/eventstore';
import { consumeTicketEvents, runService, startGrpcServer, unary } from '@tongban/runtime';
import { deliverInboxMessages, listInbox } from './inbox';
import { NOTIFICATION_MIGRATIONS } from './migrations';

/** Event types that notify someone (see recipients.ts). */
const NOTIFYING_EVENTS = [
  'TicketRouted', 'TicketTransferred', 'TicketHandedBack', 'TicketReopened', 'TicketReplied', 'TicketResolved',
  'InformationRequested', 'TicketEscalated', 'DeadlineWarningIssued', 'DeadlineBreached',
];

runService('notification', async (host) => {
  await runMigrations(host.pool, 'notification', NOTIFICATION_MIGRATIONS);
  const grpc = await startGrpcServer(host.config.addresses.notification, notification.NotificationServiceService, {
    listInbox: unary(host.key, host.log, (req: notification.ListInboxRequest, p) => listInbox(host.pool, p, req)),
  });
  host.onStop(grpc.stop);
  await consumeTicketEvents(host, 'notification-inbox', NOTIFYING_EVENTS, async (event) => {
    await deliverInboxMessages(host.pool, host.store, event, host.clock.now());
  });
  host.log.info({ port: grpc.port }, 'notification gRPC listening');
});
