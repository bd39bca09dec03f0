/**
 * Facts-only tickets (generate.ts `mode: 'facts'`) generated side by side in worker threads: worker k
 * simulates its share on PRNG stream `firstStream + k` of the seed (so no two workers, and no run on
 * another stream, make the same tickets) and inserts its rows into `ticket_stats` over its own
 * connection. Used by `npm run bench` to reach a million distinct tickets in minutes: deciding a
 * ticket costs about 0.25–0.6 ms of one core, so the work spreads over the cores.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadReferenceData } from '@tongban/reference-data';
import pg from 'pg';
import { generateWorkload } from './generate';

/** Options of {@link generateFactsInParallel}. */
export interface ParallelFactsOptions {
  /** Database (migrated with the query service's tables) the rows go to. */
  databaseUrl: string;
  tickets: number;
  /** Worker threads (at least 1). */
  workers: number;
  seed: number;
  /** The stream of worker 0; worker k uses `firstStream + k` (at most 15). */
  firstStream: number;
  now: Date;
  days: number;
  /** First reference number; worker k's tickets follow worker k − 1's. */
  firstSeq: number;
  /** Called as workers report, with the tickets written so far in total. */
  onProgress?: (done: number) => void;
}

interface Job { databaseUrl: string; tickets: number; seed: number; stream: number; now: string; days: number; firstSeq: number }
type Message = { done: number } | { finished: number; refused: number };

/** Generates the facts-only tickets; resolves with the tickets written and the wall time (ms). */
export async function generateFactsInParallel(o: ParallelFactsOptions): Promise<{ tickets: number; refused: number; ms: number }> {
  const started = Date.now();
  if (o.firstStream + o.workers - 1 > 15) throw new RangeError(`PRNG streams ${o.firstStream}…${o.firstStream + o.workers - 1}: at most 15`);
  const done = new Array<number>(o.workers).fill(0);
  let seq = o.firstSeq;
  const runs = Array.from({ length: o.workers }, (_, k) => {
    const tickets = Math.floor(o.tickets / o.workers) + (k < o.tickets % o.workers ? 1 : 0);
    const job: Job = { databaseUrl: o.databaseUrl, tickets, seed: o.seed, stream: o.firstStream + k, now: o.now.toISOString(), days: o.days, firstSeq: seq };
    seq += tickets;
    return new Promise<{ finished: number; refused: number }>((resolve, reject) => {
      // tsx registers itself in this thread only: the worker registers it before loading this file.
      const worker = new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(__filename)});`, { eval: true, workerData: job });
      worker.on('message', (m: Message) => {
        if ('done' in m) {
          done[k] = m.done;
          o.onProgress?.(done.reduce((a, b) => a + b, 0));
        } else resolve(m);
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`facts worker ${k} exited with ${code} before finishing`)));
    });
  });
  const results = await Promise.all(runs);
  return { tickets: results.reduce((a, r) => a + r.finished, 0), refused: results.reduce((a, r) => a + r.refused, 0), ms: Date.now() - started };
}

async function runJob(job: Job): Promise<void> {
  const pool = new pg.Pool({ connectionString: job.databaseUrl, max: 2 });
  try {
    const result = await generateWorkload(pool, loadReferenceData(), {
      tickets: job.tickets, seed: job.seed, stream: job.stream, now: new Date(job.now), days: job.days, mode: 'facts', firstSeq: job.firstSeq,
      onProgress: (d) => parentPort!.postMessage({ done: d } satisfies Message),
    });
    parentPort!.postMessage({ finished: result.tickets, refused: result.refused } satisfies Message);
  } finally {
    await pool.end();
  }
}

if (!isMainThread && (workerData as Partial<Job> | null)?.databaseUrl) {
  void runJob(workerData as Job); // a failure is an unhandled rejection: the worker's 'error' event
}
