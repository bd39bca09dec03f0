/**
 * Over a generated workload (real divisions, the real decider): the live projection (events delivered
 * in global order, some twice and some out of order) equals, ticket by ticket and field by field, the
 * state replayed from each stream; a rebuild recreates tables equal to the live ones; the in-memory
 * statistics equal the same figures computed by SQL; and executor mode (TicketExecutor through the
 * adapter) writes exactly the events bulk mode writes.
 */
import { type TicketState } from '@tongban/domain';
import { type RecordedEvent, verifyChain } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { waitFor } from '@tongban/testing';
import { sameStats } from '../../bench/lib';
import { generateWorkload } from '../../bench/workload/generate';
import { eventsUpTo, replayState } from '../../services/query/src/audit/replay';
import { projectTicketEvent } from '../../services/query/src/read-models/projection';
import { rebuildReadModels } from '../../services/query/src/rebuild';
import { StatsCache } from '../../services/query/src/stats/cache';
import type { StatsResult } from '../../services/query/src/stats/definitions';
import { statsBySql } from '../../services/query/src/stats/sql';
import type { StatsQuery } from '../../services/query/src/stats/definitions';
import { type QueryTestDb, createQueryTestDb } from '../../services/query/src/testing/test-db';

const ref = loadReferenceData();
const NOW = new Date('2026-03-01T00:00:00.000Z');
let t: QueryTestDb;
const events: RecordedEvent[] = [];

beforeAll(async () => {
  t = await createQueryTestDb();
  const result = await generateWorkload(t.pool, ref, { tickets: 300, seed: 7, now: NOW, days: 30 });
  expect(result.tickets).toBe(300);
  // The consumer's view: every event in global order, with redeliveries and a few out of order.
  // readAll only returns what no older transaction (anywhere on the server) could still precede: poll.
  let after = null as RecordedEvent['position'] | null;
  await waitFor(async () => {
    for (;;) {
      const batch = await t.store.readAll(after, 1000);
      if (batch.length === 0) return events.length === result.events;
      events.push(...batch);
      after = batch[batch.length - 1]!.position;
    }
  }, { timeoutMs: 30_000, intervalMs: 50, description: 'every event to be readable in global order' });
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (i % 7 === 3 && events[i + 1]?.stream === e.stream) {
      await projectTicketEvent(t.pool, t.store, events[i + 1]!); // ahead of its predecessor: a gap, filled from the store
    }
    await projectTicketEvent(t.pool, t.store, e);
    if (i % 5 === 0) await projectTicketEvent(t.pool, t.store, e); // delivered twice
  }
}, 120_000);
afterAll(async () => { await t?.dispose(); });

const byStream = () => {
  const map = new Map<string, RecordedEvent[]>();
  for (const e of events) map.set(e.stream, [...(map.get(e.stream) ?? []), e]);
  return map;
};

it('the workload is varied: channels, transfers, late answers, breaches, ratings, open tickets', async () => {
  const { rows } = await t.pool.query<{ type: string; n: number }>('SELECT type, count(*)::int AS n FROM events GROUP BY type');
  const count = Object.fromEntries(rows.map((r) => [r.type, r.n]));
  for (const type of ['TicketTransferred', 'TicketHandedBack', 'DeadlineBreached', 'TicketEscalated', 'TicketRated', 'InformationRequested', 'ResolutionDeadlineSet', 'TicketClosed']) {
    expect(count[type]).toBeGreaterThan(0);
  }
  const { rows: statuses } = await t.pool.query<{ status: string }>('SELECT DISTINCT status FROM ticket_views');
  expect(statuses.map((s) => s.status)).toEqual(expect.arrayContaining(['closed', 'resolved', 'in_progress']));
  const { rows: channels } = await t.pool.query<{ channel: string }>(`SELECT DISTINCT metadata->>'channel' AS channel FROM events WHERE type = 'TicketSubmitted'`);
  expect(channels.map((c) => c.channel).sort()).toEqual(['app', 'open311', 'proxy']);
});

it('every stream verifies (the bulk writer chains hashes exactly like the adapter)', () => {
  for (const [stream, list] of byStream()) expect({ stream, ...verifyChain(list) }).toMatchObject({ stream, intact: true });
});

