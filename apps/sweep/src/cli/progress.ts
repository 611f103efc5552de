/**
 * Progress on stderr (stdout stays for results, --json). On a TTY: one line, rewritten in
 * place (`\r`, at most every `ttyIntervalMs`), with the runs done of the total, the share,
 * runs/s and steps/s, the violating runs and an ETA (h:mm:ss, from the rate over the sweep so
 * far), and with exhaustive cells the states they stored (and per second), their deepest branch
 * and the frontier left by out-of-budget subtrees, cut to the terminal's width (`columns`, read at every redraw: a resized terminal gets
 * lines that fit), the least useful parts dropped first. Otherwise (CI logs, pipes): a plain
 * newline-terminated line at most every `intervalMs` (5 s), and a final one with the last
 * counts. Only ever reads the snapshots it is given: it cannot change what a sweep does.
 *
 * The formatting is pure (formatEta, progressParts, fitLine, ttyLine, plainLine) and the
 * throttle takes its clock from the caller (`now`), so both are tested without a terminal or
 * waiting.
 */
export interface ProgressSnapshot {
  readonly runs: number;
  readonly totalRuns: number;
  readonly steps: number;
  readonly violations: number;
  readonly elapsedMs: number;
  /** Exhaustive cells' searches (explore's SweepProgress.exhaustive): states stored, deepest branch, frontier. */
  readonly exhaustive?: { readonly states: number; readonly maxDepth: number; readonly frontier: number } | undefined;
}

