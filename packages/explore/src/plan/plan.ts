/**
 * The plan of a sweep: every cell's runs [0, runs) cut into batches, in a fixed global order
 * (cell by cell, runs ascending). The batch size is a pure function of the cell (never of
 * timing), so every shard computes the same plan; shard I/N takes the batches whose global
 * index is ≡ I−1 (mod N), so the shards' union is exactly the plan. Batch boundaries do not
 * influence results (a run's seed depends only on its cell and index; aggregates merge
 * exactly), only how work is distributed. An exhaustive cell's units are not runs but the
 * EXHAUSTIVE_UNITS subtrees of its search (exhaustive/batch.ts), one per batch, whatever `runs` says.
 */
import type { CellSpec } from '../matrix/types.js';
import { usageError } from '../errors/lazytlb-error.js';
import { type Interval, parseInterval, subtractIntervals, unionIntervals } from './intervals.js';

/** A batch: runs [runStart, runEnd) of cell `cell`. */
export interface Batch {
  readonly cell: number;
  readonly runStart: number;
  readonly runEnd: number;
}

/**
 * Units of an exhaustive cell: the subtrees its search is cut into (exhaustive/subtrees.ts),
 * a constant so that the split never depends on threads or machines.
 */
export const EXHAUSTIVE_UNITS = 32;

/** A cell as the plan sees it: its CPUs (batch size) and strategy (an exhaustive cell's units are subtrees). */
export type PlanCell = Pick<CellSpec, 'index' | 'cpus'> & { readonly strategy?: CellSpec['strategy'] };

/**
 * Runs per batch: ~10–50 ms of work at ~0.1 ms per run of 2–4 CPUs (bigger cells run longer).
 * An exhaustive cell: one subtree per batch (a subtree is a search of its own).
 */
export function defaultBatchSize(cell: Pick<PlanCell, 'cpus' | 'strategy'>): number {
  if (cell.strategy?.kind === 'exhaustive') return 1;
  return Math.max(16, Math.min(1024, Math.round(1024 / Math.max(1, cell.cpus))));
}

/**
 * The units of a cell's plan: `runs` seeded runs, or for an exhaustive cell the
 * EXHAUSTIVE_UNITS subtrees of its search (exhaustive/subtrees.ts), whatever `runs` says.
 */
export function unitsOf(cell: Pick<PlanCell, 'strategy'>, runs: number): number {
  return cell.strategy?.kind === 'exhaustive' ? EXHAUSTIVE_UNITS : runs;
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN,
    count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1 && index <= count)) {
    throw usageError(`invalid shard "${text}": expected I/N with 1 <= I <= N`);
  }
  return { index, count };
}

/**
 * The shard from array-job environment variables (0-based indices): JOB_COMPLETION_INDEX
 * (Kubernetes indexed Jobs), SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX; `count` from --shards N.
 */
export function shardFromEnv(count: number, env: NodeJS.ProcessEnv = process.env): Shard | null {
  for (const name of ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'AWS_BATCH_JOB_ARRAY_INDEX']) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (!/^\d+$/.test(v)) throw usageError(`${name}="${v}": expected a non-negative integer (the 0-based index of this array task)`);
    const i = Number(v);
    if (i >= count) throw usageError(`${name}=${i} is out of range for --shards ${count} (expected 0..${count - 1})`);
    return { index: i + 1, count };
  }
  return null;
}

export interface PlanOptions {
  readonly runs: number;
  /** Override the batch size (runs per batch) for every cell. */
  readonly batchSize?: number;
  readonly shard?: Shard | null;
}

