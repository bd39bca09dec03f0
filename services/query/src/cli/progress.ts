/**
 * A progress bar for long runs on stderr: done/total, percentage, rate and ETA. On a terminal it
 * redraws one line; otherwise (CI logs, pipes) it prints a line every `logEveryMs` from the start, so a run
 * shorter than that prints only `finish`'s line (not the same line twice).
 * Dependency-free on purpose (cli-progress would do the same).
 */

/** What the bar writes to (stderr by default). */
export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Formats seconds as 1h02m, 3m05s or 12s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A progress line for `label`: update with the count done; `finish` prints the final line. */
export class Progress {
  private readonly started: number;
  /** When the line was last redrawn on a terminal (ms). */
  private lastDraw = 0;
  /** When a line was last logged off a terminal (ms): the start at first, so the first comes `logEveryMs` after it. */
  private lastLog: number;
  private done = 0;

  constructor(
    private readonly label: string,
    private total: number | undefined,
    private readonly unit = 'items',
    private readonly sink: ProgressSink = process.stderr,
    private readonly clock: () => number = Date.now,
    private readonly logEveryMs = 5000,
  ) {
    this.started = clock();
    this.lastLog = this.started;
  }

  /** Sets the total (e.g. once it is known). */
  setTotal(total: number): void {
    this.total = total;
  }

  /** The line as it would be drawn now. */
  line(): string {
    const elapsed = Math.max((this.clock() - this.started) / 1000, 1e-3);
    const rate = this.done / elapsed;
    const total = this.total !== undefined && this.total >= this.done ? this.total : undefined;
    if (total === undefined || total === 0) return `${this.label} ${this.done} ${this.unit} · ${rate.toFixed(rate < 10 ? 1 : 0)}/s · ${formatDuration(elapsed)}`;
    const fraction = this.done / total;
    const width = 24;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 ? (total - this.done) / rate : Number.NaN;
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${total} ${this.unit} ${(fraction * 100).toFixed(1)}% · ` +
      `${rate.toFixed(rate < 10 ? 1 : 0)}/s · ETA ${formatDuration(eta)}`;
  }

  /** Records progress (the count done so far) and redraws when due. */
  update(done: number): void {
    this.done = done;
    const now = this.clock();
    if (this.sink.isTTY) {
      if (now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.sink.write(`\r${this.line()}\x1b[K`);
    } else if (now - this.lastLog >= this.logEveryMs) {
      this.lastLog = now;
      this.sink.write(`${this.line()}\n`);
    }
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    this.sink.write(this.sink.isTTY ? `\r${this.line()}\x1b[K\n` : `${this.line()}\n`);
  }
}
