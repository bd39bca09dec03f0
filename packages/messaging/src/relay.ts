/**
 * The relay: the one process role that moves events from the store to JetStream, in global order,
 * at least once (JetStream drops repeats within its duplicate window by `Nats-Msg-Id` = event id).
 * Requests append only; they never publish (no dual write).
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { EventStore, GlobalPosition, RecordedEvent } from '@tongban/eventstore';
import type pg from 'pg';
import { loadCheckpoint, migrateRelay, saveCheckpoint } from './checkpoint';
import { encodeEnvelope } from './envelope';
import { eventSubject, TICKET_EVENTS_PREFIX } from './subjects';

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
  /** Pause between polls when caught up, ms (default 100). */
  intervalMs?: number;
  /** Events read and published per batch (default 100). */
  batchSize?: number;
  /** PubAck timeout per message, ms (default 5000). */
  publishTimeoutMs?: number;
  /** Told about every failed attempt (the relay retries after `intervalMs`). Default: console.error. */
  onError?: (error: unknown) => void;
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
}

/** Advisory lock class of relays ("relay" in ASCII); the object key is hashtext(name). */
const RELAY_LOCK_CLASS = 0x72656c61;

/**
 * Polls `store.readAll` from its checkpoint in PostgreSQL and publishes each event to
 * `<prefix>.<EventType>` with `Nats-Msg-Id` = event id and the RecordedEvent JSON as payload,
 * awaiting each PubAck in order, then saves the checkpoint after the batch.
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
  private readonly batchSize: number;
  private readonly publishTimeoutMs: number;
  private readonly onError: (error: unknown) => void;
  private lockClient: pg.PoolClient | null = null;
  private lockLost: Error | null = null;
  private readonly onLockClientError = (error: Error): void => {
    this.lockLost = error;
  };
  private position: GlobalPosition | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private notified = false;
  private wake: (() => void) | null = null;
  private readonly counters: RelayStats = { published: 0, duplicates: 0, batches: 0, errors: 0 };

  constructor(private readonly options: RelayOptions) {
    this.name = options.name ?? 'ticket-events';
    this.prefix = options.subjectPrefix ?? TICKET_EVENTS_PREFIX;
    this.intervalMs = options.intervalMs ?? 100;
    this.batchSize = options.batchSize ?? 100;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.onError = options.onError ?? ((error) => console.error(`relay ${this.name}:`, error));
  }

  /** Creates `relay_checkpoints` if missing (idempotent). Run once at start, before {@link start}. */
  static migrate(pool: pg.Pool): Promise<string[]> {
    return migrateRelay(pool);
  }

  /** True while this instance holds the lock (is the publishing replica). */
  get isLeader(): boolean {
    return this.lockClient !== null;
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
  }

  /** Wakes the loop now instead of after the poll interval (e.g. after a local append). */
  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  /** Stops polling: waits for the batch in flight to finish (published and checkpointed), then releases the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const loop = this.loop;
    if (loop) await loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let more = false;
      try {
        if (!this.lockClient) await this.tryLead();
        if (this.lockClient) more = await this.relayBatch();
      } catch (error) {
        this.counters.errors += 1;
        this.onError(error);
        this.abdicate(error);
      }
      if (!more && !this.stopping) await this.sleep();
    }
    await this.resign();
  }

  /** Tries to take the lock; on success loads the checkpoint. */
  private async tryLead(): Promise<void> {
    const client = await this.options.pool.connect();
    this.lockLost = null;
    client.on('error', this.onLockClientError);
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
        RELAY_LOCK_CLASS,
        this.name,
      ]);
      if (!rows[0]?.ok) {
        this.release(client);
        return;
      }
      this.lockClient = client;
      this.position = await loadCheckpoint(client, this.name);
    } catch (error) {
      if (this.lockClient !== client) this.release(client, error);
      throw error;
    }
  }

  /** Publishes one batch and saves its checkpoint. Returns true when the batch was full (more may wait). */
  private async relayBatch(): Promise<boolean> {
    const client = this.lockClient!;
    const batch = await this.options.store.readAll(this.position, this.batchSize);
    if (batch.length === 0) return false;
    for (const event of batch) {
      if (this.lockLost) throw new Error('relay lock session lost', { cause: this.lockLost });
      const h = headers();
      h.set('Tongban-Stream', event.stream);
      h.set('Tongban-Revision', String(event.revision));
      const ack = await this.options.js.publish(eventSubject(this.prefix, event.type), encodeEnvelope(event), {
        msgID: event.id,
        headers: h,
        timeout: this.publishTimeoutMs,
      });
      this.counters.published += 1;
      if (ack.duplicate) this.counters.duplicates += 1;
    }
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

  /** After an error: end the lock session (the server releases the lock) so the next attempt starts clean. */
  private abdicate(error: unknown): void {
    const client = this.lockClient;
    this.lockClient = null;
    this.position = null;
    if (client) this.release(client, error);
  }

  /** On stop: unlock and return the client to the pool (destroy it if unlocking fails). */
  private async resign(): Promise<void> {
    const client = this.lockClient;
    this.lockClient = null;
    if (!client) return;
    try {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [RELAY_LOCK_CLASS, this.name]);
      this.release(client);
    } catch (error) {
      this.release(client, error);
    }
  }

  /** Returns the client to the pool; with an error, destroys it (ending its session and any lock). */
  private release(client: pg.PoolClient, error?: unknown): void {
    client.removeListener('error', this.onLockClientError);
    if (error === undefined) client.release();
    else client.release(error instanceof Error ? error : new Error(String(error)));
  }

  private sleep(): Promise<void> {
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
      const timer = setTimeout(done, this.intervalMs);
      this.wake = done;
    });
  }
}