/** All batches of the plan, in global order (before shard selection). */
export function planBatches(cells: readonly PlanCell[], opts: PlanOptions): Batch[] {
  if (!Number.isInteger(opts.runs) || opts.runs < 0) throw new Error(`runs must be a non-negative integer, got ${opts.runs}`);
  const out: Batch[] = [];
  for (const c of cells) {
    const size = batchSizeOf(c, opts.batchSize);
    if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive integer, got ${size}`);
    const runs = unitsOf(c, opts.runs);
    for (let s = 0; s < runs; s += size) out.push({ cell: c.index, runStart: s, runEnd: Math.min(runs, s + size) });
  }
  return out;
}

/** A cell's batch size: the override for run cells, one subtree for exhaustive ones. */
function batchSizeOf(c: PlanCell, override: number | undefined): number {
  return c.strategy?.kind === 'exhaustive' ? 1 : (override ?? defaultBatchSize(c));
}

/** The batches of one shard (all of them without a shard). */
export function selectShard(batches: readonly Batch[], shard: Shard | null | undefined): Batch[] {
  if (shard == null || shard.count === 1) return batches.slice();
  return batches.filter((_, i) => i % shard.count === shard.index - 1);
}

/**
 * What is left to run: the shard's batches minus runs already covered (resume). A batch that is
 * partly covered leaves its uncovered pieces. `covered` maps a cell index to its coverage.
 */
export function remainingBatches(batches: readonly Batch[], covered: ReadonlyMap<number, readonly string[]>): Batch[] {
  const cov = new Map<number, Interval[]>();
  for (const [cell, list] of covered) cov.set(cell, unionIntervals([list.map(parseInterval)]));
  const out: Batch[] = [];
  for (const b of batches) {
    const c = cov.get(b.cell);
    if (c === undefined || c.length === 0) {
      out.push(b);
      continue;
    }
    for (const [s, e] of subtractIntervals([b.runStart, b.runEnd], c)) out.push({ cell: b.cell, runStart: s, runEnd: e });
  }
  return out;
}

/**
 * The same plan, computed lazily: batches are generated as they are dispatched and the shard's
 * run total is arithmetic, so a sweep of 2^53 runs per cell (with a time budget) starts at once
 * and allocates nothing up front. Gives exactly the batches, in exactly the order, of
 * planBatches + selectShard (+ remainingBatches for a resume).
 */
export class Plan {
  private readonly sizes: number[];
  /** Units of each cell (runs, or an exhaustive cell's subtrees). */
  private readonly units: number[];
  /** Global index of each cell's first batch. */
  private readonly offsets: number[];

  constructor(
    private readonly cells: readonly PlanCell[],
    opts: { readonly runs: number; readonly batchSize?: number },
    private readonly shard: Shard | null = null,
    /** Cells (by position) that run nothing (their plugin could not set them up); the other cells' batches and shards are unchanged. */
    private readonly skip: ReadonlySet<number> = new Set(),
  ) {
    if (!Number.isSafeInteger(opts.runs) || opts.runs < 0)
      throw usageError(`runs must be a non-negative integer of at most ${Number.MAX_SAFE_INTEGER}, got ${opts.runs}`);
    this.sizes = cells.map((c) => batchSizeOf(c, opts.batchSize));
    for (const size of this.sizes) if (!Number.isSafeInteger(size) || size < 1) throw usageError(`batch size must be a positive integer, got ${size}`);
    this.units = cells.map((c) => unitsOf(c, opts.runs));
    this.offsets = [];
    let g = 0;
    for (const [i, size] of this.sizes.entries()) {
      this.offsets.push(g);
      g += Math.ceil(this.units[i]! / size);
    }
  }

  /** The shard's batches of cell position `i` (its index in the cell list), in run order. */
  *cellBatches(i: number): Generator<Batch> {
    if (this.skip.has(i)) return;
    const size = this.sizes[i]!,
      runs = this.units[i]!,
      cell = this.cells[i]!.index;
    const nb = Math.ceil(runs / size);
    let j = 0;
    if (this.shard !== null && this.shard.count > 1) {
      const n = this.shard.count;
      j = (((this.shard.index - 1 - this.offsets[i]!) % n) + n) % n;
      for (; j < nb; j += n) yield { cell, runStart: j * size, runEnd: Math.min(runs, (j + 1) * size) };
      return;
    }
    for (; j < nb; j++) yield { cell, runStart: j * size, runEnd: Math.min(runs, (j + 1) * size) };
  }

  /** The shard's batches in global order (cell by cell). */
  *batches(): Generator<Batch> {
    for (let i = 0; i < this.cells.length; i++) yield* this.cellBatches(i);
  }

  /**
   * The shard's batches (less `covered` runs, as remaining()) round-robin across cells by run
   * index (runStart, then cell): a time budget gives every cell an equal prefix.
   */
  *interleaved(covered: ReadonlyMap<number, readonly string[]> = new Map()): Generator<Batch> {
    const its = this.cells.map((_, i) => remaining(this.cellBatches(i), covered));
    const heads = its.map((it) => it.next());
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]!;
        if (h.done === true) continue;
        const b = best < 0 ? null : (heads[best]!.value as Batch);
        if (b === null || h.value.runStart < b.runStart || (h.value.runStart === b.runStart && h.value.cell < b.cell)) best = i;
      }
      if (best < 0) return;
      yield heads[best]!.value as Batch;
      heads[best] = its[best]!.next();
    }
  }

  /** Runs in the shard's batches (arithmetic, for progress). */
  shardRuns(): number {
    let total = 0;
    for (let i = 0; i < this.cells.length; i++) {
      const runs = this.units[i]!;
      const size = this.sizes[i]!,
        nb = Math.ceil(runs / size);
      if (nb === 0 || this.skip.has(i)) continue;
      if (this.shard === null || this.shard.count === 1) {
        total += runs;
        continue;
      }
      const n = this.shard.count;
      const j0 = (((this.shard.index - 1 - this.offsets[i]!) % n) + n) % n;
      if (j0 >= nb) continue;
      const k = Math.floor((nb - 1 - j0) / n) + 1;
      total += k * size;
      if ((nb - 1 - j0) % n === 0) total -= nb * size - runs; // the last batch is short
    }
    return total;
  }
}

/** What is left to run of `batches` given the runs already covered (resume): remainingBatches, lazily. */
export function* remaining(batches: Iterable<Batch>, covered: ReadonlyMap<number, readonly string[]>): Generator<Batch> {
  const cov = new Map<number, Interval[]>();
  for (const [cell, list] of covered) cov.set(cell, unionIntervals([list.map(parseInterval)]));
  for (const b of batches) {
    const c = cov.get(b.cell);
    if (c === undefined || c.length === 0) {
      yield b;
      continue;
    }
    for (const [s, e] of subtractIntervals([b.runStart, b.runEnd], c)) yield { cell: b.cell, runStart: s, runEnd: e };
  }
}
