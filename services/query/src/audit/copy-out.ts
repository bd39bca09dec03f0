/**
 * `COPY (SELECT …) TO STDOUT` over a `pg` client, without a stream library: the rows come as the raw
 * bytes of CopyData messages (PostgreSQL frontend/backend protocol, "COPY Operations"), handed to a
 * callback as they arrive, so that a reader can work on them while the server is still sending.
 */
import type pg from 'pg';

/**
 * The protocol side of one `COPY … TO STDOUT`: a pg Submittable that passes each CopyData message to
 * `onData` and settles once the server is ready again — with the server's or the connection's error,
 * or the first error `onData` threw (the rest of the data is then drained and dropped).
 */
class CopyOut implements pg.Submittable {
  private failure: Error | undefined;
  private settled = false;
  constructor(
    private readonly sql: string,
    private readonly onData: (chunk: Buffer) => void,
    private readonly done: (error: Error | undefined) => void,
  ) {}

  submit(connection: pg.Connection): void {
    connection.query(this.sql);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.failure) return;
    try {
      this.onData(msg.chunk);
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    }
  }

  handleError(error: Error): void {
    this.settle(error);
  }

  handleReadyForQuery(): void {
    this.settle(this.failure);
  }

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.done(error);
  }

  handleCopyInResponse(connection: pg.Connection & { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('COPY FROM is not expected here'); // the statement must be a COPY TO
  }

  // Messages a COPY TO does not produce or that need no action; present because the client calls them on its active query.
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/**
 * Runs `sql` (a `COPY … TO STDOUT`) on `client` and passes each CopyData message's bytes to `onData`
 * as it arrives (the buffer is the client's: read it before returning, or copy it).
 * @throws the server's error, the connection's, or the first error `onData` threw.
 */
export async function copyOut(client: pg.PoolClient | pg.Client, sql: string, onData: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    client.query(new CopyOut(sql, onData, (error) => (error ? reject(error) : resolve())));
  });
}
