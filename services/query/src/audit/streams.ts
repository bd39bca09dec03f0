/**
 * Reading the store's tables in bulk for verification (many streams per query). Recomputed hashes must
 * see exactly what the PostgreSQL adapter returns (packages/eventstore rows.ts): jsonb data and metadata
 * as parsed, `recorded_at` as `Date#toISOString()`, the revision as a number. The events are read with
 * `COPY … TO STDOUT (FORMAT binary)` and hashed from their bytes as they arrive (computeEventHashOfJson:
 * the same hash without parsing the JSON), while the server sends the rest.
 */
import { type RehashedLink, computeEventHashOfJson, toRecordedEvent } from '@tongban/eventstore';
import pg from 'pg';
import { copyOut } from './copy-out';

/** The stream holding AuditAnchorRecorded events. */
export const ANCHOR_STREAM = 'audit-anchors';

/** The stream holding PersonalDataDisclosed events (unmasked exports). */
export const DISCLOSURE_STREAM = 'audit-disclosures';

/** Ticket streams are `ticket-<uuid>` (the domain's naming); every other stream is left out of ticket verification. */
export { TICKET_STREAM_PREFIX } from '@tongban/domain';

/** A database handle: a pool or a client. */
export type Db = pg.Pool | pg.PoolClient | pg.Client;

/** Columns selecting an `events` row as the adapter's `EventRow` (@tongban/eventstore). */
export const EVENT_SELECT = `e.id::text AS id, e.type, e.stream, e.revision::text AS revision,
  e.transaction_id::text AS transaction_id, e.global_position::text AS global_position,
  e.recorded_at, e.data, e.metadata, e.prev_hash, e.hash`;

/** Converts an `events` row (selected with {@link EVENT_SELECT}) to a RecordedEvent (the store's own mapping). */
export const toRecorded = toRecordedEvent;

/** The columns {@link readStreams} copies, in the order {@link EventRowReader} decodes them (the id as uuid: 16 bytes). */
const COPIED_COLUMNS = 'e.stream, e.revision, e.id, e.type, e.recorded_at, e.data, e.metadata, e.prev_hash, e.hash';
const COPIED_FIELDS = 9;
/** The header of COPY's binary format: signature, flags, length of the header extension. */
const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 (timestamptz in binary counts from it). */
const PG_EPOCH_MS = 946_684_800_000;

/**
 * Decodes the rows of `COPY (SELECT {@link COPIED_COLUMNS} …) TO STDOUT (FORMAT binary)` and hashes each
 * event from its bytes; a row may span several CopyData messages. The mapping is the adapter's:
 * text as UTF-8 strings, the revision (int8) as a number, recorded_at (timestamptz: microseconds since
 * 2000-01-01) as the ISO-8601 of the millisecond it falls in (as the adapter's Date of its text).
 */
class EventRowReader {
  readonly streams = new Map<string, RehashedLink[]>();
  private pending: Buffer | undefined;
  private started = false;
  private ended = false;
  private current: RehashedLink[] | undefined;
  private currentStream = '';
  private currentStreamBytes = Buffer.alloc(0);
  /** Where each field of the row being decoded starts and ends in its buffer. */
  private readonly starts = new Int32Array(COPIED_FIELDS);
  private readonly ends = new Int32Array(COPIED_FIELDS);

  /** Takes one CopyData message. @throws Error on a malformed row, SyntaxError on jsonb that is not JSON. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) { buf = Buffer.concat([this.pending, chunk]); this.pending = undefined; }
    let at = 0;
    if (!this.started) {
      if (buf.length < COPY_SIGNATURE.length + 8) { this.pending = Buffer.from(buf); return; }
      if (!buf.subarray(0, COPY_SIGNATURE.length).equals(COPY_SIGNATURE)) throw new Error('COPY: not the binary format');
      at = COPY_SIGNATURE.length + 8 + buf.readInt32BE(COPY_SIGNATURE.length + 4);
      this.started = true;
    }
    while (at < buf.length) {
      const next = this.row(buf, at);
      if (next < 0) { this.pending = Buffer.from(buf.subarray(at)); return; }
      at = next;
    }
  }

  /** Whether `buf[start, end)` is the name of the stream of the previous row (rows come by stream). */
  private sameStream(buf: Buffer, start: number, end: number): boolean {
    const name = this.currentStreamBytes;
    if (end - start !== name.length || !this.current) return false;
    for (let i = 0; i < name.length; i++) if (buf[start + i] !== name[i]) return false;
    return true;
  }

