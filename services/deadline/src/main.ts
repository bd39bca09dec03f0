// First of all: tracing (when OTEL_EXPORTER_OTLP_ENDPOINT is set) must be started before pg, gRPC and http load.
import '@tongban/runtime/tracing';
import { TICKET_EVENT_TYPES, ticketIdOf } from '@tongban/domain';
import { runMigrations } from '@tongban/eventstore';
import { TicketExecutor, consumeTicketEvents, inNewTrace, runService } from '@tongban/runtime';
import { fireTimer } from './fire';
import { deadlineMetrics, measuredFire } from './metrics';
import { DEADLINE_MIGRATIONS } from './migrations';
import { rebuildTimers } from './rebuild';
import { rescheduleTicket, rescheduleTickets, startTimerLoop } from './scheduler';
import { deadlineSettings } from './settings';
import { fireDueTimers, nextDueAt, timerTableExists } from './timer-store';

runService('deadline', async (host) => {
  const settings = deadlineSettings(process.env, host.settings.autoCloseDays);
  const lost = !(await timerTableExists(host.pool));
  await runMigrations(host.pool, 'deadline', DEADLINE_MIGRATIONS);
  if (lost) {
    // A new database, or the table was dropped: rebuild it from the event store before firing anything.
    const report = await rebuildTimers(host.pool, host.store, settings);
    if (report.tickets > 0) host.log.warn({ report }, 'timer table was missing: rebuilt from the event store');
  }
  const executor = new TicketExecutor({ store: host.store, ref: host.ref, clock: host.clock, service: 'deadline', settings: host.settings });
  const deps = { executor, store: host.store, ref: host.ref, settings, now: () => host.clock.now() };
  const now = () => host.clock.now();
  // Each timer fired is a trace of its own (tracing on), followed through its events like a user's action.
  const fire = measuredFire(deadlineMetrics(host.pool, now), now, (t) => inNewTrace(`deadline fire ${t.kind}`, {
    'tongban.ticket.id': t.ticketId, 'tongban.timer.leg': t.leg, 'tongban.timer.kind': t.kind, 'tongban.timer.due_key': t.dueKey,
  }, () => fireTimer(deps, t)));
  const loop = startTimerLoop({
    fireBatch: () => fireDueTimers(host.pool, host.clock.now(), settings.batch, fire, {
      concurrency: settings.concurrency,
      onError: (timer, err) => host.log.warn({ err, timer }, 'timer failed; retrying after a backoff'),
    }),
    pollMs: host.config.pollMs,
    untilNextDue: async () => {
      const next = await nextDueAt(host.pool);
      return next ? next.getTime() - host.clock.now().getTime() : undefined;
    },
    onError: (err) => host.log.error({ err }, 'timer pass failed'),
  });
  host.onStop(loop.stop);
  host.onClockChange(loop.wake);
  // A pass only when a written timer is due before the loop wakes anyway (not one per event: 4 statements each).
  const wakeFor = (earliest: Date | undefined) => { if (earliest) loop.wakeBy(earliest.getTime() - host.clock.now().getTime()); };
  await consumeTicketEvents(host, 'deadline-timers', TICKET_EVENT_TYPES, async (event) => {
    wakeFor(await rescheduleTicket(host.pool, host.store, ticketIdOf(event.stream) ?? '', settings));
  }, {
    // The events at hand together: each ticket recomputed once, in one transaction (issue 13).
    batchHandler: async (events) => {
      wakeFor(await rescheduleTickets(host.pool, host.store, events.map((e) => ticketIdOf(e.stream) ?? ''), settings));
    },
  });
  host.log.info('deadline timers running');
});
