/**
 * Progress on stderr: a redrawn one-line bar on a TTY, plain periodic lines otherwise (CI
 * logs, pipes). stdout stays for results (--json).
 */
export interface ProgressSnapshot {
  readonly runs: number;
  readonly totalRuns: number;
  readonly steps: number;
  readonly violations: number;
  readonly elapsedMs: number;
}

export class ProgressReporter {
  private lastLine = 0;
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 2000,
  ) {
    this.tty = stream.isTTY === true;
  }

  update(p: ProgressSnapshot): void {
    const now = p.elapsedMs;
    if (!this.tty && now - this.lastLine < this.intervalMs) return;
    this.lastLine = now;
    const secs = Math.max(now / 1000, 1e-3);
    const pct = p.totalRuns > 0 ? Math.min(100, (100 * p.runs) / p.totalRuns) : 0;
    const text =
      `${p.runs.toLocaleString('en-US')}/${p.totalRuns.toLocaleString('en-US')} runs (${pct.toFixed(1)}%), ` +
      `${Math.round(p.runs / secs).toLocaleString('en-US')} runs/s, ${(p.steps / secs / 1e6).toFixed(2)}M steps/s, ` +
      `${p.violations.toLocaleString('en-US')} violating runs`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
    } else {
      this.stream.write(`lazytlb: ${text}\n`);
    }
  }

  done(): void {
    if (this.tty) this.stream.write('\n');
  }
}