it('replaying every ticket gives the live read model, field by field', async () => {
  const { rows } = await t.pool.query<{ ticket_id: string; revision: number; status: string; holder_unit_id: string; division: string; state: TicketState }>(
    'SELECT ticket_id::text AS ticket_id, revision, status, holder_unit_id, division, state FROM ticket_views',
  );
  const streams = byStream();
  expect(rows).toHaveLength(streams.size);
  for (const row of rows) {
    const replayed = replayState(streams.get(`ticket-${row.ticket_id}`)!);
    expect(JSON.parse(JSON.stringify(replayed))).toEqual(row.state);
    for (const key of Object.keys(replayed) as (keyof TicketState)[]) expect([row.ticket_id, key, row.state[key]]).toEqual([row.ticket_id, key, JSON.parse(JSON.stringify({ v: replayed[key] })).v]);
    expect([row.revision, row.status, row.holder_unit_id, row.division]).toEqual([replayed.revision, replayed.status, replayed.holderUnitId, replayed.division]);
  }
});

it('replays to a revision and to an instant', () => {
  const list = [...byStream().values()].find((l) => l.length >= 6)!;
  expect(replayState(eventsUpTo(list, { revision: 2 })).revision).toBe(2);
  const at = list[3]!.metadata.occurredAt;
  const upTo = eventsUpTo(list, { at });
  expect(upTo[upTo.length - 1]!.metadata.occurredAt <= at).toBe(true);
  expect(upTo.length).toBeGreaterThanOrEqual(4);
  expect(replayState(eventsUpTo(list, { at: '2000-01-01T00:00:00Z' })).exists).toBe(false);
});

