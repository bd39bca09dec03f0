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

/** Size at which {@link CopyRows} turns its text into a chunk of bytes (characters of text). */
const CHUNK_CHARS = 64 * 1024;

/**
 * Rows for one `COPY … FROM STDIN` (see {@link copyRow}), kept as UTF-8 chunks of about 64 KiB: rows
 * waiting for their COPY live outside the JavaScript heap, so the garbage collector neither copies nor
 * promotes them (issue 13: the rebuild's batches wait for the server while the next tickets are folded).
 */
export class CopyRows {
  private text = '';
  private chunks: Buffer[] = [];
  /** Rows added since the last {@link take}. */
  count = 0;

  /** Adds one row (fields as {@link copyRow} writes them). @throws Error for a number that is not finite. */
  add(values: readonly unknown[]): void {
    this.text += copyRow(values);
    this.count += 1;
    if (this.text.length >= CHUNK_CHARS) this.seal();
  }

  /** The rows added so far, as chunks in order; starts empty again. */
  take(): Buffer[] {
    this.seal();
    const chunks = this.chunks;
    this.chunks = [];
    this.count = 0;
    return chunks;
  }

  private seal(): void {
    if (this.text.length === 0) return;
    this.chunks.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
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
export async function copyInto(client: pg.PoolClient | pg.Client, table: string, columns: readonly string[], rows: string | readonly Buffer[]): Promise<number> {
  const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN`;
  const data = typeof rows === 'string' ? [Buffer.from(rows, 'utf8')] : rows;
  return new Promise<number>((resolve, reject) => {
    client.query(new CopyIn(sql, data, (error, n) => (error ? reject(error) : resolve(n))));
  });
}
