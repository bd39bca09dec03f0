import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { withTransaction } from '@tongban/eventstore';
import { type AttachmentType, detectImageType } from './media';

/** A stored file: its bytes and type. */
export interface StoredAttachment {
  contentType: AttachmentType;
  bytes: Uint8Array;
}

/**
 * Where attachment files live, addressed by the SHA-256 of their (stripped) bytes. Putting the same
 * content twice stores it once. Implementations: PostgreSQL large objects (default) and a directory
 * (a mounted volume); an S3-compatible store implements the same two methods.
 */
export interface AttachmentStore {
  /** Stores the bytes under their hash (idempotent: an existing hash is left as it is). */
  put(sha256: string, contentType: AttachmentType, bytes: Uint8Array): Promise<void>;
  /** The file with this hash, or undefined. */
  get(sha256: string): Promise<StoredAttachment | undefined>;
}

const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** True for a lower-case hexadecimal SHA-256. */
export function isSha256(value: string): boolean {
  return SHA256_PATTERN.test(value);
}

/**
 * PostgreSQL large objects: one `attachment_blobs` row per hash (content type, size, the large
 * object's oid), written in one transaction with `lo_from_bytea`, read with `lo_get`. The table is
 * created on first use (`ensureSchema`).
 */
export class PostgresAttachmentStore implements AttachmentStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly pool: pg.Pool) {}

  /** Creates the table when missing (safe to call concurrently from several processes). */
  ensureSchema(): Promise<void> {
    this.ready ??= (async () => {
      try {
        await withTransaction(this.pool, async (client) => {
          // Serialises concurrent first starts: CREATE TABLE IF NOT EXISTS alone can race on the catalog.
          await client.query("SELECT pg_advisory_xact_lock(hashtext('tongban_attachment_blobs'))");
          await client.query(`CREATE TABLE IF NOT EXISTS attachment_blobs (
            sha256 text PRIMARY KEY,
            content_type text NOT NULL,
            size integer NOT NULL,
            oid oid NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
          )`);
        });
      } catch (err) {
        this.ready = undefined;
        throw err;
      }
    })();
    return this.ready;
  }

  async put(sha256: string, contentType: AttachmentType, bytes: Uint8Array): Promise<void> {
    await this.ensureSchema();
    await withTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [sha256]);
      const { rowCount } = await client.query('SELECT 1 FROM attachment_blobs WHERE sha256 = $1', [sha256]);
      if (!rowCount) {
        await client.query(
          'INSERT INTO attachment_blobs (sha256, content_type, size, oid) VALUES ($1, $2, $3, lo_from_bytea(0, $4))',
          [sha256, contentType, bytes.length, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
        );
      }
    });
  }

  async get(sha256: string): Promise<StoredAttachment | undefined> {
    if (!isSha256(sha256)) return undefined;
    await this.ensureSchema();
    const { rows } = await this.pool.query<{ content_type: AttachmentType; bytes: Buffer }>(
      'SELECT content_type, lo_get(oid) AS bytes FROM attachment_blobs WHERE sha256 = $1', [sha256],
    );
    const row = rows[0];
    return row ? { contentType: row.content_type, bytes: new Uint8Array(row.bytes) } : undefined;
  }
}

/**
 * A directory (e.g. a mounted volume): `<dir>/<first two hex digits>/<sha256>`, written to a temporary
 * name and renamed, so a reader never sees half a file. The type is read back from the magic bytes.
 */
export class DirectoryAttachmentStore implements AttachmentStore {
  constructor(private readonly dir: string) {}

  private path(sha256: string): string {
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async put(sha256: string, _contentType: AttachmentType, bytes: Uint8Array): Promise<void> {
    const target = this.path(sha256);
    await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true });
    // A unique temporary name per write: two writers of the same content in the same millisecond must not
    // share it (one rename would take the other's file away: ENOENT). Renaming over an equal file is harmless.
    const temporary = `${target}.${randomUUID()}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, target);
  }

  async get(sha256: string): Promise<StoredAttachment | undefined> {
    if (!isSha256(sha256)) return undefined;
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const contentType = detectImageType(bytes);
    return contentType ? { contentType, bytes: new Uint8Array(bytes) } : undefined;
  }
}

/**
 * The store a process uses: a directory when TONGBAN_ATTACHMENTS_DIR is set, else PostgreSQL large
 * objects in the platform's database.
 */
export function attachmentStoreFromEnv(pool: pg.Pool, env: NodeJS.ProcessEnv = process.env): AttachmentStore {
  const dir = env['TONGBAN_ATTACHMENTS_DIR'];
  return dir ? new DirectoryAttachmentStore(dir) : new PostgresAttachmentStore(pool);
}