  /** Decodes the row at `at`; returns the index after it, or -1 when it is not all there yet. */
  private row(buf: Buffer, at: number): number {
    if (this.ended) throw new Error('COPY: data after the trailer');
    if (at + 2 > buf.length) return -1;
    const fields = buf.readInt16BE(at);
    if (fields === -1) { this.ended = true; return at + 2; }
    if (fields !== COPIED_FIELDS) throw new Error(`COPY: ${fields} fields, expected ${COPIED_FIELDS}`);
    const starts = this.starts;
    const ends = this.ends;
    let p = at + 2;
    for (let i = 0; i < COPIED_FIELDS; i++) {
      if (p + 4 > buf.length) return -1;
      const n = buf.readInt32BE(p);
      if (n < 0) throw new Error('COPY: a null in a NOT NULL column of events');
      starts[i] = p + 4;
      ends[i] = p + 4 + n;
      p += 4 + n;
      if (p > buf.length) return -1;
    }
    const stream = this.sameStream(buf, starts[0]!, ends[0]!) ? this.currentStream : buf.toString('utf8', starts[0], ends[0]);
    const revision = int8(buf, starts[1]!);
    if (ends[2]! - starts[2]! !== 16) throw new Error('COPY: a uuid of other than 16 bytes');
    const id = uuidText(buf, starts[2]!);
    const type = buf.toString('utf8', starts[3], ends[3]);
    const recordedAt = isoOfTimestamptz(buf, starts[4]!);
    const prevHash = buf.toString('utf8', starts[7], ends[7]);
    const hash = buf.toString('utf8', starts[8], ends[8]);
    // jsonb in binary: a version byte (1), then the text.
    if (buf[starts[5]!] !== 1 || buf[starts[6]!] !== 1) throw new Error('COPY: unknown jsonb binary version');
    let recomputed: string | Error;
    try {
      recomputed = computeEventHashOfJson(prevHash, { stream, revision, type, id, recordedAt }, buf, starts[5]! + 1, ends[5]!, starts[6]! + 1, ends[6]!, hash);
    } catch (error) {
      // Text that is not JSON fails the read, as the adapter's JSON.parse of the row would; content that
      // cannot be canonicalised is the event's problem, reported by the chain check.
      if (error instanceof SyntaxError || !(error instanceof Error)) throw error;
      recomputed = error;
    }
    if (stream !== this.currentStream || !this.current) {
      this.currentStream = stream;
      this.currentStreamBytes = Buffer.from(buf.subarray(starts[0], ends[0]));
      this.current = this.streams.get(stream);
      if (!this.current) { this.current = []; this.streams.set(stream, this.current); }
    }
    this.current.push({ stream, revision, id, prevHash, hash, recomputed });
    return p;
  }
}

/** Two lowercase hex digits of each byte value, as ASCII codes (high, low). */
const HEX = new Uint8Array(512);
for (let i = 0; i < 256; i++) { HEX[2 * i] = '0123456789abcdef'.charCodeAt(i >> 4); HEX[2 * i + 1] = '0123456789abcdef'.charCodeAt(i & 15); }
const uuidScratch = Buffer.alloc(36, 0x2d);

/** A uuid in binary (16 bytes at `at`) as PostgreSQL writes it: lowercase, 8-4-4-4-12 hex digits. */
function uuidText(buf: Buffer, at: number): string {
  let w = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) w += 1; // the dash the scratch holds
    const b = buf[at + i]!;
    uuidScratch[w++] = HEX[2 * b]!;
    uuidScratch[w++] = HEX[2 * b + 1]!;
  }
  return uuidScratch.toString('latin1', 0, 36);
}

/** An int8 (big-endian) as a number, as `Number` makes of its decimal text. */
function int8(buf: Buffer, at: number): number {
  const high = buf.readInt32BE(at);
  if (high >= -0x200000 && high < 0x200000) return high * 0x1_0000_0000 + buf.readUInt32BE(at + 4); // exact below 2^53
  return Number(buf.readBigInt64BE(at));
}

/**
 * A timestamptz in binary (microseconds since 2000-01-01 UTC, int8) as `Date#toISOString()` of the
 * millisecond it falls in — what the adapter gets from pg's parse of its text (which keeps the
 * milliseconds and drops the rest).
 * @throws TypeError for ±infinity (the adapter's row mapping fails on them too); RangeError beyond Date's range.
 */
