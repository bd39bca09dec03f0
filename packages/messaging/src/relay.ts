/**
 * The relay: the one process role that moves events from the store to JetStream, in global order,
 * at least once (JetStream drops repeats within its duplicate window by `Nats-Msg-Id` = event id).
 * Requests append only; they never publish (no dual write).
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { AdvisoryLeader, type EventStore, type GlobalPosition, type RecordedEvent } from '@tongban/eventstore';
import pg from 'pg';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { DeadLetterHeaders } from './dead-letter';
import { encodeEnvelope } from './envelope';
import { consumerMetrics, relayMetrics } from './metrics';
import { deadLetterSubjectFor, isSubjectToken, TICKET_EVENTS_PREFIX } from './subjects';
import { SpanKind, eventSpanAttributes, eventTraceContext, injectTraceHeaders, inSpan } from './tracing';

/** Test seams of the relay. */
export interface RelayHooks {
  /** Awaited after a batch is published (PubAcks received) and before its checkpoint is saved. Throwing simulates a crash there. */
  afterPublish?: (batch: readonly RecordedEvent[]) => Promise<void> | void;
}

/** Options of {@link Relay}. */
export interface RelayOptions {
  /** The store to read (readAll). */
  store: EventStore;
  /** PostgreSQL pool for the checkpoint and the leadership lock (the database of `relay_checkpoints`). */
  pool: pg.Pool;
  /** JetStream client to publish with. */
  js: JetStreamClient;
  /** Relay name: key of its checkpoint and of its lock (default `ticket-events`). */
  name?: string;
  /** Events go to `<subjectPrefix>.<EventType>` (default `tickets.events`). */
  subjectPrefix?: string;
  /** Pause between polls when caught up, ms (default 100). With `listen`, a fallback: appends wake the relay at once. */
  intervalMs?: number;
  /**
   * Pause between polls once quiet, ms (default: `intervalMs`, i.e. no idle mode): while the LISTEN connection is
   * up and nothing was notified, read or {@link Relay.keepAwake kept awake} for {@link IDLE_AFTER_MS}, the relay
   * polls at this pace instead (appends still wake it at once; the poll only covers a notification lost on the way).
   */
  idleIntervalMs?: number;
  /**
   * LISTEN on `eventstore_appended` (notified after every append's commit by the PostgreSQL event
   * store) on a dedicated connection and read at once when notified (default true). An event committed while an older transaction still runs
   * is not readable yet: after a notified read finds nothing, the relay reads again after 5, 10, 20, 40 ms.
   */
  listen?: boolean;
  /** Events read and published per batch (default 200; published pipelined, every PubAck awaited before the checkpoint). */
  batchSize?: number;
  /** PubAck timeout per message, ms (default 5000). */
  publishTimeoutMs?: number;
  /** Told about every failed attempt (the relay retries after `intervalMs`). Default: console.error. */
  onError?: (error: unknown) => void;
  /**
   * Where an event that can never be published is parked (an event type that is not a subject token,
   * a payload over the server's limit), so that it does not hold back every later event. Default
   * `tickets.deadletter.relay`; a stream must capture it (see ensureDeadLetterStream).
   */
  deadLetterSubject?: string;
  /** Told about every parked event (an alert: log it as an error). Default: console.error. */
  onParked?: (event: RecordedEvent, reason: string, error: unknown) => void;
  /** Told about every event published (JetStream acknowledged it), e.g. for a debug log line. */
  onPublished?: (event: RecordedEvent) => void;
  hooks?: RelayHooks;
}

/** Counters for monitoring and tests. */
export interface RelayStats {
  /** Messages published (including repeats JetStream reported as duplicates). */
  published: number;
  /** Repeats JetStream dropped as duplicates. */
  duplicates: number;
  /** Batches whose checkpoint was saved. */
  batches: number;
  /** Failed attempts. */
  errors: number;
  /** Events parked in the dead-letter subject instead of published. */
  parked: number;
  /** Reads of the store (polls) while leading: a test waits for one instead of sleeping through it. */
  reads: number;
  /** Completed attempts to take the lock, successful or refused. */
  leadAttempts: number;
}

