/**
 * Test double: an in-memory stand-in for the part of `KurrentDBClient` the adapter uses, modelling the
 * documented server behaviour the adapter relies on. Not exported from the package; for unit tests only.
 * - appendToStream with an exact state (`no_stream` or a revision; the adapter never sends `any` or
 *   `stream_exists`, and the fake throws if it does). When the stream is past the expected revision and
 *   the events there have the batch's ids, the write is acknowledged without writing (KurrentDB's
 *   idempotency); otherwise `{type: 'wrong-expected-version', actualState}`.
 * - readStream: `{type: 'stream-not-found'}` for a missing stream; events carry positions.
 * - readAll: `$all` from a position inclusively, optional regex filter on the event type.
 * Every call yields to the event loop first, so concurrent appends interleave between read and write.
 * Ids are NOT unique across streams, as in KurrentDB.
 */
import type { JSONEventData, KurrentDBClient, Position, RegexFilter } from '@kurrent/kurrentdb-client';
import type { KurrentRecord } from '../kurrentdb/envelope';

type Stored = Required<KurrentRecord>;

export class FakeKurrentDb {
  readonly all: Stored[] = [];
  private readonly streams = new Map<string, Stored[]>();
  private nextCommit = 100n;
  /** Number of appendToStream calls, successful or not. */
  appendCalls = 0;
  disposed = false;

  /** The fake typed as the client the adapter takes. */
  asClient(): KurrentDBClient {
    return this as unknown as KurrentDBClient;
  }

  async appendToStream(
    stream: string,
    events: JSONEventData[],
    options: { streamState?: unknown },
  ): Promise<{ success: true; nextExpectedRevision: bigint }> {
    await tick();
    this.appendCalls += 1;
    const state = options.streamState;
    if (state !== 'no_stream' && typeof state !== 'bigint') throw new Error(`fake: unexpected stream state ${String(state)}`);
    const existing = this.streams.get(stream) ?? [];
    const current = existing.length - 1;
    const expected = state === 'no_stream' ? -1 : Number(state);
    if (expected !== current) {
      const there = existing.slice(expected + 1, expected + 1 + events.length);
      if (expected < current && there.length === events.length && there.every((e, i) => e.id === events[i]?.id)) {
        return { success: true, nextExpectedRevision: BigInt(expected + events.length) };
      }
      throw Object.assign(new Error('WrongExpectedVersion'), {
        type: 'wrong-expected-version',
        actualState: current === -1 ? 'no_stream' : BigInt(current),
      });
    }
    this.write(stream, events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })));
    return { success: true, nextExpectedRevision: BigInt(current + events.length) };
  }

  /** Writes raw events (system or foreign ones too) without any check, as one commit. */
  write(stream: string, events: Array<{ id: string; type: string; data: unknown; metadata: unknown }>): void {
    const existing = this.streams.get(stream) ?? [];
    const commit = this.nextCommit;
    this.nextCommit += 100n;
    events.forEach((event, index) => {
      const stored: Stored = {
        streamId: stream,
        id: event.id,
        revision: BigInt(existing.length),
        type: event.type,
        isJson: true,
        data: JSON.parse(JSON.stringify(event.data)),
        metadata: event.metadata === undefined ? undefined : JSON.parse(JSON.stringify(event.metadata)),
        position: { commit, prepare: commit + BigInt(index) },
      };
      existing.push(stored);
      this.all.push(stored);
    });
    this.streams.set(stream, existing);
  }

  async *readStream(
    stream: string,
    options: { fromRevision?: unknown; maxCount?: number | bigint } = {},
  ): AsyncIterableIterator<{ event: Stored }> {
    await tick();
    const events = this.streams.get(stream);
    if (!events) throw Object.assign(new Error(`${stream} not found`), { type: 'stream-not-found' });
    const from = typeof options.fromRevision === 'bigint' ? Number(options.fromRevision) : 0;
    const count = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    for (const event of events.slice(from, from + count)) yield { event: copy(event) };
  }

  async *readAll(
    options: { fromPosition?: Position | 'start'; maxCount?: number | bigint; filter?: RegexFilter } = {},
  ): AsyncIterableIterator<{ event: Stored }> {
    await tick();
    const from = options.fromPosition;
    const pattern = options.filter ? new RegExp(options.filter.regex) : null;
    let left = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
    for (const event of this.all) {
      if (left === 0) return;
      if (from && from !== 'start' && before(event.position, from)) continue;
      if (pattern && !pattern.test(event.type)) continue;
      left -= 1;
      yield { event: copy(event) };
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function before(a: Position, b: Position): boolean {
  return a.commit < b.commit || (a.commit === b.commit && a.prepare < b.prepare);
}

function copy(event: Stored): Stored {
  return { ...event, data: structuredClone(event.data), metadata: structuredClone(event.metadata), position: { ...event.position } };
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
