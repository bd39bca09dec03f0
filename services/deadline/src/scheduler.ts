import { AsyncResource } from 'node:async_hooks';
import type { EventStore } from '@tongban/eventstore';
import { loadTicket } from '@tongban/runtime';
import type pg from 'pg';
import { type TimerSettings, desiredTimers } from './schedule';
import { replaceTimersOf } from './timer-store';

/** Recomputes one ticket's timers from its latest stream (idempotent; safe on redelivery and reordering). */
export async function rescheduleTicket(pool: pg.Pool, store: EventStore, ticketId: string, settings: TimerSettings): Promise<void> {
  await rescheduleTickets(pool, store, [ticketId], settings);
}

/**
 * Recomputes tickets' timers from their latest streams in one transaction (see replaceTimersOf): a ticket
 * named more than once is recomputed once. Idempotent; safe on redelivery and reordering.
 */
export async function rescheduleTickets(pool: pg.Pool, store: EventStore, ticketIds: readonly string[], settings: TimerSettings): Promise<void> {
  await replaceTimersOf(pool, ticketIds, async (ticketId) => desiredTimers(await loadTicket(store, ticketId), settings));
}

/** Options of {@link startTimerLoop}. */
export interface TimerLoopOptions {
  /** Fires one batch of due timers; returns how many it claimed (0: none due). */
  fireBatch: () => Promise<number>;
  /** Longest sleep between passes, ms (picks up timers written by other replicas or the rebuild). */
  pollMs: number;
  /** Milliseconds until the next timer is due (undefined: none), so the loop wakes exactly then. */
  untilNextDue?: () => Promise<number | undefined>;
  onError: (err: unknown) => void;
}

/**
 * Runs the firing loop: after each pass it sleeps until the next timer is due (at most `pollMs`); `wake()`
 * (e.g. after a test-clock change or a new timer) starts a pass at once. `stop()` waits for the running pass.
 */
export function startTimerLoop(options: TimerLoopOptions): { wake(): void; stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let sleeper: NodeJS.Timeout | undefined;
  const sleep = (ms: number) => {
    if (sleeper) clearTimeout(sleeper);
    sleeper = setTimeout(wake, Math.max(0, Math.min(options.pollMs, ms)));
  };
  const pass = async () => {
    do {
      again = false;
      try {
        while (!stopped && (await options.fireBatch()) > 0) { /* keep firing while timers are due */ }
      } catch (err) {
        options.onError(err);
      }
    } while (again && !stopped);
    if (stopped) return;
    let next: number | undefined;
    try {
      next = await options.untilNextDue?.();
    } catch (err) {
      options.onError(err);
    }
    sleep(next ?? options.pollMs);
  };
  // A pass runs in the loop's own async context, not in the caller's of wake(): a consumer waking it while
  // handling an event would otherwise lend that event's correlation id and trace to every later pass.
  const scope = new AsyncResource('tongban.deadline.timer-loop');
  function wake(): void {
    if (stopped) return;
    if (running) { again = true; return; }
    running = scope.runInAsyncScope(pass).finally(() => { running = undefined; });
  }
  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      if (sleeper) clearTimeout(sleeper);
      await running;
    },
  };
}
