/**
 * Durable pull consumers of ticket events.
 *
 * - Explicit ack after the handler succeeds; the message is kept alive (`working()`) while it runs.
 * - A **transient** failure (PostgreSQL or NATS briefly away, a timeout: `isTransientError`) is not the
 *   message's fault: the same message is retried in place with backoff for as long as the outage lasts,
 *   and never counts toward the dead-letter limit.
 * - A **deterministic** failure is naked with backoff and dead-lettered after `maxDeliver` of them.
 * - A **poison** message (an undecodable envelope, or a handler error with `poison: true`, such as an
 *   event type this service does not know) is dead-lettered ("parked") at once, with an alert.
 * - Messages are pulled in small batches (`fetch`) with short expiry and idle heartbeats, so a lost
 *   pull request (consumer leader change, server loss) is noticed within seconds; a consumer leader
 *   election advisory interrupts the pull at once.
 * - With a `batchHandler`, the messages that arrived while the previous batch was handled are handed
 *   over together (one transaction, one statement per table: issue 13) and acked together; when a batch
 *   fails, its messages go one by one through `handler`, so that every rule above holds per message.
 * Handlers must be idempotent (see processed.ts): any message may come again or out of order.
 */
import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { isTransientError, type RecordedEvent } from '@tongban/eventstore';
import { publishDeadLetter } from './dead-letter';
import { decodeEnvelope } from './envelope';
import { consumerMetrics } from './metrics';
import { deadLetterSubjectFor, TICKET_EVENTS_STREAM } from './subjects';

/** Handles one event; throwing makes the message be retried (transient), redelivered or dead-lettered. */
export type EventHandler = (event: RecordedEvent, msg: JsMsg) => Promise<void>;

/**
 * Handles several events at once, `events[i]` decoded from `msgs[i]`, in the order the stream delivered
 * them (so a ticket's events in revision order, unless one was redelivered). Resolving acks every
 * message; throwing hands each message to the {@link EventHandler} on its own. The batch must therefore
 * leave nothing behind that the single handler could not repeat: all or nothing, or idempotent parts.
 */
export type EventBatchHandler = (events: readonly RecordedEvent[], msgs: readonly JsMsg[]) => Promise<void>;

/** What a consumer reports about itself (for logs; metrics are recorded by the consumer). */
export type ConsumerStatus =
  | { type: 'handler_failed'; error: unknown; transient: boolean; event?: RecordedEvent; deliveries: number; failures: number }
  /** A batch failed: its `size` messages are handled one by one instead (see {@link EventBatchHandler}). */
  | { type: 'batch_failed'; error: unknown; transient: boolean; size: number }
  | { type: 'outage'; error: unknown; event?: RecordedEvent; attempts: number }
  | { type: 'recovered'; afterMs: number; attempts: number; event?: RecordedEvent }
  | { type: 'dead_lettered'; reason: string; error: unknown; event?: RecordedEvent; subject: string; deliveries: number }
  | { type: 'dead_letter_failed'; error: unknown; event?: RecordedEvent }
  | { type: 'pull_interrupted'; reason: string; error?: unknown }
  | { type: 'leader_elected'; leader: string }
  | { type: 'lag'; lagSeconds: number; pending: number };

