/**
 * Writes decided tickets straight into the event store's tables, many tickets per transaction: the
 * same rows the PostgreSQL adapter writes (hash chain by `computeEventHash` over exactly what jsonb
 * stores, `recorded_at` = the simulated instant, the `streams` head row), at bulk speed. For seeding
 * and benchmarks only — production appends go through the adapter. New streams only (no_stream).
 */
import { GENESIS_HASH, computeEventHash } from '@tongban/eventstore';
import type pg from 'pg';
import type { DecidedTicket } from './runners';

/** Inserts the tickets' events and head rows in one transaction. Returns the number of events written. */
export async function writeTickets(pool: pg.Pool, tickets: readonly DecidedTicket[]): Promise<number> {
  const events: Record<string, unknown>[] = [];
  const heads: Record<string, unknown>[] = [];
  for (const t of tickets) {
    let prevHash = GENESIS_HASH;
    t.events.forEach((e, revision) => {
      const data = JSON.parse(JSON.stringify(e.data)) as Record<string, unknown>;
      const metadata = JSON.parse(JSON.stringify(e.metadata)) as typeof e.metadata;
      const hash = computeEventHash(prevHash, { stream: t.stream, revision, type: e.type, data, metadata, id: e.id, recordedAt: e.recordedAt });
      events.push({ stream: t.stream, revision, id: e.id, type: e.type, data, metadata, recorded_at: e.recordedAt, prev_hash: prevHash, hash });
      prevHash = hash;
    });
    if (t.events.length) heads.push({ stream: t.stream, last_revision: t.events.length - 1, last_hash: prevHash });
  }
  if (events.length === 0) return 0;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO streams (stream, last_revision, last_hash)
       SELECT stream, last_revision, last_hash FROM jsonb_to_recordset($1::jsonb) AS r(stream text, last_revision bigint, last_hash text)`,
      [JSON.stringify(heads)],
    );
    await client.query(
      `INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at, prev_hash, hash)
       SELECT stream, revision, id, type, data, metadata, recorded_at, prev_hash, hash
       FROM jsonb_to_recordset($1::jsonb) AS r(stream text, revision bigint, id uuid, type text, data jsonb, metadata jsonb,
         recorded_at timestamptz, prev_hash text, hash text)
       ORDER BY stream, revision`,
      [JSON.stringify(events)],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  return events.length;
}
