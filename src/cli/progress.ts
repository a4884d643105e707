// Progress on stderr for long CLI commands: a redrawn bar on a terminal, plain lines otherwise
// (logs and pipes get one line per tenth of the work and one at the end, never carriage returns).
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressReporter {
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastTenth = new Map<string, number>();
  private open = false;

  constructor(
    private readonly command: string,
    private readonly out: ProgressStream = process.stderr,
    private readonly now: () => number = Date.now,
  ) {}

  update(label: string, done: number, total: number): void {
    const finished = done >= total;
    if (this.out.isTTY) {
      // At most ten redraws a second, and always the last one.
      if (!finished && this.now() - this.lastDraw < 100) return;
      this.lastDraw = this.now();
      const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
      const filled = total === 0 ? width : Math.round((done / total) * width);
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      this.out.write(`\r\x1b[2K${this.command}: ${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}% ${done}/${total}`);
      this.open = true;
      if (finished) this.end();
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (!finished && tenth <= (this.lastTenth.get(label) ?? -1)) return;
    if (finished && this.lastTenth.get(label) === 10) return;
    this.lastTenth.set(label, finished ? 10 : tenth);
    this.out.write(`${this.command}: ${label} ${done}/${total} (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)\n`);
  }

  /** Ends a bar line on a terminal (call before printing anything else). */
  end(): void {
    if (this.open) this.out.write('\n');
    this.open = false;
  }
}
