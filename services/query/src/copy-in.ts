/**
 * Bulk loading with `COPY … FROM STDIN` (text format) over a `pg` client, without a stream library:
 * the rows are encoded in memory and sent as CopyData messages (PostgreSQL frontend/backend protocol,
 * "COPY Operations"; a row may span messages). Used by the rebuild to fill its shadow tables, which is several
 * times cheaper for the server than INSERT … SELECT FROM jsonb_to_recordset.
 */
import type pg from 'pg';

/**
 * A value as a field of COPY's text format: null/undefined → `\N`; booleans `t`/`f`; finite numbers
 * as JavaScript prints them; strings as they are; arrays (of strings, numbers or nulls) as a PostgreSQL
 * array literal; any other object as its JSON (for jsonb columns). Backslash, newline, carriage return
 * and tab are escaped as COPY requires.
 * @throws Error for a number that is not finite (NaN, Infinity).
 */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (typeof value) {
    case 'boolean': return value ? 't' : 'f';
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`COPY: ${value} is not a finite number`);
      return String(value);
    case 'string': return escapeCopy(value);
    default: return escapeCopy(Array.isArray(value) ? arrayLiteral(value) : JSON.stringify(value));
  }
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeCopy(text: string): string {
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]!) : text;
}

/** A one-dimensional PostgreSQL array literal: every element double-quoted (`"` and `\` escaped), null as NULL. */
function arrayLiteral(items: readonly unknown[]): string {
  return `{${items.map((v) => (v === null || v === undefined ? 'NULL' : `"${String(v).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
}

/** One row of COPY's text format: fields (see {@link copyField}) separated by tabs, ending in a newline. */
export function copyRow(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : '\t') + copyField(values[i]);
  return `${line}\n`;
}

/** Size of the chunks {@link CopyRows} fills (bytes); a value larger than a chunk gets a chunk of its own size. */
const CHUNK_BYTES = 64 * 1024;

/** Strings up to this length are encoded by {@link CopyRows} byte by byte while they are ASCII (a call into `Buffer#write` costs more). */
const SHORT_STRING = 64;

/**
 * Rows for one `COPY … FROM STDIN`, written as {@link copyRow} would write them (the same bytes) straight
 * into UTF-8 chunks of about 64 KiB: rows waiting for their COPY live outside the JavaScript heap, so the
 * garbage collector neither copies nor promotes them, and no row is built as a string first (issue 13: the
 * rebuild's batches wait for the server while the next tickets are folded). Objects are written as their
 * JSON, in which only a backslash needs COPY's escape (JSON.stringify escapes every control character).
 */
export class CopyRows {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private at = 0;
  private chunks: Buffer[] = [];
  /** Rows added since the last {@link take}. */
  count = 0;

  /** Adds one row (fields as {@link copyRow} writes them). @throws Error for a number that is not finite (nothing of the row is kept). */
  add(values: readonly unknown[]): void {
    for (const v of values) if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`COPY: ${v} is not a finite number`);
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.byte(9);
      this.field(values[i]);
    }
    this.byte(10);
    this.count += 1;
  }

  /** The rows added so far, as chunks in order; starts empty again. */
  take(): Buffer[] {
    this.seal(CHUNK_BYTES);
    const chunks = this.chunks;
    this.chunks = [];
    this.count = 0;
    return chunks;
  }

  /** Keeps what the current chunk holds and starts a chunk of at least `size` bytes. */
  private seal(size: number): void {
    if (this.at > 0) this.chunks.push(this.buf.subarray(0, this.at));
    else if (this.buf.length >= size) return;
    this.buf = Buffer.allocUnsafe(Math.max(size, CHUNK_BYTES));
    this.at = 0;
  }

  private byte(b: number): void {
    if (this.at === this.buf.length) this.seal(CHUNK_BYTES);
    this.buf[this.at++] = b;
  }

  /** Writes `text` as UTF-8 (no escaping). */
  private text(text: string): void {
    const most = text.length * 3;
    if (this.at + most > this.buf.length) this.seal(most);
    this.at += this.buf.write(text, this.at, 'utf8');
  }

  private field(value: unknown): void {
    if (value === null || value === undefined) return this.text('\\N');
    switch (typeof value) {
      case 'boolean': return this.byte(value ? 116 : 102);
      case 'number': return this.text(String(value));
      case 'string': return value.length <= SHORT_STRING && this.ascii(value) ? undefined : this.text(escapeCopy(value));
      default:
        if (Array.isArray(value)) return this.text(escapeCopy(arrayLiteral(value)));
        return this.text(escapeJson(JSON.stringify(value)));
    }
  }

  /** Writes a short string escaped byte by byte if it is ASCII; false (nothing written) if it is not. */
  private ascii(text: string): boolean {
    if (this.at + text.length * 2 > this.buf.length) this.seal(CHUNK_BYTES);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return false;
      if (c === 92) { buf[at++] = 92; buf[at++] = 92; } // backslash
      else if (c === 10) { buf[at++] = 92; buf[at++] = 110; } // \n
      else if (c === 13) { buf[at++] = 92; buf[at++] = 114; } // \r
      else if (c === 9) { buf[at++] = 92; buf[at++] = 116; } // \t
      else buf[at++] = c;
    }
    this.at = at;
    return true;
  }
}

/** JSON text as a COPY field: JSON.stringify leaves no newline, carriage return or tab unescaped, so only backslashes are doubled. */
function escapeJson(json: string): string {
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/**
 * The protocol side of one `COPY … FROM STDIN`: a pg Submittable that sends `data` when the server
 * asks for it, then reports the number of rows copied once the server is ready again, or the error
 * (the server's, or the connection's) as soon as it comes — the client stops routing messages to a
 * query after its error, as it does for its own queries.
 */
class CopyIn implements pg.Submittable {
  private rows = 0;
  private settled = false;
  constructor(private readonly sql: string, private readonly data: readonly Buffer[], private readonly done: (error: Error | undefined, rows: number) => void) {}

  submit(connection: pg.Connection): void {
    connection.query(this.sql);
  }

  handleCopyInResponse(connection: pg.Connection & { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    for (const chunk of this.data) if (chunk.length > 0) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    this.rows = Number(/COPY (\d+)/.exec(msg.text ?? '')?.[1] ?? 0);
  }

  handleError(error: Error): void {
    this.settle(error);
  }

  handleReadyForQuery(): void {
    this.settle(undefined);
  }

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.done(error, this.rows);
  }

  // Messages a COPY FROM does not produce; present because the client calls them on its active query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}

/**
 * Copies rows (text format, see {@link copyRow}: a string, or the chunks of {@link CopyRows.take}) into
 * `table (columns)` on `client`; returns the number of rows copied. One round trip; the rows go in the
 * client's current transaction, if any.
 * @throws the server's error (e.g. a constraint violation or a malformed value): nothing is copied.
 */
export async function copyInto(client: pg.ClientBase, table: string, columns: readonly string[], rows: string | readonly Buffer[]): Promise<number> {
  const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN`;
  const data = typeof rows === 'string' ? [Buffer.from(rows, 'utf8')] : rows;
  return new Promise<number>((resolve, reject) => {
    client.query(new CopyIn(sql, data, (error, n) => (error ? reject(error) : resolve(n))));
  });
}