/** Options of {@link startConsumer}. */
export interface ConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Stream to consume (default `TICKET_EVENTS`). */
  streamName?: string;
  /** Durable consumer name, shared by all replicas of the service (a subject token). */
  durable: string;
  /** Subjects to receive, e.g. `["tickets.events.TicketSubmitted"]`; [] or omitted: all. More than one needs nats-server ≥ 2.10. */
  filterSubjects?: string[];
  handler: EventHandler;
  /**
   * Handles the messages at hand together (see {@link EventBatchHandler}): at most `batchSize`, those that
   * arrived while the previous batch was handled (one at a time at low rates, more under load). One batch
   * runs at a time; `concurrency` applies to the one-by-one handling of a failed batch. A message that has
   * already failed in this process makes its batch go one by one at once. Omit: one by one always.
   */
  batchHandler?: EventBatchHandler;
  /** Deterministic failures before a message is dead-lettered (default 5). Transient failures never count. */
  maxDeliver?: number;
  /** Deliveries after which a message is dead-lettered whatever happened (a crash loop), default 1000. */
  maxDeliveries?: number;
  /** Dead-letter subject (default `tickets.deadletter.<durable>`); a stream must capture it (see ensureDeadLetterStream). */
  deadLetterSubject?: string;
  /** Time the server waits for an ack before redelivering, ms (default 30000). The message in hand is kept alive with `working()`. */
  ackWaitMs?: number;
  /** Redelivery delay after the n-th deterministic failure, ms (default 250·2^(n-1), at most 30 s). */
  nakDelayMs?: (failures: number) => number;
  /** Pause before the n-th in-place retry of a transient failure, ms (default 250·2^(n-1), at most 5 s). */
  transientDelayMs?: (attempt: number) => number;
  /** Messages per pull (default 64). */
  batchSize?: number;
  /**
   * Messages handled at once (default 8): messages of one store stream (one ticket: header
   * `Tongban-Stream`) are handled one after another in stream order, different streams in parallel.
   * A pull's messages are all settled before the next pull. 1: strictly one at a time.
   */
  concurrency?: number;
  /** Expiry of one pull request, ms (default 5000); idle heartbeats every fifth of it (at least 500 ms). */
  pullExpiresMs?: number;
  /** Connection for the consumer-leader advisories (omit: no advisory subscription). */
  nc?: NatsConnection;
  /** Told about failures, outages, recoveries, dead letters, pull interruptions and leader changes. Default: console. */
  onStatus?: (status: ConsumerStatus) => void;
}

/** A running consumer. */
export interface RunningConsumer {
  /** Stops pulling and waits for the message in hand to be settled (acked, naked or dead-lettered). */
  stop(): Promise<void>;
}

/** Default backoff after deterministic failures: 250 ms, 500 ms, 1 s, … capped at 30 s. */
export function defaultNakDelayMs(failures: number): number {
  return Math.min(250 * 2 ** Math.max(0, failures - 1), 30_000);
}

/** Default pause between in-place retries during an outage: 250 ms, 500 ms, 1 s, … capped at 5 s. */
export function defaultTransientDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** Math.max(0, attempt - 1), 5_000);
}

/** The reason a dead letter carries for a poison error (`reason` or `code` when a string), else `handler_failed`. */
function poisonReason(error: unknown): string | undefined {
  const e = error as { poison?: unknown; reason?: unknown; code?: unknown } | null;
  if (!e || e.poison !== true) return undefined;
  return typeof e.reason === 'string' ? e.reason : typeof e.code === 'string' ? e.code : 'poison';
}

function defaultStatus(durable: string): (status: ConsumerStatus) => void {
  return (status) => {
    if (status.type === 'lag') return;
    const line = `consumer ${durable}: ${status.type}`;
    if (status.type === 'dead_lettered' || status.type === 'dead_letter_failed') console.error(line, status);
    else console.warn(line, status);
  };
}