/** Quiet time after which a listening relay polls at `idleIntervalMs` instead of `intervalMs`, ms. */
export const IDLE_AFTER_MS = 3000;

/** Shortest pause between reads while caught up, ms (see Relay.run). */
const MIN_READ_GAP_MS = 10;

/** Advisory lock class of relays ("relay" in ASCII); the object key is hashtext(name). */
const RELAY_LOCK_CLASS = 0x72656c61;

/**
 * Reads `store.readAll` from its checkpoint in PostgreSQL — woken by `LISTEN eventstore_appended`,
 * else every `intervalMs` — and publishes each event to `<prefix>.<EventType>` with `Nats-Msg-Id` =
 * event id and the RecordedEvent JSON as payload, a batch pipelined (all sent, then every PubAck
 * awaited), then saves the checkpoint after the batch.
 *
 * Only the replica holding the session-level advisory lock (on a dedicated pooled client) publishes;
 * the others retry the lock every `intervalMs`. On any error the relay lets the lock go (ending that
 * session), reports the error, and tries again from the saved checkpoint: a crash between publish and
 * checkpoint republishes at most one batch, which JetStream deduplicates.
 */
export class Relay {
  private readonly name: string;
  private readonly prefix: string;
  private readonly intervalMs: number;
  private readonly idleIntervalMs: number;
  /** Last notification, non-empty read or keepAwake (ms since the epoch): the relay polls at `intervalMs` until IDLE_AFTER_MS after it. */
  private lastActivityAt = 0;
  private readonly batchSize: number;
  private readonly publishTimeoutMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly leader: AdvisoryLeader;
  private position: GlobalPosition | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private notified = false;
  /** Fast re-reads left after a notification found nothing readable yet. */
  private quickRetries = 0;
  /** When the last read started (ms since the epoch). */
  private lastReadAt = 0;
  private wake: (() => void) | null = null;
  private listener: pg.Client | null = null;
  private listening: Promise<void> | null = null;
  private readonly counters: RelayStats = { published: 0, duplicates: 0, batches: 0, errors: 0, parked: 0, reads: 0, leadAttempts: 0 };
  private readonly deadLetterSubject: string;
  private readonly onParked: (event: RecordedEvent, reason: string, error: unknown) => void;

  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'ticket-events';
    this.prefix = options.subjectPrefix ?? TICKET_EVENTS_PREFIX;
    this.intervalMs = options.intervalMs ?? 100;
    this.idleIntervalMs = Math.max(options.idleIntervalMs ?? this.intervalMs, this.intervalMs);
    this.batchSize = options.batchSize ?? 200;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.onError = options.onError ?? ((error) => console.error(`relay ${this.name}:`, error));
    this.deadLetterSubject = options.deadLetterSubject ?? deadLetterSubjectFor('relay');
    this.onParked = options.onParked ?? ((event, reason, error) => console.error(`relay ${this.name}: parked event ${event.id} (${reason})`, error));
    this.leader = new AdvisoryLeader(options.pool, { classId: RELAY_LOCK_CLASS, object: this.name });
  }

  /** True while this instance holds the lock (is the publishing replica). */
  get isLeader(): boolean {
    return this.leader.isLeader;
  }

  /** The last saved checkpoint as known to this instance (null before the first batch or when not leader). */
  get checkpoint(): GlobalPosition | null {
    return this.position;
  }

  /** A snapshot of the counters. */
  get stats(): RelayStats {
    return { ...this.counters };
  }

  /** Starts the polling loop in the background. Calling it again while running does nothing. */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
    if (this.options.listen ?? true) this.listening = this.listen();
  }

  /** Keeps a LISTEN connection while running (reconnecting after errors); every notification wakes the loop. */
  private async listen(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const client = new pg.Client(this.options.pool.options);
      const ended = new Promise<void>((resolve) => {
        client.once('end', resolve);
        client.on('error', () => resolve());
      });
      try {
        client.on('notification', () => {
          if (!this.leader.isLeader) return; // a standby replica keeps its lock-retry pace
          this.quickRetries = 4;
          this.notify();
        });
        await client.connect();
        await client.query('LISTEN eventstore_appended');
        this.listener = client;
        failures = 0;
        this.notify(); // anything appended while not listening
        await ended;
      } catch {
        failures += 1;
      } finally {
        this.listener = null;
        await client.end().catch(() => undefined);
      }
      if (!this.stopping) await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5000)));
    }
  }

  /** Wakes the loop now instead of after the poll interval (e.g. after a local append). */
  notify(): void {
    this.notified = true;
    this.lastActivityAt = Date.now();
    this.wake?.();
  }

  /**
   * Keeps polling at `intervalMs` for another {@link IDLE_AFTER_MS} (without reading now): e.g. while committed
   * events are held back by an open transaction, whose end sends no notification, so that they are read within
   * `intervalMs` of it.
   */
  keepAwake(): void {
    this.lastActivityAt = Date.now();
  }

  /** The pause before the next poll when caught up: `idleIntervalMs` once quiet while listening, else `intervalMs`. */
  private pollInterval(): number {
    const quiet = this.listener !== null && this.leader.isLeader && Date.now() - this.lastActivityAt >= IDLE_AFTER_MS;
    return quiet ? this.idleIntervalMs : this.intervalMs;
  }

  /** Stops polling: waits for the batch in flight to finish (published and checkpointed), then releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const loop = this.loop;
    if (loop) await loop;
    this.loop = null;
    await this.listener?.end().catch(() => undefined);
    await this.listening;
    this.listening = null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let more = false;
      try {
        if (!this.leader.isLeader) await this.tryLead();
        if (this.leader.isLeader) more = await this.relayBatch();
      } catch (error) {
        this.counters.errors += 1;
        this.onError(error);
        this.abdicate(error);
      }
      if (!more && !this.stopping) {
        await this.sleep(this.quickRetries > 0 ? 5 * 2 ** (4 - this.quickRetries--) : this.pollInterval());
        // Caught up: under a stream of appends, read at most every MIN_READ_GAP_MS (each notification
        // would otherwise start a read of one or two events, and the read horizon costs a scan of
        // pg_stat_activity); a full batch is followed at once.
        const gap = this.lastReadAt + MIN_READ_GAP_MS - Date.now();
        if (gap > 0 && !this.stopping) await new Promise((resolve) => setTimeout(resolve, gap));
      }
    }
    await this.leader.resign();
  }

  /** Tries to take the lock; on success loads the checkpoint (in the lock's session). */
  private async tryLead(): Promise<void> {
    const led = await this.leader.tryLead();
    this.counters.leadAttempts += 1;
    if (!led) return;
    this.position = await loadCheckpoint(this.leader.client!, this.name);
  }

  /** Publishes one batch and saves its checkpoint. Returns true when the batch was full (more may wait). */
  private async relayBatch(): Promise<boolean> {
    this.lastReadAt = Date.now();
    const client = this.leader.client!;
    const batch = await this.options.store.readAll(this.position, this.batchSize);
    this.counters.reads += 1;
    if (batch.length === 0) return false;
    this.quickRetries = 0;
    this.lastActivityAt = Date.now();
    this.leader.assertLeading();
    // Pipelined: every message is sent at once (in order, on one connection), then every PubAck awaited.
    // One failure fails the batch, which is published again from the checkpoint (JetStream drops repeats).
    const results = await Promise.allSettled(batch.map((event) => this.publish(event)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    this.leader.assertLeading();
    await this.options.hooks?.afterPublish?.(batch);
    const last = batch[batch.length - 1]!.position;
    if (!(await saveCheckpoint(client, this.name, last))) {
      // Someone saved a later checkpoint (a former leader): continue from there.
      this.position = await loadCheckpoint(client, this.name);
      return true;
    }
    this.position = last;
    this.counters.batches += 1;
    return batch.length === this.batchSize;
  }

  /**
   * Publishes one event to `<prefix>.<type>`. An event that can never be published (a type that is not
   * a subject token, a payload the server refuses as too large) is parked instead; any other failure
   * (NATS away, a timeout) is thrown, and the batch is tried again from the checkpoint.
   */
  private async publish(event: RecordedEvent): Promise<void> {
    const h = headers();
    h.set('Tongban-Stream', event.stream);
    h.set('Tongban-Revision', String(event.revision));
    // The caller's correlation id, readable without decoding the envelope (which carries it in metadata).
    if (event.metadata.correlationId) h.set('Tongban-Correlation-Id', event.metadata.correlationId);
    if (!isSubjectToken(event.type)) {
      return this.park(event, 'unpublishable_event', new Error(`event type ${JSON.stringify(event.type)} is not a valid subject token`));
    }
    const subject = `${this.prefix}.${event.type}`;
    // Issue 12 item 4: the span the event was appended in continues here, and in every consumer through
    // the `traceparent` header (no-op while tracing is off).
    const parent = eventTraceContext(event);
    try {
      await inSpan(`publish ${event.type}`, { kind: SpanKind.PRODUCER, attributes: eventSpanAttributes(event, subject) }, parent, async (span) => {
        injectTraceHeaders(parent, span, h);
        const ack = await this.options.js.publish(subject, encodeEnvelope(event), {
          msgID: event.id,
          headers: h,
          timeout: this.publishTimeoutMs,
        });
        if (ack.duplicate) span.setAttribute('tongban.duplicate', true);
        this.counters.published += 1;
        relayMetrics().published.inc({ duplicate: ack.duplicate ? 'true' : 'false' });
        this.options.onPublished?.(event);
        if (ack.duplicate) this.counters.duplicates += 1;
      });
    } catch (error) {
      if (!isRefusedForGood(error)) throw error;
      await this.park(event, 'unpublishable_event', error);
    }
  }

  /** Stores `event` (its envelope, or without `data` when even that is refused) in the dead-letter subject. */
  private async park(event: RecordedEvent, reason: string, error: unknown): Promise<void> {
    const h = headers();
    const err = error instanceof Error ? error : new Error(String(error));
    h.set(DeadLetterHeaders.error, err.message.replace(/[\r\n]+/g, ' ').slice(0, 1000));
    h.set(DeadLetterHeaders.errorName, err.name);
    const parker = this.deadLetterSubject.slice(this.deadLetterSubject.lastIndexOf('.') + 1);
    h.set(DeadLetterHeaders.consumer, parker);
    h.set(DeadLetterHeaders.reason, reason);
    h.set(DeadLetterHeaders.deliveryCount, '1');
    h.set('Tongban-Stream', event.stream);
    h.set('Tongban-Revision', String(event.revision));
    const publish = (payload: Uint8Array) =>
      this.options.js.publish(this.deadLetterSubject, payload, { msgID: `relay:${event.id}`, headers: h, timeout: this.publishTimeoutMs });
    try {
      await publish(encodeEnvelope(event));
    } catch (publishError) {
      if (!isRefusedForGood(publishError)) throw publishError;
      await publish(encodeEnvelope({ ...event, data: { omitted: 'payload too large to park' } }));
    }
    this.counters.parked += 1;
    consumerMetrics().deadLetters.inc({ consumer: parker, reason });
    this.onParked(event, reason, error);
  }

  /** After an error: end the lock session (the server releases the lock) so the next attempt starts clean. */
  private abdicate(error: unknown): void {
    this.position = null;
    this.leader.abdicate(error);
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        this.notified = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** A publish the server or client refuses whatever happens later (payload too large, invalid subject). */
function isRefusedForGood(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown } | null;
  return e?.name === 'InvalidArgumentError' || e?.name === 'InvalidSubjectError' || /max_payload|maximum payload/i.test(String(e?.message ?? ''));
}
