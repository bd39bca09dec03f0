/**
 * One way to run a role on a single active replica: the replica holding a PostgreSQL session-level
 * advisory lock (on a dedicated pooled client) does the work; the others try to take the lock again
 * later. Used by the relay and the audit anchors.
 */
import type pg from 'pg';

/** The advisory lock (two int4 keys): a class and an object, the object given as a number or as a name (hashtext). */
export interface LeaderLockKey {
  /** First key, e.g. ASCII "rela" for relays. */
  classId: number;
  /** Second key: a number, or a name hashed with PostgreSQL's hashtext(). */
  object: number | string;
}

/** Thrown by {@link AdvisoryLeader.assertLeading} once the lock session's connection broke. */
export class LeadershipLostError extends Error {
  override readonly name = 'LeadershipLostError';
  readonly code = 'leadership_lost';
}

/**
 * A replica's claim on a single-active role. {@link tryLead} takes the lock without waiting;
 * {@link assertLeading} throws once the lock session was lost (its connection broke: server restart,
 * terminated session — the server has then released the lock and another replica may hold it);
 * {@link abdicate} after an error ends the session (the client is destroyed, the server releases the
 * lock); {@link resign} on stop unlocks and returns the client to the pool.
 *
 * The lock client has an `error` listener for as long as it is held, so a broken connection is
 * recorded (and surfaced by {@link assertLeading}) instead of ending the process.
 */
export class AdvisoryLeader {
  private held: pg.PoolClient | null = null;
  private lost: Error | null = null;
  private readonly onClientError = (error: Error): void => {
    this.lost ??= error;
  };

  constructor(private readonly pool: pg.Pool, private readonly key: LeaderLockKey) {}

  /** True while this replica holds the lock. */
  get isLeader(): boolean {
    return this.held !== null;
  }

  /** The client whose session holds the lock (for work that must run in it), or null. */
  get client(): pg.PoolClient | null {
    return this.held;
  }

  /**
   * Takes the lock if it is free (never waits). True when this replica leads (already or now).
   * @throws the connection's or query's error (the client is destroyed first).
   */
  async tryLead(): Promise<boolean> {
    if (this.held) return true;
    const client = await this.pool.connect();
    this.lost = null;
    client.on('error', this.onClientError);
    try {
      const { rows } = await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${this.lockArguments()}) AS ok`, [this.key.classId, this.key.object]);
      if (!rows[0]?.ok) {
        this.release(client);
        return false;
      }
    } catch (error) {
      this.release(client, error);
      throw error;
    }
    this.held = client;
    return true;
  }

  /** @throws LeadershipLostError when the lock session's connection broke since the lock was taken. */
  assertLeading(): void {
    if (this.lost) throw new LeadershipLostError('advisory lock session lost', { cause: this.lost });
  }

  /** After an error: ends the lock session (the client is destroyed; the server releases the lock) so the next attempt starts clean. */
  abdicate(error: unknown): void {
    const client = this.held;
    this.held = null;
    if (client) this.release(client, error);
  }

  /** On stop: unlocks and returns the client to the pool (destroys it when unlocking fails or the session was lost). */
  async resign(): Promise<void> {
    const client = this.held;
    this.held = null;
    if (!client) return;
    if (this.lost) {
      this.release(client, this.lost);
      return;
    }
    try {
      await client.query(`SELECT pg_advisory_unlock(${this.lockArguments()})`, [this.key.classId, this.key.object]);
      this.release(client);
    } catch (error) {
      this.release(client, error);
    }
  }

  private lockArguments(): string {
    return typeof this.key.object === 'string' ? '$1::int, hashtext($2)' : '$1::int, $2::int';
  }

  /** Returns the client to the pool; with an error, destroys it (ending its session and any lock). */
  private release(client: pg.PoolClient, error?: unknown): void {
    client.removeListener('error', this.onClientError);
    if (error === undefined) client.release();
    else client.release(error instanceof Error ? error : new Error(String(error)));
  }
}