function isoOfTimestamptz(buf: Buffer, at: number): string {
  const high = buf.readInt32BE(at);
  let millis: number;
  if (high >= -0x200000 && high < 0x200000) {
    // Exact integer arithmetic below 2^53 µs (years 1715 to 2285): floor(micros / 1000).
    const micros = high * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
    const rest = micros % 1000;
    millis = (micros - rest) / 1000 - (rest < 0 ? 1 : 0);
  } else {
    const micros = buf.readBigInt64BE(at);
    if (micros === 0x7fff_ffff_ffff_ffffn || micros === -0x8000_0000_0000_0000n) throw new TypeError('recorded_at is infinite');
    millis = Number(micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n));
  }
  return isoString(PG_EPOCH_MS + millis);
}

/** `YYYY-MM-DDT` of recent days (by day number since 1970), as Date#toISOString writes them, in ASCII. */
const dayPrefixes = new Map<number, Uint8Array>();
const DAY_MS = 86_400_000;
/** The ISO-8601 being written: 24 ASCII characters, turned into one flat string (concatenation would make a rope the hash then reads char by char). */
const isoScratch = Buffer.from('0000-00-00T00:00:00.000Z', 'latin1');

/** `new Date(millis).toISOString()`, with the date part remembered per day. @throws RangeError beyond Date's range. */
function isoString(millis: number): string {
  const day = Math.floor(millis / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const iso = new Date(millis).toISOString();
    if (iso.length !== 24) return iso; // a year beyond 9999 or before 0 (written with a sign): not remembered
    if (dayPrefixes.size >= 4096) dayPrefixes.clear();
    prefix = Buffer.from(iso.slice(0, 11), 'latin1');
    dayPrefixes.set(day, prefix);
  }
  const out = isoScratch;
  out.set(prefix, 0);
  let rest = millis - day * DAY_MS;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  out[11] = 0x30 + Math.floor(hours / 10); out[12] = 0x30 + (hours % 10);
  out[14] = 0x30 + Math.floor(minutes / 10); out[15] = 0x30 + (minutes % 10);
  out[17] = 0x30 + Math.floor(seconds / 10); out[18] = 0x30 + (seconds % 10);
  out[20] = 0x30 + Math.floor(ms / 100); out[21] = 0x30 + (Math.floor(ms / 10) % 10); out[22] = 0x30 + (ms % 10);
  return out.toString('latin1', 0, 24);
}

/** A PostgreSQL text[] literal of `items`, quoted as an SQL literal (COPY takes no parameters). */
function textArrayLiteral(items: readonly string[]): string {
  return `${pg.escapeLiteral(`{${items.map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`).join(',')}}`)}::text[]`;
}

/**
 * The events of several streams, by stream, each in revision order (streams without events are absent),
 * as chain links with each event's hash recomputed from its content. One COPY on one connection.
 * @throws the database's error; Error when a row cannot be read (a null in a NOT NULL column, an
 * unknown jsonb format), SyntaxError when a jsonb value is not JSON — as the adapter's read would fail.
 */
export async function readStreams(db: Db, streams: readonly string[]): Promise<Map<string, RehashedLink[]>> {
  if (streams.length === 0) return new Map();
  const reader = new EventRowReader();
  // The range of the names as well as the list: PostgreSQL 15 then reads the index range once instead of
  // descending it once per name (a quarter less server CPU, measured). min/max in the database's collation.
  const list = textArrayLiteral(streams);
  const sql = `COPY (SELECT ${COPIED_COLUMNS} FROM events e
    WHERE e.stream >= (SELECT min(s) FROM unnest(${list}) s) AND e.stream <= (SELECT max(s) FROM unnest(${list}) s) AND e.stream = ANY(${list})
    ORDER BY e.stream, e.revision) TO STDOUT (FORMAT binary)`;
  const client = isPool(db) ? await db.connect() : db;
  try {
    await copyOut(client, sql, (chunk) => reader.push(chunk));
  } finally {
    if (client !== db) (client as pg.PoolClient).release();
  }
  return reader.streams;
}

function isPool(db: Db): db is pg.Pool {
  return typeof (db as pg.Pool).totalCount === 'number';
}

/** A stream's row in `streams`: the head the store moved with every append. */
export interface StreamHeadRow {
  /** Last revision (-1 when created but empty). */
  lastRevision: number;
  /** Hash of the event at lastRevision. */
  lastHash: string;
}

/** The `streams` rows of several streams (absent when there is none). */
export async function readHeads(db: Db, streams: readonly string[]): Promise<Map<string, StreamHeadRow>> {
  if (streams.length === 0) return new Map();
  const { rows } = await db.query<{ stream: string; last_revision: string; last_hash: string }>(
    'SELECT stream, last_revision::text AS last_revision, last_hash FROM streams WHERE stream = ANY($1::text[])', [streams],
  );
  return new Map(rows.map((r) => [r.stream, { lastRevision: Number(r.last_revision), lastHash: r.last_hash }]));
}
