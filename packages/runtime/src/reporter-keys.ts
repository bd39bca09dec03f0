/**
 * The reporters' data keys (issue 14 item 6): one AES-256 data key per reporter in the table
 * `reporter_keys`, wrapped (AES-256-GCM) by the installation's wrapping key, which is derived from
 * `TONGBAN_REPORTER_KEY` — or, outside production, from an installation key generated on first start
 * into `reporter_installation_key` (the identity service's pattern for its token key; a separate secret,
 * because only identity may hold the token secret). Erasing a reporter deletes the wrapped key: every
 * value sealed with it (reporter-seal.ts) can no longer be opened, by anyone.
 */
import { runMigrations, type Migration } from '@tongban/eventstore';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { ConfigError } from './config';
import { ID_NAMESPACES, uuidV5 } from './id-namespaces';
import { type ReporterPersonalData, type ReporterSecrets, SealError, newDataKey, reporterSecrets, seal, unseal, unsealPersonalData } from './reporter-seal';

/** The reporter secret's setting. */
export const REPORTER_KEY_VARIABLE = 'TONGBAN_REPORTER_KEY';

/**
 * Tables of the reporter keys (append only). `device_hash`: the keyed hash of the device a reporter reports
 * from (a citizen's device, an Open311 client's device_id), so the same device keeps one reporter and one
 * key; cleared at erasure, so the device's next report starts a new reporter. `wrapped_key` is NULL once erased.
 */
const REPORTER_KEY_MIGRATIONS: readonly Migration[] = [{
  id: '001_reporter_keys',
  sql: `
    CREATE TABLE reporter_installation_key (id int PRIMARY KEY CHECK (id = 1), secret text NOT NULL);
    CREATE TABLE reporter_keys (
      reporter_id uuid PRIMARY KEY,
      device_hash text UNIQUE,
      wrapped_key text,
      wrapping_key_id text NOT NULL,
      created_at timestamptz NOT NULL,
      erased_at timestamptz,
      erased_by text,
      erase_reason text
    );`,
}, {
  // Who erased, as the ReporterErased event's metadata names them (actor in the role that allowed it, and the
  // request's correlation id), kept with the first erasure so that a retry or a concurrent second erasure
  // appends exactly the event the first one would have: data and metadata both name the first caller.
  id: '002_reporter_erasure_actor',
  sql: 'ALTER TABLE reporter_keys ADD COLUMN erased_actor jsonb, ADD COLUMN erased_correlation_id text;',
}];

/** What reading a sealed value gives: the personal data, or `erased` when its key is gone. */
export type OpenedPersonalData = ReporterPersonalData | 'erased';

/** A sealed value and what it belongs to. */
export interface SealedRef {
  reporterId: string;
  sealed: string;
  ticketId: string;
}

/** The record of an erasure (the ReporterErased event is built from it, so a retry builds the same event). */
export interface ReporterErasure {
  reporterId: string;
  by: string;
  reason: string;
  /** UTC ISO-8601. */
  erasedAt: string;
  /** True when the reporter had been erased before this request (the first erasure's record is returned). */
  alreadyErased: boolean;
  /**
   * The first erasure's actor (event metadata `actor`, e.g. `{kind:'staff', id, unitId, role:'supervisor'}`) and
   * correlation id; undefined for an erasure recorded before they were kept (migration 002).
   */
  actor?: ErasureActor;
  correlationId?: string;
}

/** Who erased, as event metadata names an actor. */
export interface ErasureActor {
  kind: 'staff';
  id: string;
  unitId?: string;
  role: string;
}

/** Who asks for an erasure and why. */
export interface ErasureRequest {
  actor: ErasureActor;
  reason: string;
  correlationId: string;
  at: Date;
}

/** The store of the reporters' data keys. */
export class ReporterKeyStore {
  private constructor(private readonly pool: pg.Pool, private readonly secrets: ReporterSecrets) {}

