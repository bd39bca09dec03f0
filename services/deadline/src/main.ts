import { TICKET_EVENT_TYPES } from '@tongban/domain';
import { runMigrations } from '@tongban/eventstore';
import { TicketExecutor, consumeTicketEvents, runService } from '@tongban/runtime';
import { fireTimer } from './fire';
import { DEADLINE_MIGRATIONS } from './migrations';
import { rescheduleTicket, startTimerLoop } from './scheduler';
import { fireDueTimers } from './timer-store';

runService('deadline', async (host) => {
  await runMigrations(host.pool, 'deadline', DEADLINE_MIGRATIONS);
  const settings = {
    reescalateAfterHours: Number(process.env['TONGBAN_REESCALATE_HOURS'] ?? 24),
    autoCloseDays: host.settings.autoCloseDays,
  };
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'deadline', settings: host.settings });
  const deps = { executor, store: host.store, ref: host.ref };
  const loop = startTimerLoop(
    () => fireDueTimers(host.pool, host.clock.now(), 100, (t) => fireTimer(deps, t)),
    host.config.pollMs,
    (err) => host.log.error({ err }, 'timer pass failed'),
  );
  host.onStop(loop.stop);
  host.onClockChange(loop.wake);
  await consumeTicketEvents(host, 'deadline-timers', TICKET_EVENT_TYPES, async (event) => {
    await rescheduleTicket(host.pool, host.store, event.stream.replace(/^ticket-/, ''), settings);
    loop.wake();
  });
  host.log.info('deadline timers running');
});
