/**
 * Worker threads of the rebuild (rebuild.ts): each opens its own three connections (read, views COPY,
 * statistics COPY), asks the rebuilding thread for a range of ticket streams, folds it into the shadow
 * tables (rebuild-fold.ts), reports what it did and asks again, until it is told to close; then it writes
 * what it still holds and ends its connections. The client's fold thereby runs on several cores beside
 * PostgreSQL's work (issue 13). The thread loads this file again: through tsx when it is TypeScript (as
 * `npm run query:rebuild` and the tests run it), directly when it is compiled JavaScript.
 */
import { extname } from 'node:path';
import { type MessagePort, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { type RangeCounts, SCAN_SETTINGS, ShadowWriter, type StreamRange, foldRange } from './rebuild-fold';

/** What a worker is started with. */
interface WorkerJob {
  tongbanRebuildWorker: true;
  connection: pg.ClientConfig;
  pageSize: number;
  writeBatch: number;
}
type ToWorker = { range: StreamRange } | { close: true };
type FromWorker = { ready: true } | { page: RangeCounts } | { done: RangeCounts } | { closed: true };

/** What the rebuilding thread does for its workers. */
export interface WorkerHandlers {
  /** The next range to fold; undefined when none is left. */
  take(): StreamRange | undefined;
  /** A worker read a page (events) and finished tickets meanwhile. */
  onPage(page: RangeCounts): void;
  /** A worker folded a whole range. */
  onRange(range: RangeCounts): void;
  /** A worker took its first range. */
  onFirstRange(): void;
}

/** Running workers. */
export interface RebuildWorkers {
  /** Resolves once every worker wrote its last rows and closed; rejects with the first worker's error. */
  done: Promise<void>;
  /** True once a worker failed (no range is handed out any more). */
  failed(): boolean;
  /** Stops every worker at once (their COPYs in progress are rolled back by the server). */
  stop(): Promise<void>;
}

/** What the thread evaluates: this file, registered with tsx first when it is TypeScript. */
const LOADER = extname(__filename) === '.ts'
  ? `require('tsx/cjs/api').register(); require(${JSON.stringify(__filename)});`
  : `require(${JSON.stringify(__filename)});`;

/**
 * The pool's connection settings as a worker can receive them (plain values), or undefined when they are
 * not (e.g. a password given as a function): the rebuild then folds in its own thread only.
 */
function connectionOf(pool: pg.Pool): pg.ClientConfig | undefined {
  const o = (pool as unknown as { options: pg.PoolConfig }).options;
  const config: pg.ClientConfig = {};
  for (const key of ['connectionString', 'host', 'port', 'user', 'password', 'database', 'ssl', 'application_name', 'options'] as const) {
    if (o[key] !== undefined) (config as Record<string, unknown>)[key] = o[key];
  }
  try {
    structuredClone(config);
    return config;
  } catch {
    return undefined;
  }
}

/**
 * Starts `count` workers folding the ranges `handlers.take()` gives them (each on its own connections,
 * opened with `pool`'s settings). A worker that cannot start (its thread or its connections) is left out.
 */
export function startWorkers(pool: pg.Pool, count: number, settings: { pageSize: number; writeBatch: number }, handlers: WorkerHandlers): RebuildWorkers {
  const connection = connectionOf(pool);
  if (count <= 0 || !connection) return { done: Promise.resolve(), failed: () => false, stop: () => Promise.resolve() };
  let failure: { error: unknown } | undefined;
  const threads: Worker[] = [];
  const runs = Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
    const job: WorkerJob = { tongbanRebuildWorker: true, connection, ...settings };
    const worker = new Worker(LOADER, { eval: true, workerData: job });
    threads.push(worker);
    let started = false;
    let ranges = 0;
    const give = () => {
      const range = failure ? undefined : handlers.take();
      if (range && ranges++ === 0) handlers.onFirstRange();
      worker.postMessage((range ? { range } : { close: true }) satisfies ToWorker);
    };
    const fail = (error: unknown) => {
      failure ??= { error };
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    worker.on('message', (m: FromWorker) => {
      try {
        if ('ready' in m) {
          started = true;
          give();
        } else if ('page' in m) {
          handlers.onPage(m.page);
        } else if ('done' in m) {
          handlers.onRange(m.done);
          give();
        } else {
          resolve();
        }
      } catch (error) { // a handler's: the rebuild stops
        fail(error);
      }
    });
    worker.on('error', (error) => (started ? fail(error) : resolve()));
    worker.on('exit', (code) => (started ? fail(new Error(`rebuild worker stopped (exit code ${code}) before finishing`)) : resolve()));
  }));
  const done = Promise.all(runs).then(() => undefined);
  done.catch(() => undefined); // awaited by the caller, or abandoned after stop()
  return {
    done,
    failed: () => failure !== undefined,
    async stop() {
      failure ??= { error: new Error('rebuild stopped') };
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };
}

/** The worker's side: connections, then ranges until told to close. */
async function runWorker(job: WorkerJob, port: MessagePort): Promise<void> {
  const clients = [0, 1, 2].map(() => new pg.Client(job.connection));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const [scan, views, facts] = clients as [pg.Client, pg.Client, pg.Client];
    await scan.query(SCAN_SETTINGS);
    const writer = new ShadowWriter(views, facts, job.writeBatch);
    const next = () => new Promise<ToWorker>((resolve) => port.once('message', resolve));
    port.postMessage({ ready: true } satisfies FromWorker);
    for (let m = await next(); 'range' in m; m = await next()) {
      const counts = await foldRange(scan, writer, m.range, job.pageSize, (page) => port.postMessage({ page } satisfies FromWorker));
      port.postMessage({ done: counts } satisfies FromWorker);
    }
    await writer.close();
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
  port.postMessage({ closed: true } satisfies FromWorker);
}

if (!isMainThread && parentPort && (workerData as Partial<WorkerJob> | null)?.tongbanRebuildWorker) {
  void runWorker(workerData as WorkerJob, parentPort); // a failure is an unhandled rejection: the Worker's 'error' event
}
