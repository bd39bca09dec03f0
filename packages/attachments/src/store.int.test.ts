import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestDatabase, createTestDatabase } from '@tongban/testing';
import pg from 'pg';
import { fixture } from './testing/fixtures';
import { prepareAttachment } from './prepare';
import { type AttachmentStore, DirectoryAttachmentStore, PostgresAttachmentStore, attachmentStoreFromEnv } from './store';

let db: TestDatabase;
let pool: pg.Pool;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  dir = await mkdtemp(join(tmpdir(), 'tongban-attachments-'));
});
afterAll(async () => {
  await pool.end();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  ['PostgreSQL large objects', () => new PostgresAttachmentStore(pool)],
  ['a directory', () => new DirectoryAttachmentStore(dir)],
])('the attachment store in %s', (_name, make: () => AttachmentStore) => {
  it('stores by hash, reads back the same bytes and type, and stores a repeat once', async () => {
    const store = make();
    const jpeg = await prepareAttachment(fixture('wall.jpg'));
    const webp = await prepareAttachment(fixture('wall.webp'));
    await Promise.all([store.put(jpeg.sha256, jpeg.contentType, jpeg.bytes), store.put(jpeg.sha256, jpeg.contentType, jpeg.bytes), store.put(webp.sha256, webp.contentType, webp.bytes)]);
    const back = await store.get(jpeg.sha256);
    expect(back?.contentType).toBe('image/jpeg');
    expect(Buffer.from(back!.bytes).equals(Buffer.from(jpeg.bytes))).toBe(true);
    expect((await store.get(webp.sha256))?.contentType).toBe('image/webp');
    expect(await store.get('0'.repeat(64))).toBeUndefined();
    expect(await store.get('../../etc/passwd')).toBeUndefined();
  });
});

it('keeps one large object per hash in PostgreSQL', async () => {
  const { rows } = await pool.query<{ n: string; objects: string }>('SELECT count(*) AS n, count(DISTINCT oid) AS objects FROM attachment_blobs');
  expect(rows[0]).toEqual({ n: '2', objects: '2' });
  const { rows: lo } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata');
  expect(lo[0]?.n).toBe('2');
});

it('writes no temporary files into the directory and picks the directory by TONGBAN_ATTACHMENTS_DIR', async () => {
  const names = (await readdir(dir, { recursive: true })).map(String);
  expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  expect(attachmentStoreFromEnv(pool, { TONGBAN_ATTACHMENTS_DIR: dir })).toBeInstanceOf(DirectoryAttachmentStore);
  expect(attachmentStoreFromEnv(pool, {})).toBeInstanceOf(PostgresAttachmentStore);
});
