/**
 * The database's share of a ticket in `npm run bench:path`: what PostgreSQL commits, writes and spends per
 * ticket, from two snapshots of its counters around a measured window (the arithmetic only; bench/path.ts
 * takes the snapshots).
 *
 * A snapshot is a flat map of cumulative counters, keyed:
 * - `db:<database>:commits|rollbacks|ins|upd|del` — pg_stat_database (xact_commit … tup_deleted);
 * - `table:<database>:<table>:ins|upd|hot|del` — pg_stat_all_tables (n_tup_ins … n_tup_del; `schema.table` outside public);
 * - `wal:bytes`, `wal:records` — WAL position and pg_stat_wal.wal_records (server-wide);
 * - `xid` — the next transaction id (server-wide): transactions that wrote something got one;
 * - `stmts:<database>` — pg_stat_statements calls, when the library is loaded;
 * - `bench:<database>` — transactions (= statements) the bench itself ran in that database (its polls and
 *   these snapshots), subtracted from commits and statements;
 * - `cpu:<label>` — CPU seconds of a process label (bench/path.ts's CpuWatch: `pg:<database>` backends,
 *   `pg:other` the postmaster and its background workers, `gateway`, `intake` …).
 */

/** Cumulative counters at one instant (see the module comment for the keys). */
export type Counters = Record<string, number>;

/** `after − before` for every key of either (a key missing on one side counts as 0). */
export function difference(before: Counters, after: Counters): Counters {
  const out: Counters = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) out[k] = (after[k] ?? 0) - (before[k] ?? 0);
  return out;
}

/**
 * What the idle stack does without load, a delta over `seconds`: its steady read-only background — every process's
 * heartbeat `SELECT 1` once a second, the relay's and the outboxes' idle polls. Only commits and statements are
 * taken off at this rate: the rest of an idle window is sporadic (autoanalyze, the 60 s audit-anchor round) and
 * would not scale with a window's length.
 */
export interface Idle { delta: Counters; seconds: number }

/** A measured window: the counters' delta, the seconds between its snapshots and the tickets (or baseline rows) submitted in it. */
export interface Window { delta: Counters; seconds: number; tickets: number }

/** Per-ticket rows of one table (n_tup_ins, n_tup_upd, of which HOT, n_tup_del). */
export interface TableShare { ins: number; upd: number; hot: number; del: number }

/** The database's share of one ticket (every figure per ticket submitted in the window). */
export interface DbShare {
  tickets: number;
  seconds: number;
  /** Transactions committed in the workload's databases, read-only ones included (each statement outside BEGIN is one), the bench's own left out. */
  commits: number;
  rollbacks: number;
  /** Transactions that were given a transaction id, i.e. wrote (server-wide). */
  writeTransactions: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** WAL bytes and records (server-wide). */
  walBytes: number;
  walRecords: number;
  /** Statements executed (pg_stat_statements, BEGIN/COMMIT included), the bench's own left out; undefined when the library is not loaded. */
  statements: number | undefined;
  /** CPU of PostgreSQL: the workload's backends and the postmaster's background processes (WAL writer, checkpointer, autovacuum), ms. */
  postgresCpuMs: number;
  /** CPU of the workload's own processes (the stack's nine, or the baseline) plus PostgreSQL's, ms. */
  workloadCpuMs: number;
  /** Rows per table of the workload's databases that have `table:` counters (tables that changed). */
  tables: Record<string, TableShare>;
}

/**
 * The database's share of one ticket in `window`, for a workload that uses `databases` and whose own processes
 * are the CPU labels `processes` accepts. With `idle`, the idle stack's commits and statements for as long as the
 * window lasted are taken off first (see {@link Idle}), so that those per-ticket figures do not depend on how long
 * the window waited for statistics to settle. Figures are rounded to 3 decimals (ms and bytes to 2 and 0).
 * @throws RangeError when the window has no tickets.
 */
export function dbShare(window: Window, databases: readonly string[], processes: (label: string) => boolean, idle?: Idle): DbShare {
  if (!(window.tickets > 0)) throw new RangeError(`no tickets in the window (${window.tickets})`);
  const scale = idle && idle.seconds > 0 ? window.seconds / idle.seconds : 0;
  const steady = (k: string) => /^(db:[^:]+:commits|stmts?:.+)$/.test(k);
  const d = (k: string) => (window.delta[k] ?? 0) - (idle && steady(k) ? (idle.delta[k] ?? 0) * scale : 0);
  const per = (x: number, digits = 3) => Math.round((x / window.tickets) * 10 ** digits) / 10 ** digits;
  const sumDb = (field: string) => databases.reduce((a, db) => a + d(`db:${db}:${field}`), 0);
  const bench = databases.reduce((a, db) => a + d(`bench:${db}`), 0);
  const hasStatements = databases.some((db) => `stmts:${db}` in window.delta);
  const cpu = (accept: (label: string) => boolean) => Object.keys(window.delta)
    .filter((k) => k.startsWith('cpu:') && accept(k.slice(4))).reduce((a, k) => a + d(k), 0);
  const postgres = cpu((l) => l === 'pg:other' || databases.some((db) => l === `pg:${db}`));
  const tables: Record<string, TableShare> = {};
  for (const k of Object.keys(window.delta)) {
    const m = /^table:([^:]+):(.+):(ins|upd|hot|del)$/.exec(k);
    if (!m || !databases.includes(m[1]!)) continue;
    const t = (tables[m[2]!] ??= { ins: 0, upd: 0, hot: 0, del: 0 });
    t[m[3] as keyof TableShare] = per(d(k));
  }
  for (const [name, t] of Object.entries(tables)) if (t.ins === 0 && t.upd === 0 && t.del === 0) delete tables[name];
  return {
    tickets: window.tickets,
    seconds: Math.round(window.seconds),
    commits: per(sumDb('commits') - bench),
    rollbacks: per(sumDb('rollbacks')),
    writeTransactions: per(d('xid')),
    inserted: per(sumDb('ins')),
    updated: per(sumDb('upd')),
    deleted: per(sumDb('del')),
    walBytes: per(d('wal:bytes'), 0),
    walRecords: per(d('wal:records')),
    statements: hasStatements ? per(databases.reduce((a, db) => a + d(`stmts:${db}`), 0) - bench) : undefined,
    postgresCpuMs: per(postgres * 1000, 2),
    workloadCpuMs: per((postgres + cpu((l) => !l.startsWith('pg:') && processes(l))) * 1000, 2),
    tables,
  };
}
