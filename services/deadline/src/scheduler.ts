import { AsyncResource } from 'node:async_hooks';
import type { EventStore } from '@tongban/eventstore';
import { evolveAll, ticketStream } from '@tongban/domain';
import { toEnvelopes } from '@tongban/runtime';
import type pg from 'pg';
import { type TimerSettings, desiredTimers } from './schedule';
import { replaceTimersOf } from './timer-store';

/**
 * Recomputes one ticket's timers from its latest stream (idempotent; safe on redelivery and reordering).
 * @returns the earliest due time of its timers now (undefined: none), for {@link startTimerLoop}'s `wakeBy`.
 */
export async function rescheduleTicket(pool: pg.Pool, store: EventStore, ticketId: string, settings: TimerSettings): Promise<Date | undefined> {
  return rescheduleTickets(pool, store, [ticketId], settings);
}

/**
 * Recomputes tickets' timers from their latest streams in one transaction (see replaceTimersOf): a ticket
 * named more than once is recomputed once. Idempotent; safe on redelivery and reordering.
 * @returns the earliest due time of their timers now (undefined: none), for {@link startTimerLoop}'s `wakeBy`.
 */
export async function rescheduleTickets(pool: pg.Pool, store: EventStore, ticketIds: readonly string[], settings: TimerSettings): Promise<Date | undefined> {
  // One read of all the tickets' streams (issue 13), under the transaction's locks.
  const written = await replaceTimersOf(pool, ticketIds, async (ids) => {
    const streams = await store.readStreams(ids.map(ticketStream));
    return new Map(ids.map((id) => [id, desiredTimers(evolveAll(toEnvelopes(streams.get(ticketStream(id)) ?? [])), settings)]));
  });
  let earliest: number | undefined;
  for (const timers of written.values()) {
    for (const t of timers) {
      const due = Date.parse(t.dueAt);
      if (earliest === undefined || due < earliest) earliest = due;
    }
  }
  return earliest === undefined ? undefined : new Date(earliest);
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

/** A running timer loop (see {@link startTimerLoop}). */
export interface TimerLoop {
  /** Starts a pass at once (e.g. after a test-clock change). */
  wake(): void;
  /**
   * A timer was written that is due in `ms` (≤ 0: now): makes sure a pass starts by then — at once when it is
   * due, else by shortening the current sleep when it would end later. Cheaper than `wake()` per written timer:
   * nothing runs until a timer is due.
   */
  wakeBy(ms: number): void;
  /** Stops: waits for the running pass. */
  stop(): Promise<void>;
}

/**
 * Runs the firing loop: after each pass it sleeps until the next timer is due (at most `pollMs`); `wake()`
 * (e.g. after a test-clock change) starts a pass at once, `wakeBy(ms)` (a new timer) by the time it is due.
 */
export function startTimerLoop(options: TimerLoopOptions): TimerLoop {
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let sleeper: NodeJS.Timeout | undefined;
  /** When the current sleep ends (Date.now() ms; +∞ while a pass runs). */
  let sleepUntil = Number.POSITIVE_INFINITY;
  /** The earliest due time told by wakeBy while a pass ran (its next-due read may predate that timer). */
  let dueDuringPass = Number.POSITIVE_INFINITY;
  const sleep = (ms: number) => {
    if (sleeper) clearTimeout(sleeper);
    const wait = Math.max(0, Math.min(options.pollMs, ms));
    sleepUntil = Date.now() + wait;
    sleeper = setTimeout(wake, wait);
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
    const told = dueDuringPass - Date.now();
    dueDuringPass = Number.POSITIVE_INFINITY;
    sleep(Math.min(next ?? options.pollMs, told));
  };
  // A pass runs in the loop's own async context, not in the caller's of wake(): a consumer waking it while
  // handling an event would otherwise lend that event's correlation id and trace to every later pass.
  const scope = new AsyncResource('tongban.deadline.timer-loop');
  function wake(): void {
    if (stopped) return;
    if (running) { again = true; return; }
    sleepUntil = Number.POSITIVE_INFINITY;
    running = scope.runInAsyncScope(pass).finally(() => { running = undefined; });
  }
  wake();
  return {
    wake,
    wakeBy(ms) {
      if (stopped) return;
      if (ms <= 0) { wake(); return; }
      const at = Date.now() + ms;
      if (running) dueDuringPass = Math.min(dueDuringPass, at);
      else if (at < sleepUntil) sleep(ms);
    },
    async stop() {
      stopped = true;
      if (sleeper) clearTimeout(sleeper);
      await running;
    },
  };
}
