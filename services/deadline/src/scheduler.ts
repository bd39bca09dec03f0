import type { EventStore } from '@tongban/eventstore';
import { loadTicket } from '@tongban/runtime';
import type pg from 'pg';
import { type TimerSettings, desiredTimers } from './schedule';
import { replaceTimers } from './timer-store';

/** Recomputes one ticket's timers from its latest stream (idempotent; safe on redelivery and reordering). */
export async function rescheduleTicket(pool: pg.Pool, store: EventStore, ticketId: string, settings: TimerSettings): Promise<void> {
  await replaceTimers(pool, ticketId, async () => desiredTimers(await loadTicket(store, ticketId), settings));
}

/**
 * Runs the firing loop: every `pollMs` (and when `wake()` is called, e.g. after a test-clock change)
 * fires due timers in batches until none is due. `stop()` waits for the running pass.
 */
export function startTimerLoop(fireBatch: () => Promise<number>, pollMs: number, onError: (err: unknown) => void): { wake(): void; stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  const pass = async () => {
    do {
      again = false;
      try {
        while (!stopped && (await fireBatch()) > 0) { /* keep firing while timers are due */ }
      } catch (err) {
        onError(err);
      }
    } while (again && !stopped);
  };
  const wake = () => {
    if (stopped) return;
    if (running) { again = true; return; }
    running = pass().finally(() => { running = undefined; });
  };
  const interval = setInterval(wake, pollMs);
  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(interval);
      await running;
    },
  };
}
