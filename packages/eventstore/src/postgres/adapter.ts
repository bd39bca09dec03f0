/** The PostgreSQL implementation of the EventStore port (the tested default). */
import type pg from 'pg';
import {
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
  type AppendResult,
  type Clock,
  type EventStore,
  type ExpectedRevision,
  type GlobalPosition,
  type NewEvent,
  type RecordedEvent,
} from '../port';
import { systemClock } from '../clock';
import { appendEvents, StreamHeads } from './append';
import { migrateEventStore } from './migrations';
import { AppendNotifier } from './notifier';
import { createPool } from './pool';
import { readAll, readStream, readStreams } from './read';

/** Options of {@link PostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** Connection pool on a database migrated with `migrateEventStore`. */
  pool: pg.Pool;
  /** Source of `recordedAt` (UTC). */
  clock: Clock;
  /** End the pool on close() (default false: the caller owns it). */
  ownsPool?: boolean;
}

/**
 * Event store on PostgreSQL tables `events` and `streams` (see migrations.ts). See append.ts for the
 * append transaction and read.ts for the global-order rule (xid8 + position, never a bare bigserial).
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: pg.Pool;
  private readonly clock: Clock;
  private readonly ownsPool: boolean;
  /** Heads seen by this store's appends and full reads: the hashes of the next append are computed without asking. */
  private readonly heads = new StreamHeads();
  /** Wakes relays (NOTIFY eventstore_appended) after appends commit. */
  private readonly notifier: AppendNotifier;

  constructor(options: PostgresEventStoreOptions) {
    this.pool = options.pool;
    this.clock = options.clock;
    this.ownsPool = options.ownsPool ?? false;
    this.notifier = new AppendNotifier(this.pool);
  }

  /**
   * Connects (a URL creates a pool that close() ends; a pool stays the caller's), runs the
   * migrations, and returns the store.
   * @throws the pg error when the database is unreachable or a migration fails.
   */
  static async create(database: string | pg.Pool, clock: Clock = systemClock): Promise<PostgresEventStore> {
    const ownsPool = typeof database === 'string';
    // A connection error of a client (idle or checked out) must not crash the process: guarded pool.
    const pool = typeof database === 'string' ? createPool(database) : database;
    try {
      await migrateEventStore(pool);
    } catch (error) {
      if (ownsPool) await pool.end();
      throw error;
    }
    return new PostgresEventStore({ pool, clock, ownsPool });
  }

  /** See {@link EventStore.append} and `appendEvents`. */
  async append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let result: AppendResult;
    try {
      result = await appendEvents(client, this.clock, stream, events, expected, {}, this.heads);
    } catch (error) {
      // Expected rejections leave the client clean (rolled back); anything else may have left it
      // mid-transaction or disconnected, so it is destroyed rather than returned to the pool.
      if (!isRejection(error)) broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(broken);
    }
    // Committed: wake the relays (after the commit, outside the append's transaction: see AppendNotifier).
    if (result.appended) this.notifier.appended();
    return result;
  }

  /** See {@link EventStore.readStream}. */
  async readStream(stream: string, options?: { fromRevision?: number; toRevision?: number }): Promise<RecordedEvent[]> {
    const events = await readStream(this.pool, stream, options);
    const last = events[events.length - 1];
    // Read to the end: its last event is the head (a decider usually appends right after reading).
    if (last && options?.toRevision === undefined) this.heads.set(stream, { revision: last.revision, hash: last.hash });
    return events;
  }

  /** See {@link EventStore.readStreams}: one statement. */
  async readStreams(streams: readonly string[]): Promise<Map<string, RecordedEvent[]>> {
    const read = await readStreams(this.pool, streams);
    // Read to the end, as readStream without a range: each last event is its stream's head.
    for (const [stream, events] of read) {
      const last = events[events.length - 1];
      if (last) this.heads.set(stream, { revision: last.revision, hash: last.hash });
    }
    return read;
  }

  /** See {@link EventStore.readAll}. */
  readAll(after: GlobalPosition | null, limit: number): Promise<RecordedEvent[]> {
    return readAll(this.pool, after, limit);
  }

  /** Waits for the notification in flight, then ends the pool when the store created it. */
  async close(): Promise<void> {
    await this.notifier.idle();
    if (this.ownsPool) await this.pool.end();
  }
}

function isRejection(error: unknown): boolean {
  return (
    error instanceof WrongExpectedRevisionError ||
    error instanceof DuplicateEventIdError ||
    error instanceof InvalidAppendError
  );
}
