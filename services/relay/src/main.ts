import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Relay, ensureTicketEventsStream, migrateRelay } from '@tongban/messaging';
import { eventStreamNames, runService } from '@tongban/runtime';

runService('relay', async (host) => {
  const names = eventStreamNames(host);
  await ensureTicketEventsStream(await jetstreamManager(host.nc), { streamName: names.stream, subjectPrefix: names.prefix });
  await migrateRelay(host.pool);
  const relay = new Relay({
    store: host.store,
    pool: host.pool,
    js: jetstream(host.nc),
    name: `${host.config.namespace}-ticket-events`,
    subjectPrefix: names.prefix,
    intervalMs: Math.min(host.config.pollMs, 100),
    onError: (err) => host.log.warn({ err }, 'relay attempt failed; retrying'),
  });
  relay.start();
  host.onStop(() => relay.stop());
});
