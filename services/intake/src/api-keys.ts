import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@tongban/domain';
import type pg from 'pg';

/**
 * Open311 API keys: one or more per client application, created and revoked by an administrator
 * (`npm run apikey`). A key is `tb311_<key id: 16 hex>_<secret: 64 hex>`; only the key id, a random
 * per-key salt and SHA-256(salt ‖ secret) are stored, so the table never holds a usable key. The key id
 * finds the row; the secret is compared in constant time. Several keys may carry the same application
 * name (rotation): the name is the Open311 client id, i.e. the principal an Open311 request acts as.
 */

/** Prefix of every key (makes keys recognisable in logs and secret scanners). */
const API_KEY_PREFIX = 'tb311_';

const KEY_PATTERN = /^tb311_([0-9a-f]{16})_([0-9a-f]{64})$/;
const KEY_ID_PATTERN = /^(?:tb311_)?([0-9a-f]{16})$/;

/** Allowed application names: the client id of its requests. */
const CLIENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Names that cannot be issued: `public` is the principal of anonymous Open311 reads at the gateway. */
const RESERVED_CLIENT_NAMES: readonly string[] = ['public'];

/** A refused administrative request (bad name, unknown key…). */
export class ApiKeyError extends Error {
  override readonly name = 'ApiKeyError';
  constructor(readonly code: 'invalid_name' | 'reserved_name' | 'unknown_key' | 'malformed_key', message: string) {
    super(message);
  }
}

/** A stored key as listed to an administrator (never the secret). */
export interface ApiKeyInfo {
  keyId: string;
  clientName: string;
  createdAt: string;
  revokedAt: string | null;
}

/** The parts of a well-formed key, or undefined. */
function parseApiKey(key: string): { keyId: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(key.trim());
  return match ? { keyId: match[1]!, secret: match[2]! } : undefined;
}

/** SHA-256 of salt ‖ secret, hex. */
function secretHash(salt: string, secret: string): string {
  return createHash('sha256').update(Buffer.from(salt, 'hex')).update(secret, 'utf8').digest('hex');
}

/**
 * Creates a key for an application and returns it (the only time the full key exists).
 * @throws ApiKeyError invalid_name / reserved_name.
 */
export async function createApiKey(db: pg.Pool | pg.PoolClient, clientName: string, clock: Clock): Promise<{ key: string; keyId: string }> {
  if (!CLIENT_NAME_PATTERN.test(clientName)) {
    throw new ApiKeyError('invalid_name', 'the application name must be 1-64 characters: letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  if (RESERVED_CLIENT_NAMES.includes(clientName.toLowerCase())) throw new ApiKeyError('reserved_name', `"${clientName}" is reserved`);
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('hex');
  const salt = randomBytes(16).toString('hex');
  await db.query(
    'INSERT INTO intake_api_keys (key_id, client_name, salt, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)',
    [keyId, clientName, salt, secretHash(salt, secret), clock.now()],
  );
  return { key: `${API_KEY_PREFIX}${keyId}_${secret}`, keyId };
}

/**
 * Revokes a key, given in full or by its id (`tb311_<id>` or `<id>`). Revoking twice is harmless.
 * @returns what was revoked.
 * @throws ApiKeyError malformed_key / unknown_key.
 */
export async function revokeApiKey(db: pg.Pool | pg.PoolClient, keyOrId: string, clock: Clock): Promise<ApiKeyInfo> {
  const keyId = parseApiKey(keyOrId)?.keyId ?? KEY_ID_PATTERN.exec(keyOrId.trim())?.[1];
  if (!keyId) throw new ApiKeyError('malformed_key', 'give the key (tb311_<id>_<secret>) or its id (tb311_<id>)');
  const { rows } = await db.query<{ key_id: string; client_name: string; created_at: Date; revoked_at: Date | null }>(
    `UPDATE intake_api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE key_id = $1
     RETURNING key_id, client_name, created_at, revoked_at`,
    [keyId, clock.now()],
  );
  const row = rows[0];
  if (!row) throw new ApiKeyError('unknown_key', `no key ${API_KEY_PREFIX}${keyId}`);
  return { keyId: row.key_id, clientName: row.client_name, createdAt: row.created_at.toISOString(), revokedAt: row.revoked_at?.toISOString() ?? null };
}

/** Every key, newest first (ids and names only). */
export async function listApiKeys(db: pg.Pool | pg.PoolClient): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<{ key_id: string; client_name: string; created_at: Date; revoked_at: Date | null }>(
    'SELECT key_id, client_name, created_at, revoked_at FROM intake_api_keys ORDER BY created_at DESC, key_id',
  );
  return rows.map((r) => ({ keyId: r.key_id, clientName: r.client_name, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null }));
}

/**
 * Checks a key: well-formed, known, not revoked, secret matching.
 * @returns the application name (the Open311 client id), or undefined when the key is not valid.
 */
export async function verifyApiKey(db: pg.Pool | pg.PoolClient, key: string): Promise<string | undefined> {
  const parts = parseApiKey(key);
  if (!parts) return undefined;
  const { rows } = await db.query<{ client_name: string; salt: string; secret_hash: string }>(
    'SELECT client_name, salt, secret_hash FROM intake_api_keys WHERE key_id = $1 AND revoked_at IS NULL', [parts.keyId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const expected = Buffer.from(row.secret_hash, 'hex');
  const actual = Buffer.from(secretHash(row.salt, parts.secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? row.client_name : undefined;
}
