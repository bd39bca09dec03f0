import { randomUUID } from 'node:crypto';
import type { EventActor, EventStore, RecordedEvent } from '@tongban/eventstore';
import { WrongExpectedRevisionError } from '@tongban/eventstore';
import type pg from 'pg';
import { type StaffCommand, type StaffEvent, type StaffState, decideStaff, evolveStaff, initialStaffState } from './staff';

/** Stream of a staff account. */
function staffStream(id: string): string {
  return `staff-${id}`;
}

/** Who executes a staff command, and why (event metadata). */
export interface StaffCommandContext {
  actor: EventActor;
  correlationId: string;
  /** UTC, from the clock. */
  now: Date;
}

/**
 * Staff accounts in the event store, projected into `identity_staff` (state JSON, revision-guarded) right
 * after each append so that sign-in can find a person by username. The stream is the truth: every command
 * loads it, so a projection missed by a crash is repaired by the account's next command.
 */
export class StaffRepository {
  constructor(private readonly store: EventStore, private readonly pool: pg.Pool) {}

  /** The account evolved from its stream; revision -1 when it does not exist. */
  async load(id: string): Promise<StaffState> {
    const events = await this.store.readStream(staffStream(id));
    return events.reduce((s, e) => evolveStaff(s, asStaffEvent(e)), initialStaffState(id));
  }

  /**
   * Decides and appends a command (retried on a concurrent append up to 3 times), then projects.
   * @throws StaffRejection from the decider; WrongExpectedRevisionError after the retries.
   */
  async execute(id: string, command: StaffCommand, ctx: StaffCommandContext): Promise<StaffState> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.load(id);
      const events = decideStaff(command, state);
      if (events.length === 0) return state;
      try {
        await this.store.append(staffStream(id), events.map((e) => ({
          id: randomUUID(), type: e.type, data: e.data,
          metadata: { actor: ctx.actor, correlationId: ctx.correlationId, service: 'identity', schemaVersion: 1, occurredAt: ctx.now.toISOString(), channel: 'web' },
        })), state.revision < 0 ? 'no_stream' : state.revision);
      } catch (err) {
        if (err instanceof WrongExpectedRevisionError && attempt < 3) continue;
        throw err;
      }
      const next = events.reduce(evolveStaff, state);
      await this.project(next);
      return next;
    }
  }

  /**
   * Re-projects every account from its stream (`npm run identity:rebuild`): repairs a row missed by a
   * crash between the append and the projection (a person who could not sign in, or an account missing
   * from the directory list) without waiting for the account's next command. Safe while identity runs
   * (rows only move forward).
   * @returns accounts found in the event store, and rows written (missing or behind their stream).
   */
  async rebuildAll(): Promise<{ accounts: number; repaired: number }> {
    const { rows } = await this.pool.query<{ stream: string }>(`SELECT stream FROM streams WHERE stream LIKE 'staff-%' ORDER BY stream`);
    let repaired = 0;
    for (const { stream } of rows) {
      const state = await this.load(stream.slice('staff-'.length));
      if (state.revision >= 0 && await this.project(state)) repaired++;
    }
    return { accounts: rows.length, repaired };
  }

  /**
   * Writes the projection row (only forward: an older revision never overwrites a newer one).
   * @returns true when a row was written (new, or behind `state`).
   */
  async project(state: StaffState): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO identity_staff (staff_id, username, division, revision, state) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (staff_id) DO UPDATE SET username = EXCLUDED.username, division = EXCLUDED.division, revision = EXCLUDED.revision, state = EXCLUDED.state
       WHERE identity_staff.revision < EXCLUDED.revision`,
      [state.id, state.username, state.division, state.revision, JSON.stringify(state)],
    );
    return (rowCount ?? 0) > 0;
  }

  /** The projected account of a username (case-insensitive: usernames are stored lower-case). */
  async byUsername(username: string): Promise<StaffState | undefined> {
    const { rows } = await this.pool.query<{ state: StaffState }>('SELECT state FROM identity_staff WHERE username = $1', [username.trim().toLowerCase()]);
    return rows[0]?.state;
  }

  /** The projected account linked to an OpenID Connect identity (issuer and subject), if any. */
  async byOidc(issuer: string, subject: string): Promise<StaffState | undefined> {
    const { rows } = await this.pool.query<{ state: StaffState }>(
      `SELECT state FROM identity_staff WHERE state->'oidc' @> $1::jsonb LIMIT 1`, [JSON.stringify([{ issuer, subject }])],
    );
    return rows[0]?.state;
  }

  /** Projected accounts whose home division lies under `division`, by username; at most `limit`. */
  async list(division: string, limit: number, offset: number): Promise<StaffState[]> {
    const { rows } = await this.pool.query<{ state: StaffState }>(
      `SELECT state FROM identity_staff WHERE division LIKE $1 || '%' ORDER BY username LIMIT $2 OFFSET $3`, [division, limit, offset],
    );
    return rows.map((r) => r.state);
  }

  /** Number of accounts (0 on a fresh installation: bootstrap). */
  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM identity_staff');
    return rows[0]?.n ?? 0;
  }
}

function asStaffEvent(e: RecordedEvent): StaffEvent {
  return { type: e.type, data: e.data } as StaffEvent;
}