/** A non-TTY stream gets a line at most this often (and a final one). */
export const PLAIN_INTERVAL_MS = 5000;
/** A TTY line is redrawn at most this often (and a final time). */
export const TTY_INTERVAL_MS = 100;
/** The width assumed for a TTY that does not say (`columns` undefined or 0). */
export const DEFAULT_COLUMNS = 80;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Seconds as h:mm:ss (hours unbounded: 123:04:05); '-:--:--' when unknown (no rate yet, not finite, negative). */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-:--:--';
  const s = Math.ceil(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Seconds left at the rate of the sweep so far: runs done since `baseRuns` (runs a resumed
 * sweep had already done before this process started: they took no time here) over `elapsedMs`.
 * 0 when done, Infinity while nothing has been run (no rate).
 */
export function etaSeconds(p: ProgressSnapshot, baseRuns = 0): number {
  const left = p.totalRuns - p.runs;
  if (left <= 0) return 0;
  const ran = p.runs - baseRuns;
  if (ran <= 0 || p.elapsedMs <= 0) return Infinity;
  return left / (ran / (p.elapsedMs / 1000));
}

/** One part of a progress line: its text and how readily it is dropped to fit (higher: dropped first; 0: never). */
export interface LinePart {
  readonly text: string;
  readonly drop: number;
}

/**
 * The parts of a progress line, in display order: `1,234/10,000 runs (12.3%)` (kept), the ETA,
 * runs/s, violating runs, steps/s. Rates over the runs of this process (`baseRuns` left out).
 */
export function progressParts(p: ProgressSnapshot, baseRuns = 0): LinePart[] {
  const secs = Math.max(p.elapsedMs / 1000, 1e-3);
  const pct = p.totalRuns > 0 ? Math.min(100, (100 * p.runs) / p.totalRuns) : 0;
  const ran = Math.max(0, p.runs - baseRuns);
  return [
    { text: `${int(p.runs)}/${int(p.totalRuns)} runs (${pct.toFixed(1)}%)`, drop: 0 },
    { text: `ETA ${formatEta(etaSeconds(p, baseRuns))}`, drop: 1 },
    { text: `${int(ran / secs)} runs/s`, drop: 2 },
    { text: `${int(p.violations)} violating runs`, drop: 3 },
    { text: `${(p.steps / secs / 1e6).toFixed(2)}M steps/s`, drop: 4 },
    ...exhaustiveParts(p, secs),
  ];
}

/** With exhaustive cells: distinct states stored and their rate, the deepest branch, the frontier left (when a budget left one). */
function exhaustiveParts(p: ProgressSnapshot, secs: number): LinePart[] {
  const x = p.exhaustive;
  if (x === undefined) return [];
  return [
    { text: `${int(x.states)} states (${int(x.states / secs)}/s)`, drop: 2 },
    { text: `depth ${int(x.maxDepth)}`, drop: 5 },
    ...(x.frontier > 0 ? [{ text: `frontier ${int(x.frontier)}`, drop: 5 }] : []),
  ];
}

/**
 * The parts joined with `sep`, at most `width` characters: parts dropped, most droppable
 * first, until the line fits; a line whose kept parts are still too wide is cut, ending in '…'.
 */
export function fitLine(parts: readonly LinePart[], width: number, sep = ', '): string {
  const w = Math.max(0, Math.floor(width));
  let kept = [...parts];
  const join = (): string =>
    kept
      .map((x) => x.text)
      .filter((t) => t !== '')
      .join(sep);
  let line = join();
  while (line.length > w) {
    const worst = kept.reduce((a, b) => (b.drop > a.drop ? b : a), kept[0] ?? { text: '', drop: 0 });
    if (worst.drop <= 0) break;
    kept = kept.filter((x) => x !== worst);
    line = join();
  }
  if (line.length <= w) return line;
  return w === 0 ? '' : `${line.slice(0, w - 1)}…`;
}

/** A bar of `width` cells, `pct` of them filled: `[######......]` (width + 2 characters). */
export function bar(pct: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round((pct / 100) * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * The TTY line for a terminal `columns` wide: a bar (when there is room for it and the counts)
 * and the parts, at most `columns - 1` characters (the last column left free: some terminals
 * wrap on it).
 */
export function ttyLine(p: ProgressSnapshot, columns: number | undefined, baseRuns = 0): string {
  const width = Math.max(1, (columns !== undefined && columns > 0 ? columns : DEFAULT_COLUMNS) - 1);
  const parts = progressParts(p, baseRuns);
  const pct = p.totalRuns > 0 ? Math.min(100, (100 * p.runs) / p.totalRuns) : 0;
  const barCells = 24;
  // The bar goes only when the counts and the ETA fit beside it.
  const essential = fitLine(parts.slice(0, 2), Infinity).length;
  if (width >= barCells + 3 + essential) return `${bar(pct, barCells)} ${fitLine(parts, width - barCells - 3)}`;
  return fitLine(parts, width);
}

/** The plain (non-TTY) line: every part, newline-terminated. */
export function plainLine(p: ProgressSnapshot, baseRuns = 0): string {
  return `lazytlb: ${fitLine(progressParts(p, baseRuns), Infinity)}\n`;
}

/** A minimal writable stream: what the reporter needs of process.stderr. */
export interface ProgressStream {
  write(s: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressOptions {
  /** A non-TTY line at most this often (default PLAIN_INTERVAL_MS, 5 s). */
  readonly intervalMs?: number;
  /** A TTY redraw at most this often (default TTY_INTERVAL_MS). */
  readonly ttyIntervalMs?: number;
  /** The clock of the throttle, in ms (default performance.now). */
  readonly now?: () => number;
  /** Runs already done when this process started (a resumed sweep's): left out of the rates and the ETA. */
  readonly baseRuns?: number;
  /** Force TTY or plain output (default: the stream's isTTY). */
  readonly tty?: boolean;
}

export class ProgressReporter {
  private readonly tty: boolean;
  private readonly interval: number;
  private readonly now: () => number;
  private readonly baseRuns: number;
  /** When the last line was written (the injected clock), -Infinity before the first. */
  private lastAt = -Infinity;
  /** The latest snapshot, and whether it has been shown. */
  private latest: ProgressSnapshot | null = null;
  private shown = true;
  private drawn = false;
  private finished = false;

  constructor(
    private readonly stream: ProgressStream = process.stderr,
    o: ProgressOptions = {},
  ) {
    this.tty = o.tty ?? stream.isTTY === true;
    this.interval = this.tty ? (o.ttyIntervalMs ?? TTY_INTERVAL_MS) : (o.intervalMs ?? PLAIN_INTERVAL_MS);
    this.now = o.now ?? (() => performance.now());
    this.baseRuns = o.baseRuns ?? 0;
  }

  update(p: ProgressSnapshot): void {
    if (this.finished) return;
    this.latest = p;
    this.shown = false;
    const t = this.now();
    // The first snapshot is shown at once; then at most one line per interval.
    if (t - this.lastAt < this.interval) return;
    this.lastAt = t;
    this.show(p);
  }

  /** The end: the latest counts if not shown yet (a final line), and the TTY line ended. Idempotent. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.latest !== null && !this.shown) this.show(this.latest);
    if (this.tty && this.drawn) this.stream.write('\n');
  }

  private show(p: ProgressSnapshot): void {
    this.shown = true;
    if (this.tty) {
      this.drawn = true;
      this.stream.write(`\r${ttyLine(p, this.stream.columns, this.baseRuns)}\x1b[K`);
    } else {
      this.stream.write(plainLine(p, this.baseRuns));
    }
  }
}