it('facts mode writes, without events, exactly the statistics rows the projection wrote; another PRNG stream makes other tickets', async () => {
  await t.pool.query('CREATE TABLE facts_only (LIKE ticket_stats INCLUDING DEFAULTS INCLUDING CONSTRAINTS)');
  const before = await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  const facts = await generateWorkload(t.pool, ref, { tickets: 300, seed: 7, now: NOW, days: 30, mode: 'facts', batch: 64, table: 'facts_only' });
  expect(facts).toMatchObject({ tickets: 300, events: 0 });
  expect((await t.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0]!.n).toBe(before.rows[0]!.n);
  expect(await tableRows('facts_only')).toEqual(await tableRows('ticket_stats'));
  await generateWorkload(t.pool, ref, { tickets: 300, seed: 7, stream: 1, now: NOW, days: 30, mode: 'facts', table: 'facts_only' });
  const { rows } = await t.pool.query<{ n: number; services: number; divisions: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT service_code)::int AS services, count(DISTINCT division)::int AS divisions FROM facts_only
     WHERE ticket_id NOT IN (SELECT ticket_id FROM ticket_stats)`,
  );
  expect(rows[0]!.n).toBe(300);
  expect(rows[0]!.services).toBeGreaterThan(5);
  expect(rows[0]!.divisions).toBeGreaterThan(100);
  await t.pool.query('DROP TABLE facts_only');
});

const tableRows = async (table: string) => (await t.pool.query(`SELECT * FROM ${table} ORDER BY ticket_id`)).rows.map(({ changed_xid: _x, ...rest }) => rest);

it('the in-memory statistics equal the SQL statistics', async () => {
  const cache = new StatsCache(t.pool, 97);
  expect(await cache.refresh()).toBe(300);
  const county = '513401';
  const queries: StatsQuery[] = [
    { division: '', groupBy: 'none', nowMs: NOW.getTime() },
    { division: '', groupBy: 'unit', nowMs: NOW.getTime() },
    { division: '5134', groupBy: 'county', nowMs: NOW.getTime(), fromMs: NOW.getTime() - 20 * 86_400_000 },
    { division: county, groupBy: 'handler', nowMs: NOW.getTime() - 86_400_000 },
    { division: '', groupBy: 'category', nowMs: NOW.getTime(), fromMs: NOW.getTime() - 25 * 86_400_000, toMs: NOW.getTime() - 5 * 86_400_000 },
    // A whole month in Asia/Shanghai (as `from=2026-02-01&to=2026-03-01`): whole cells of settled tickets, nothing cut.
    { division: '', groupBy: 'unit', nowMs: NOW.getTime(), fromMs: Date.parse('2026-02-01T00:00:00+08:00'), toMs: Date.parse('2026-03-01T00:00:00+08:00') },
    // A whole year (the year cells), and below county level (the rows of the divisions).
    { division: '', groupBy: 'category', nowMs: NOW.getTime(), fromMs: Date.parse('2026-01-01T00:00:00+08:00'), toMs: Date.parse('2027-01-01T00:00:00+08:00') },
    { division: '', groupBy: 'handler', nowMs: NOW.getTime(), fromMs: Date.parse('2025-12-31T00:00:00+08:00') },
    ...(await t.pool.query<{ township: string }>('SELECT left(division, 9) AS township FROM ticket_stats WHERE length(division) >= 9 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1')).rows
      .map(({ township }): StatsQuery => ({ division: township, groupBy: 'unit', nowMs: NOW.getTime() })),
  ];
  // Settled tickets are served from pre-aggregated cells, the others row by row: both paths are compared with SQL.
  expect(cache.table.layout.settled).toBeGreaterThan(50);
  expect(cache.table.layout.live).toBeGreaterThan(10);
  for (const q of queries) {
    const sql = await statsBySql(t.pool, q, ref);
    expectSameStats(cache.table.compute(q, ref), sql);
    expectSameStats(cache.table.compute(q, ref, { path: 'aggregated' }), sql);
    expectSameStats(cache.table.compute(q, ref, { path: 'rowwise' }), sql);
  }
  const all = cache.table.compute(queries[0]!, ref).total;
  expect(all.received).toBe(300);
  expect(all.firstRepliesOnTime.rate).toBeGreaterThan(0.6);
  expect(all.firstRepliesOnTime.rate).toBeLessThan(1);
  expect(all.satisfaction.average).toBeGreaterThan(3);
  // A later write is picked up by the next refresh (only what changed is read).
  await t.pool.query(`UPDATE ticket_stats SET rating = 1, revision = revision + 1, changed_xid = pg_current_xact_id() WHERE ticket_id = (SELECT ticket_id FROM ticket_stats ORDER BY ticket_id LIMIT 1)`);
  expect(await cache.refresh()).toBe(1);
  expectSameStats(cache.table.compute(queries[1]!, ref, { path: 'aggregated' }), await statsBySql(t.pool, queries[1]!, ref));
});

it('a rebuild recreates tables equal to the live ones', async () => {
  const before = { views: await tableRows('ticket_views'), stats: await tableRows('ticket_stats') };
  const result = await rebuildReadModels(t.pool, t.store, { pageSize: 333, writeBatch: 50 });
  expect(result).toMatchObject({ tickets: 300, events: events.length });
  expect(await tableRows('ticket_views')).toEqual(before.views);
  // The row changed by the previous test is back to what the events say.
  const after = await tableRows('ticket_stats');
  const changed = after.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(before.stats[i]));
  expect(after.filter((r, i) => i !== changed)).toEqual(before.stats.filter((_, i) => i !== changed));
  expect(changed === -1 || after[changed]!['revision'] === before.stats[changed]!['revision'] - 1).toBe(true);
});

it('executor mode (TicketExecutor through the adapter) writes the same events as bulk mode', async () => {
  const [bulkDb, execDb] = [await createQueryTestDb(), await createQueryTestDb()];
  try {
    await generateWorkload(bulkDb.pool, ref, { tickets: 25, seed: 99, now: NOW, days: 20 });
    await generateWorkload(execDb.pool, ref, { tickets: 25, seed: 99, now: NOW, days: 20, mode: 'executor' });
    const dump = async (db: QueryTestDb) => (await db.pool.query('SELECT stream, revision, id, type, data, metadata, recorded_at, prev_hash, hash FROM events ORDER BY stream, revision')).rows;
    const [a, b] = [await dump(bulkDb), await dump(execDb)];
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
  } finally {
    await bulkDb.dispose();
    await execDb.dispose();
  }
}, 60_000);

/** Equal, numbers within a relative 1e-9 (SQL computes medians and averages in numeric, we in doubles). */
function expectSameStats(mem: StatsResult, sql: StatsResult): void {
  const close = sameStats;
  if (!close(mem.total, sql.total)) expect(mem.total).toEqual(sql.total);
  expect(mem.groups.map((g) => g.key)).toEqual(sql.groups.map((g) => g.key));
  mem.groups.forEach((g, i) => { if (!close(g, sql.groups[i])) expect(g).toEqual(sql.groups[i]); });
}