/**
 * Creates (or updates) the durable pull consumer — explicit ack, deliver all, unlimited server-side
 * redeliveries so that the dead-lettering here is the only way a message leaves unprocessed — and
 * processes its messages until stopped: in stream order per ticket (store stream), up to
 * `concurrency` tickets in parallel.
 * @throws JetStreamApiError when the stream does not exist or the consumer cannot be created.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const streamName = options.streamName ?? TICKET_EVENTS_STREAM;
  const durable = options.durable;
  const maxDeliver = options.maxDeliver ?? 5;
  const maxDeliveries = options.maxDeliveries ?? 1000;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const nakDelayMs = options.nakDelayMs ?? defaultNakDelayMs;
  const transientDelayMs = options.transientDelayMs ?? defaultTransientDelayMs;
  const batchSize = options.batchSize ?? 64;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const expires = Math.max(options.pullExpiresMs ?? 5000, 1000);
  const heartbeat = Math.max(Math.floor(expires / 5), 500);
  const deadLetterSubject = options.deadLetterSubject ?? deadLetterSubjectFor(durable);
  const report = options.onStatus ?? defaultStatus(durable);
  const metrics = consumerMetrics();
  if (!(Number.isInteger(maxDeliver) && maxDeliver >= 1)) throw new RangeError('maxDeliver must be a positive integer');
  await ensureDurable(options.jsm, streamName, durable, ackWaitMs, options.filterSubjects ?? []);
  const consumer = await options.js.consumers.get(streamName, durable);

  let stopping = false;
  let current: ConsumerMessages | null = null;
  let wakeSleep: (() => void) | null = null;
  /** Deterministic failures per stream sequence, in this process (cleared when settled). */
  const failures = new Map<number, number>();

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void { clearTimeout(timer); wakeSleep = null; resolve(); }
    wakeSleep = done;
  });

  const deadLetter = async (msg: JsMsg, error: unknown, reason: string, event?: RecordedEvent): Promise<void> => {
    try {
      await publishDeadLetter(options.js, deadLetterSubject, msg, error, durable, reason);
      msg.term();
      failures.delete(msg.seq);
      metrics.deadLetters.inc({ consumer: durable, reason });
      report({ type: 'dead_lettered', reason, error, ...(event ? { event } : {}), subject: deadLetterSubject, deliveries: msg.info.deliveryCount });
    } catch (publishError) {
      // Nothing is dropped: the message comes back and is dead-lettered on a later delivery.
      report({ type: 'dead_letter_failed', error: publishError, ...(event ? { event } : {}) });
      msg.nak(nakDelayMs(1));
    }
  };

  const handle = async (msg: JsMsg): Promise<void> => {
    const deliveries = msg.info.deliveryCount;
    const endTimer = metrics.processing.startTimer({ consumer: durable });
    let outcome = 'nak';
    try {
      await handleOnce(msg, deliveries, (o) => { outcome = o; });
    } finally {
      endTimer({ outcome });
    }
  };

  const handleOnce = async (msg: JsMsg, deliveries: number, settled: (outcome: 'ack' | 'dead_letter') => void): Promise<void> => {
    let event: RecordedEvent;
    try {
      event = decodeEnvelope(msg.data);
    } catch (error) {
      settled('dead_letter');
      return deadLetter(msg, error, 'undecodable_envelope');
    }
    if (deliveries > maxDeliveries) {
      settled('dead_letter');
      return deadLetter(msg, new Error(`delivered ${deliveries} times without being settled`), 'delivery_limit', event);
    }
    const keepAlive = setInterval(() => msg.working(), Math.max(Math.floor(ackWaitMs / 3), 100));
    let outageSince = 0;
    let attempts = 0;
    try {
      for (;;) {
        try {
          await options.handler(event, msg);
          msg.ack();
          settled('ack');
          failures.delete(msg.seq);
          metrics.handled.inc({ consumer: durable });
          if (outageSince) report({ type: 'recovered', afterMs: Date.now() - outageSince, attempts, event });
          return;
        } catch (error) {
          const poison = poisonReason(error);
          if (poison) { settled('dead_letter'); return await deadLetter(msg, error, poison, event); }
          const transient = isTransientError(error);
          if (transient && !stopping) {
            attempts += 1;
            metrics.transientRetries.inc({ consumer: durable });
            if (attempts === 1) {
              outageSince = Date.now();
              report({ type: 'outage', error, event, attempts });
            } else if (attempts % 20 === 0) {
              report({ type: 'outage', error, event, attempts });
            }
            await sleep(transientDelayMs(attempts));
            continue;
          }
          if (transient) {
            // Stopping during an outage: hand the message back at once, without counting it.
            msg.nak();
            return;
          }
          const count = (failures.get(msg.seq) ?? 0) + 1;
          failures.set(msg.seq, count);
          if (failures.size > 10_000) failures.delete(failures.keys().next().value as number);
          report({ type: 'handler_failed', error, transient: false, event, deliveries, failures: count });
          if (count >= maxDeliver) { settled('dead_letter'); return await deadLetter(msg, error, 'handler_failed', event); }
          msg.nak(nakDelayMs(count));
          return;
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
  };

  /**
   * Handles `msgs` with the batch handler and acks them; one by one (`oneByOne`) instead when one of them
   * already failed here, or when the batch fails. Undecodable and over-delivered messages are handed to
   * `oneByOne` beside the batch (they are only dead-lettered, whatever their order).
   */
  const handleBatch = async (batchHandler: EventBatchHandler, msgs: readonly JsMsg[], oneByOne: (msgs: readonly JsMsg[]) => Promise<void>): Promise<void> => {
    if (msgs.some((msg) => failures.has(msg.seq))) return oneByOne(msgs);
    const taken: JsMsg[] = [];
    const events: RecordedEvent[] = [];
    const alone: JsMsg[] = [];
    for (const msg of msgs) {
      let event: RecordedEvent | undefined;
      try { event = decodeEnvelope(msg.data); } catch { /* dead-lettered by handle() */ }
      if (event && msg.info.deliveryCount <= maxDeliveries) {
        taken.push(msg);
        events.push(event);
      } else {
        alone.push(msg);
      }
    }
    if (alone.length > 0) await oneByOne(alone);
    if (taken.length === 0) return;
    const started = performance.now();
    const keepAlive = setInterval(() => { for (const msg of taken) msg.working(); }, Math.max(Math.floor(ackWaitMs / 3), 100));
    let failed = false;
    try {
      await batchHandler(events, taken);
    } catch (error) {
      failed = true;
      report({ type: 'batch_failed', error, transient: isTransientError(error), size: taken.length });
    } finally {
      clearInterval(keepAlive);
    }
    if (failed) return oneByOne(taken);
    for (const msg of taken) msg.ack();
    const seconds = (performance.now() - started) / 1000;
    metrics.handled.inc({ consumer: durable }, taken.length);
    for (let i = 0; i < taken.length; i++) metrics.processing.observe({ consumer: durable, outcome: 'ack' }, seconds);
  };

  /** Lag after a message: how old the message is and how many wait behind it. */
  const observeLag = (msg: JsMsg | null): void => {
    const lagSeconds = msg ? Math.max(0, (Date.now() - msg.info.timestampNanos / 1e6) / 1000) : 0;
    const pending = msg ? msg.info.pending : 0;
    metrics.lagSeconds.set({ consumer: durable }, lagSeconds);
    metrics.pending.set({ consumer: durable }, pending);
    report({ type: 'lag', lagSeconds, pending });
  };

  let advisories: Subscription | undefined;
  if (options.nc) {
    advisories = options.nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.${streamName}.${durable}`, {
      callback: (_err, m) => {
        let leader = 'unknown';
        try { leader = String(m.json<{ leader?: { name?: string } }>().leader?.name ?? 'unknown'); } catch { /* not JSON */ }
        metrics.leaderChanges.inc({ consumer: durable });
        report({ type: 'leader_elected', leader });
        // Pull requests waiting at the former leader are gone: pull again from the new one now.
        void current?.close();
      },
    });
  }

  const loop = (async () => {
    let pullFailures = 0;
    while (!stopping) {
      let batch: ConsumerMessages;
      try {
        batch = await consumer.fetch({ max_messages: batchSize, expires, idle_heartbeat: heartbeat });
      } catch (error) {
        pullFailures += 1;
        report({ type: 'pull_interrupted', reason: 'fetch_failed', error });
        await sleep(Math.min(250 * 2 ** Math.min(pullFailures, 5), 5000));
        continue;
      }
      current = batch;
      let received = 0;
      let last: JsMsg | null = null;
      let lastActivity = Date.now();
      let handling = 0;
      // A pull that neither delivers nor hears a heartbeat for its expiry plus two heartbeats is lost.
      const watchdog = setInterval(() => {
        if (handling === 0 && Date.now() - lastActivity > expires + 2 * heartbeat + 1000) {
          report({ type: 'pull_interrupted', reason: 'no_heartbeat' });
          void batch.close();
        }
      }, heartbeat);
      void (async () => {
        for await (const s of batch.status()) {
          lastActivity = Date.now();
          if (s.type === 'heartbeats_missed') report({ type: 'pull_interrupted', reason: `heartbeats_missed (${s.count})` });
          else if (s.type === 'consumer_deleted' || s.type === 'no_responders') report({ type: 'pull_interrupted', reason: s.type });
        }
      })().catch(() => undefined);
      // Per-ticket chains: a message starts after the previous message of its stream is settled.
      const chains = new Map<string, Promise<void>>();
      const inFlight = new Set<Promise<void>>();
      /** Starts handling `msg` on its own after the previous message of its stream (waits while `concurrency` are in hand). */
      const schedule = async (msg: JsMsg): Promise<void> => {
        while (inFlight.size >= concurrency) await Promise.race(inFlight);
        const key = msg.headers?.get('Tongban-Stream') ?? '';
        handling += 1;
        const run = (chains.get(key) ?? Promise.resolve()).then(() => handle(msg)).catch((error: unknown) => {
          // handle() settles every outcome itself; an error here (e.g. the connection closing while
          // acking) leaves the message unacked: the server redelivers it after ack wait.
          report({ type: 'pull_interrupted', reason: 'handler_crashed', error });
        }).finally(() => {
          handling -= 1;
          lastActivity = Date.now();
          inFlight.delete(run);
          if (chains.get(key) === run) chains.delete(key);
        });
        chains.set(key, run);
        inFlight.add(run);
      };
      const oneByOne = async (msgs: readonly JsMsg[]): Promise<void> => {
        for (const msg of msgs) await schedule(msg);
        await Promise.all(inFlight);
      };
      // Batches (batchHandler): the messages received and not yet handled; one batch in hand at a time.
      const pending: JsMsg[] = [];
      let draining: Promise<void> | null = null;
      const drain = async (batchHandler: EventBatchHandler): Promise<void> => {
        // The messages of one read from the socket are all queued before the first batch is taken.
        await new Promise((resolve) => setImmediate(resolve));
        while (pending.length > 0) {
          const msgs = pending.splice(0, stopping ? pending.length : batchSize);
          try {
            // Not started when stopping: handed back at once (to another replica, or to this one after a restart).
            if (stopping) for (const msg of msgs) msg.nak();
            else await handleBatch(batchHandler, msgs, oneByOne);
          } catch (error) {
            report({ type: 'pull_interrupted', reason: 'handler_crashed', error });
          } finally {
            handling -= msgs.length;
            lastActivity = Date.now();
          }
        }
        draining = null;
      };
      const settleAll = async (): Promise<void> => {
        while (draining) await draining;
        await Promise.all(inFlight);
      };
      try {
        for await (const msg of batch) {
          lastActivity = Date.now();
          received += 1;
          last = msg;
          if (msg.info.deliveryCount > 1) metrics.redeliveries.inc({ consumer: durable });
          if (options.batchHandler) {
            pending.push(msg);
            handling += 1;
            draining ??= drain(options.batchHandler);
          } else {
            await schedule(msg);
          }
          if (stopping) break;
        }
        await settleAll();
        pullFailures = 0;
      } catch (error) {
        await settleAll();
        // Heartbeats missed (leader change, server gone) or the connection closed: pull again.
        report({ type: 'pull_interrupted', reason: error instanceof Error ? error.message : String(error), error });
        if (!stopping) await sleep(100);
      } finally {
        clearInterval(watchdog);
        current = null;
        await batch.close().catch(() => undefined);
      }
      observeLag(received === 0 ? null : last);
    }
  })();

  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        stopping = true;
        advisories?.unsubscribe();
        wakeSleep?.();
        await current?.close();
        await loop;
      })();
      return stopped;
    },
  };
}

async function ensureDurable(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  ackWaitMs: number,
  filterSubjects: string[],
): Promise<void> {
  const config: Partial<ConsumerConfig> = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_deliver: -1,
  };
  if (filterSubjects.length === 1) config.filter_subject = filterSubjects[0];
  else if (filterSubjects.length > 1) config.filter_subjects = filterSubjects;
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    // An existing durable with another configuration: update what may change.
    const { durable_name: _name, deliver_policy: _policy, ...updatable } = config;
    try {
      await jsm.consumers.update(stream, durable, updatable);
    } catch {
      throw error;
    }
  }
}
