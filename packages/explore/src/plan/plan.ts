/**
 * The plan of a sweep: every cell's runs [0, runs) cut into batches, in a fixed global order
 * (cell by cell, runs ascending). The batch size is a pure function of the cell (never of
 * timing), so every shard computes the same plan; shard I/N takes the batches whose global
 * index is ≡ I−1 (mod N), so the shards' union is exactly the plan. Batch boundaries do not
 * influence results (a run's seed depends only on its cell and index; aggregates merge
 * exactly), only how work is distributed.
 */
import type { CellSpec } from '../matrix/types.js';
import type { Batch } from '../sweep/types.js';
import { type Interval, parseInterval, subtractIntervals, unionIntervals } from './intervals.js';

/** Runs per batch: ~10–50 ms of work at ~0.1 ms per run of 2–4 CPUs (bigger cells run longer). */
export function defaultBatchSize(cell: Pick<CellSpec, 'cpus'>): number {
  return Math.max(16, Math.min(1024, Math.round(1024 / Math.max(1, cell.cpus))));
}

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1 && index <= count)) {
    throw new Error(`invalid shard "${text}": expected I/N with 1 <= I <= N`);
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
    if (!/^\d+$/.test(v)) throw new Error(`${name}="${v}": expected a non-negative integer`);
    const i = Number(v);
    if (i >= count) throw new Error(`${name}=${i} is out of range for --shards ${count} (expected 0..${count - 1})`);
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
export function planBatches(cells: readonly Pick<CellSpec, 'index' | 'cpus'>[], opts: PlanOptions): Batch[] {
  if (!Number.isInteger(opts.runs) || opts.runs < 0) throw new Error(`runs must be a non-negative integer, got ${opts.runs}`);
  const out: Batch[] = [];
  for (const c of cells) {
    const size = opts.batchSize ?? defaultBatchSize(c);
    if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive integer, got ${size}`);
    for (let s = 0; s < opts.runs; s += size) out.push({ cell: c.index, runStart: s, runEnd: Math.min(opts.runs, s + size) });
  }
  return out;
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