  /**
   * Opens the store: runs its migrations and loads the secret ({@link REPORTER_KEY_VARIABLE}, else the
   * generated installation key). `readOnly` (the auditor CLI with a reader role): no migrations, and the
   * installation key must exist already.
   * @throws ConfigError when the variable is shorter than 32 bytes, or unset with NODE_ENV=production.
   */
  static async open(pool: pg.Pool, env: NodeJS.ProcessEnv = process.env, options: { readOnly?: boolean } = {}): Promise<ReporterKeyStore> {
    if (!options.readOnly) await runMigrations(pool, 'reporter-keys', REPORTER_KEY_MIGRATIONS);
    const configured = env[REPORTER_KEY_VARIABLE];
    if (configured !== undefined && configured !== '') {
      if (Buffer.byteLength(configured) < 32) throw new ConfigError(`${REPORTER_KEY_VARIABLE} must be at least 32 bytes (e.g. \`openssl rand -base64 48\`)`);
      return new ReporterKeyStore(pool, reporterSecrets(configured));
    }
    if (env['NODE_ENV'] === 'production') {
      throw new ConfigError(`${REPORTER_KEY_VARIABLE} must be set (at least 32 bytes) when NODE_ENV=production; the generated installation key is for development only`);
    }
    if (!options.readOnly) await pool.query('INSERT INTO reporter_installation_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [newDataKey().toString('base64')]);
    const { rows } = await pool.query<{ secret: string }>('SELECT secret FROM reporter_installation_key WHERE id = 1');
    if (!rows[0]) throw new Error('reporter_installation_key has no row');
    return new ReporterKeyStore(pool, reporterSecrets(rows[0].secret));
  }

  /** The keyed hash of a device identifier (`citizen:<id>`, `open311:<client>:<device_id>`), hex. */
  deviceHash(scope: string): string {
    return this.secrets.deviceHash(scope);
  }

  /**
   * The reporter of a submission and its data key: the device's reporter when `deviceHash` is given
   * (created on its first report), else a reporter of this ticket alone (id derived from the ticket id,
   * so a retried submission finds the same one).
   */
  async keyForSubmission(who: { deviceHash: string } | { ticketId: string }, now: Date): Promise<{ reporterId: string; key: Buffer }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const reporterId = 'ticketId' in who ? uuidV5(who.ticketId, ID_NAMESPACES.ticketReporter) : uuidv7();
      const key = newDataKey();
      const deviceHash = 'deviceHash' in who ? who.deviceHash : null;
      const { rows } = await this.pool.query<{ reporter_id: string; wrapped_key: string | null }>(
        `WITH inserted AS (
           INSERT INTO reporter_keys (reporter_id, device_hash, wrapped_key, wrapping_key_id, created_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING reporter_id::text, wrapped_key
         )
         SELECT * FROM inserted
         UNION ALL SELECT reporter_id::text, wrapped_key FROM reporter_keys
          WHERE NOT EXISTS (SELECT 1 FROM inserted) AND (reporter_id = $1 OR device_hash = $2)`,
        [reporterId, deviceHash, this.wrap(key, reporterId), this.secrets.wrappingKeyId, now],
      );
      const row = rows[0];
      // Inserted concurrently by a transaction this statement cannot see yet: look again.
      if (!row) continue;
      if (!row.wrapped_key) {
        // This ticket's reporter was erased (a retry after the erasure): nothing may be sealed for it any more.
        if ('ticketId' in who) throw new SealError(`the reporter of ticket ${who.ticketId} was erased`);
        continue; // the device's reporter was erased meanwhile: a new reporter
      }
      return { reporterId: row.reporter_id, key: this.unwrap(row.wrapped_key, row.reporter_id) };
    }
    throw new Error('could not create or find a reporter key in three attempts');
  }

  /**
   * Opens sealed values (one query for all): the personal data, or `erased` when the reporter's key was
   * destroyed (or never existed in this installation). @throws SealError when a value does not open with an existing key.
   */
  async open(refs: readonly SealedRef[]): Promise<OpenedPersonalData[]> {
    if (refs.length === 0) return [];
    const ids = [...new Set(refs.map((r) => r.reporterId))];
    const { rows } = await this.pool.query<{ reporter_id: string; wrapped_key: string | null }>(
      'SELECT reporter_id::text, wrapped_key FROM reporter_keys WHERE reporter_id::text = ANY($1)', [ids],
    );
    const keys = new Map(rows.filter((r) => r.wrapped_key).map((r) => [r.reporter_id, this.unwrap(r.wrapped_key!, r.reporter_id)]));
    return refs.map((r) => {
      const key = keys.get(r.reporterId);
      return key ? unsealPersonalData(key, r.sealed, r.ticketId) : 'erased';
    });
  }

  /** Whether a reporter exists (erased or not). */
  async exists(reporterId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM reporter_keys WHERE reporter_id::text = $1', [reporterId]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Destroys a reporter's data key (and forgets its device hash), recording who (actor and correlation id) and
   * why. Idempotent: an erased reporter answers the first erasure's record with `alreadyErased`; concurrent
   * erasures are serialised by the row lock, so exactly one records itself.
   * @returns undefined when there is no such reporter.
   */
  async erase(reporterId: string, request: ErasureRequest): Promise<ReporterErasure | undefined> {
    const { rows } = await this.pool.query<{
      erased_at: Date; erased_by: string; erase_reason: string; already: boolean; erased_actor: ErasureActor | null; erased_correlation_id: string | null;
    }>(
      `WITH before AS (SELECT erased_at IS NOT NULL AS already FROM reporter_keys WHERE reporter_id::text = $1 FOR UPDATE)
       UPDATE reporter_keys k SET wrapped_key = NULL, device_hash = NULL,
              erased_at = COALESCE(k.erased_at, $2), erased_by = COALESCE(k.erased_by, $3), erase_reason = COALESCE(k.erase_reason, $4),
              erased_actor = CASE WHEN before.already THEN k.erased_actor ELSE $5::jsonb END,
              erased_correlation_id = CASE WHEN before.already THEN k.erased_correlation_id ELSE $6 END
         FROM before WHERE k.reporter_id::text = $1
       RETURNING k.erased_at, k.erased_by, k.erase_reason, before.already, k.erased_actor, k.erased_correlation_id`,
      [reporterId, request.at, request.actor.id, request.reason, JSON.stringify(request.actor), request.correlationId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      reporterId, by: row.erased_by, reason: row.erase_reason, erasedAt: row.erased_at.toISOString(), alreadyErased: row.already,
      ...(row.erased_actor ? { actor: row.erased_actor } : {}),
      ...(row.erased_correlation_id ? { correlationId: row.erased_correlation_id } : {}),
    };
  }

  private wrap(key: Buffer, reporterId: string): string {
    return seal(this.secrets.wrappingKey, key.toString('base64'), reporterId);
  }

  private unwrap(wrapped: string, reporterId: string): Buffer {
    return Buffer.from(unseal(this.secrets.wrappingKey, wrapped, reporterId), 'base64');
  }
}
