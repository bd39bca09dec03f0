/**
 * `npm run bench [-- --tickets 100000 --stats-sizes 250000,1000000 --stats-workers <cores> --runs 100 --sql-runs 5
 *   --only rebuild,verify,stats --keep]` (not part of npm test). `--only` names the steps after the workload to run
 * (default all three: `rebuild`, `verify`, `stats`); the baseline read of step 2 runs whenever rebuild or verify does.
 *
 * On a fresh database on the server of DATABASE_URL (bench_<time>, dropped afterwards unless --keep):
 * 1. generates a workload of --tickets tickets (bench/workload, bulk mode) and reports its speed;
 * 2. full rebuild of the read models (events/s), against a baseline: reading the same events in the
 *    same order without processing them;
 * 3. chain verification of every ticket (events/s), against the same baseline;
 * 4. the statistics query (what GetStats does: refresh the in-memory table, compute) over a mix of
 *    dashboard queries, p50/p95/max, at the generated size and at each of --stats-sizes, against three
 *    baselines measured in the same run: a plain `SELECT count(*)` over ticket_stats, the same
 *    statistics computed by SQL (stats/sql.ts), and the in-memory table's per-row path over every row
 *    (`compute(q, ref, { path: 'rowwise' })`, interleaved with the default path query by query so both
 *    see the same load). First checks that every query's answer equals the per-row path's and the SQL
 *    statistics' (else fails). Also reports how the table is laid out (live rows, settled rows and the
 *    cells they are aggregated in), the process's RSS and the heap the table takes, and the load average.
 *    The tickets beyond the generated ones are genuinely distinct tickets, not copies: each is simulated
 *    through the decider like the workload (its own place, category, times and outcomes), on PRNG streams
 *    of its own, in --stats-workers worker threads (default: the cores), and only its ticket_stats row is
 *    written (generate.ts `mode: 'facts'`: the projection's row of the decided state; every 50th ticket
 *    is checked against the projection's fold of its events). Nine million events are not stored.
 *    Measured on the shared 2-core machine: 1,000,000 such tickets in 240 s (4,159/s at load 4–9) to 508 s
 *    (1,968/s at load 10–15) on 2 workers. `--tickets 0 --stats-sizes 1000000` measures only the statistics
 *    at a million tickets (5–11 minutes in all); smaller sizes, e.g. `--stats-sizes 250000`, run in proportion.
 * Prints the numbers and writes them to bench/results/<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PostgresEventStore, runMigrations } from '@tongban/eventstore';
import { loadReferenceData } from '@tongban/reference-data';
import { loadConfig } from '@tongban/runtime';
import pg from 'pg';
import { QUERY_MIGRATIONS } from '../services/query/src/migrations';
import { rebuildReadModels } from '../services/query/src/rebuild';
import { StatsCache } from '../services/query/src/stats/cache';
import { statsBySql } from '../services/query/src/stats/sql';
import type { StatsQuery } from '../services/query/src/stats/definitions';
import { type Latency, latency, plainRead, round, sameStats, table, timed, verifyEveryTicket } from './lib';
import { generateWorkload } from './workload/generate';
import { generateFactsInParallel } from './workload/parallel-facts';

const DAY = 86_400_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tickets: { type: 'string', default: '100000' }, 'stats-sizes': { type: 'string', default: '250000,1000000' },
      'stats-workers': { type: 'string', default: String(availableParallelism()) },
      runs: { type: 'string', default: '100' }, 'sql-runs': { type: 'string', default: '5' }, keep: { type: 'boolean', default: false },
      now: { type: 'string', default: '2026-03-01T00:00:00Z' }, only: { type: 'string', default: 'rebuild,verify,stats' },
    },
  });
  const only = new Set(values.only.split(',').map((s) => s.trim()).filter(Boolean));
  const unknown = [...only].filter((s) => !['rebuild', 'verify', 'stats'].includes(s));
  if (unknown.length) throw new Error(`--only: unknown step ${unknown.join(', ')} (steps: rebuild, verify, stats)`);
  const tickets = Number(values.tickets);
  const sizes = only.has('stats') ? values['stats-sizes'].split(',').filter(Boolean).map(Number) : [];
  const statsWorkers = Number(values['stats-workers']);
  const runs = Number(values.runs);
  const sqlRuns = Number(values['sql-runs']);
  const now = new Date(values.now);
  const ref = loadReferenceData();
  const base = new URL(loadConfig().databaseUrl);
  const name = `bench_${Date.now().toString(36)}`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const adminPool = new pg.Pool({ connectionString: admin.toString(), max: 1 });
  await adminPool.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 6 });
  const results: Record<string, unknown> = { database: name, tickets, now: now.toISOString(), startedAt: new Date().toISOString() };
  const log = (text: string) => console.log(text);
  try {
    const store = await PostgresEventStore.create(pool);
    await runMigrations(pool, 'query', QUERY_MIGRATIONS);

    // 1. Workload.
    log(`\n1. workload: ${tickets} tickets over 365 days (bulk mode, the real decider)`);
    const gen = await generateWorkload(pool, ref, {
      tickets, now, days: 365, onProgress: (done) => process.stderr.write(`\r   ${done}/${tickets}   `),
    });
    process.stderr.write('\n');
    results['workload'] = { ...gen, ticketsPerSecond: Math.round(gen.tickets / (gen.ms / 1000)), eventsPerSecond: Math.round(gen.events / (gen.ms / 1000)) };
    log(`   ${gen.events} events in ${(gen.ms / 1000).toFixed(1)} s: ${Math.round(gen.tickets / (gen.ms / 1000))} tickets/s, ${Math.round(gen.events / (gen.ms / 1000))} events/s`);
    // Statistics as autovacuum would have them on a settled database (the verification's candidate query
    // plans its range scan of `streams` with them).
    await pool.query('VACUUM ANALYZE events, streams');

    // 2. Baseline read, rebuild.
    log(`\n2. baseline read${only.has('rebuild') ? ', full rebuild of the read models' : ''}`);
    const scan = await timed(() => plainRead(pool));
    const scanRate = Math.round(scan.value / (scan.ms / 1000));
    if (only.has('rebuild')) {
      const rebuild = await rebuildReadModels(pool, store);
      results['rebuild'] = { ...rebuild, baselineReadEventsPerSecond: scanRate, ratioToBaseline: round(rebuild.eventsPerSecond / scanRate) };
      log(table([
        { what: 'baseline: read every event (no processing)', events: scan.value, seconds: round(scan.ms / 1000), 'events/s': scanRate, ratio: 1 },
        { what: 'rebuild ticket_views + ticket_stats (swap, indexes)', events: rebuild.events, seconds: round(rebuild.ms / 1000), 'events/s': rebuild.eventsPerSecond, ratio: round(rebuild.eventsPerSecond / scanRate) },
      ]));
    } else {
      log(`   ${scan.value} events in ${round(scan.ms / 1000)} s: ${scanRate} events/s`);
    }

    // 3. Verification of every chain.
    if (only.has('verify')) {
      log('\n3. verification of every ticket chain (as tongban-audit verify --all)');
      const verified = await timed(() => verifyEveryTicket(pool));
      const verifyRate = Math.round(verified.value.events / (verified.ms / 1000));
      results['verify'] = { ...verified.value, ms: round(verified.ms), eventsPerSecond: verifyRate, ratioToBaseline: round(verifyRate / scanRate) };
      log(`   ${verified.value.events} events, ${verified.value.broken} broken, ${round(verified.ms / 1000)} s: ${verifyRate} events/s (${round(verifyRate / scanRate)} × the plain read)`);
    }

    // 4. Statistics (the sizes measured: none unless the step is asked for).
    if (only.has('stats')) log('\n4. statistics query (GetStats: refresh the in-memory table + compute), p50/p95/max in ms');
    const county = '513437';
    const township = '513437100';
    const queries: { name: string; q: StatsQuery }[] = [
      { name: 'auditor: everything, total', q: { division: '', groupBy: 'none', nowMs: now.getTime() } },
      { name: 'auditor: everything by unit', q: { division: '', groupBy: 'unit', nowMs: now.getTime() } },
      { name: 'auditor: last 90 days by county', q: { division: '5134', groupBy: 'county', nowMs: now.getTime(), fromMs: now.getTime() - 90 * DAY } },
      { name: 'auditor: one month by category', q: { division: '', groupBy: 'category', nowMs: now.getTime(), fromMs: now.getTime() - 60 * DAY, toMs: now.getTime() - 30 * DAY } },
      { name: 'county supervisor: by unit', q: { division: county, groupBy: 'unit', nowMs: now.getTime() } },
      { name: 'county supervisor: 30 days by handler', q: { division: county, groupBy: 'handler', nowMs: now.getTime(), fromMs: now.getTime() - 30 * DAY } },
      { name: 'township: total', q: { division: township, groupBy: 'none', nowMs: now.getTime() } },
    ];
    const statsRows: Record<string, string | number>[] = [];
    const statsResults: Record<string, unknown>[] = [];
    const measureAt = async (label: string) => {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_stats');
      const size = rows[0]!.n;
      await pool.query('VACUUM ANALYZE ticket_stats');
      const count = await sample(10, async () => { await pool.query('SELECT count(*) FROM ticket_stats'); });
      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      const cache = new StatsCache(pool);
      const load = await timed(() => cache.refresh());
      collectGarbage();
      const memory = { rssMb: Math.round(process.memoryUsage().rss / 1e6), tableHeapMb: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6) };
      const layout = cache.table.layout;
      // Every answer equals the per-row path's exactly and the SQL statistics' (to 1e-9 relative).
      let identical = 0;
      for (const { name, q } of queries) {
        const mem = cache.table.compute(q, ref);
        if (!isDeepStrictEqual(mem, cache.table.compute(q, ref, { path: 'rowwise' })) || !sameStats(mem, await statsBySql(pool, q, ref))) {
          throw new Error(`${name}: the in-memory statistics differ from the per-row path's or from SQL's at ${size} tickets`);
        }
        identical += 1;
      }
      // The per-row path (every row through the loops, no pre-aggregated cells; what the table did before the
      // county-level cells) and the default path, interleaved query by query so that both see the same machine load.
      const rowwiseSamples: number[] = [];
      const memSamples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const q = queries[i % queries.length]!.q;
        rowwiseSamples.push((await timed(async () => { await cache.refresh(); cache.table.compute(q, ref, { path: 'rowwise' }); })).ms);
        memSamples.push((await timed(async () => { await cache.refresh(); cache.table.compute(q, ref); })).ms);
      }
      const rowwise = latency(rowwiseSamples);
      const mem = latency(memSamples);
      const perQuery: Record<string, Latency> = {};
      for (const { name, q } of queries) perQuery[name] = await sample(Math.max(5, Math.floor(runs / queries.length)), async () => { await cache.refresh(); cache.table.compute(q, ref); });
      const sql = await sample(sqlRuns * queries.length, async (i) => { await statsBySql(pool, queries[i % queries.length]!.q, ref); });
      const loadAverage = loadavg()[0]!;
      statsResults.push({
        label, tickets: size, layout, memory, identicalToSql: identical, coldLoadMs: round(load.ms), countStar: count, inMemory: mem, inMemoryRowwise: rowwise,
        inMemoryPerQuery: perQuery, sql, loadAverage, ratioP95ToCountStar: round(mem.p95 / count.p50), ratioToRowwise: { p50: round(mem.p50 / rowwise.p50), p95: round(mem.p95 / rowwise.p95) },
      });
      statsRows.push(
        { tickets: size, what: 'baseline: SELECT count(*) FROM ticket_stats', p50: count.p50, p95: count.p95, max: count.max, 'p95 / count(*) p50': round(count.p95 / count.p50) },
        { tickets: size, what: 'baseline: the same statistics in SQL', p50: sql.p50, p95: sql.p95, max: sql.max, 'p95 / count(*) p50': round(sql.p95 / count.p50) },
        { tickets: size, what: 'baseline: GetStats in memory, per-row over every row', p50: rowwise.p50, p95: rowwise.p95, max: rowwise.max, 'p95 / count(*) p50': round(rowwise.p95 / count.p50) },
        { tickets: size, what: `GetStats in memory: cells + live rows (cold load ${round(load.ms / 1000)} s)`, p50: mem.p50, p95: mem.p95, max: mem.max, 'p95 / count(*) p50': round(mem.p95 / count.p50) },
      );
      log(`   measured at ${size} tickets (load average ${loadAverage.toFixed(1)}): ${layout.live} live rows, ${layout.settled} settled in `
        + `${layout.cellsByUnit} / ${layout.cellsByCategory} / ${layout.cellsByCounty} cells (by unit / category / county, months and years); `
        + `answers identical to the per-row path and to SQL for ${identical}/${queries.length} queries; `
        + `p50 ${mem.p50} / p95 ${mem.p95} ms, per-row p50 ${rowwise.p50} / p95 ${rowwise.p95} ms (ratio p50 ${round(mem.p50 / rowwise.p50)}, p95 ${round(mem.p95 / rowwise.p95)}); `
        + `process RSS ${memory.rssMb} MB, table ≈ ${memory.tableHeapMb} MB of heap`);
    };
    if (tickets > 0 && only.has('stats')) await measureAt('generated');
    const factsRuns: Record<string, number>[] = [];
    // Larger sizes: facts-only tickets (simulated through the decider like the workload, only their ticket_stats rows written).
    let stream = 1;
    for (const size of sizes) {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ticket_stats');
      const missing = size - rows[0]!.n;
      if (missing > 0) {
        const workers = Math.max(1, Math.min(statsWorkers, 16 - stream));
        const made = await generateFactsInParallel({
          databaseUrl: url.toString(), tickets: missing, workers, seed: 1, firstStream: stream, now, days: 365, firstSeq: rows[0]!.n + 1,
          onProgress: (done) => process.stderr.write(`\r   ${done}/${missing} distinct tickets (facts only) on ${workers} workers   `),
        });
        process.stderr.write('\n');
        stream += workers;
        const rate = Math.round(made.tickets / (made.ms / 1000));
        factsRuns.push({ size, tickets: made.tickets, workers, ms: made.ms, ticketsPerSecond: rate });
        log(`   ${made.tickets} more distinct tickets (decided, ticket_stats rows only) in ${round(made.ms / 1000)} s on ${workers} workers: ${rate} tickets/s`);
      }
      await measureAt(`${size} distinct`);
    }
    results['factsOnlyTickets'] = factsRuns;
    results['stats'] = statsResults;
    log(table(statsRows));
    const last = statsResults[statsResults.length - 1] as { tickets: number; inMemory: Latency; inMemoryRowwise: Latency; memory: { rssMb: number } } | undefined;
    if (last) {
      log(`\n   target p95 ≤ 100 ms at 1,000,000 tickets: measured p50 ${last.inMemory.p50} / p95 ${last.inMemory.p95} ms at ${last.tickets} tickets `
        + `(process RSS ${last.memory.rssMb} MB); `
        + `per-row baseline in the same run p50 ${last.inMemoryRowwise.p50} / p95 ${last.inMemoryRowwise.p95} ms `
        + `(ratio p50 ${round(last.inMemory.p50 / last.inMemoryRowwise.p50)}, p95 ${round(last.inMemory.p95 / last.inMemoryRowwise.p95)})`);
    }
  } finally {
    await pool.end();
    if (!values.keep) await adminPool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await adminPool.end();
  }
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nresults: ${file}${values.keep ? ` (database ${name} kept)` : ''}`);
}

/** A full garbage collection, so that heap figures count what is kept (`--expose-gc` turned on here). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function sample(n: number, fn: (i: number) => Promise<void>): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push((await timed(() => fn(i))).ms);
  return latency(samples);
}

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  process.exit(1);
});
