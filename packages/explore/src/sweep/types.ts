/**
 * What a sweep gives back: its cells as validated and identified in the main thread
 * (PreparedCell) and its result before it becomes results.json (SweepResult). The aggregate
 * types (aggregate/types.ts) and the batch (plan/plan.ts) are re-exported with them, for callers
 * that take a sweep's types from one place.
 */
import type { EngineCellAggregate } from '../aggregate/types.js';

export type { Batch } from '../plan/plan.js';
export {
  type CellAggregate,
  type EngineCellAggregate,
  type ExhaustiveAggregate,
  type FailureClass,
  failureKey,
  failureLabel,
  type FirstFailure,
  type RunError,
} from '../aggregate/types.js';

/** A cell after validation in the main thread: its resolved identity and seed base. */
export interface PreparedCell {
  readonly index: number;
  readonly spec: import('../matrix/types.js').CellSpec;
  /** Canonical JSON of the resolved cell (core's `sim.cellId`). */
  readonly cellId: string;
  /** hashString128(cell id + matrix seed) as 32 hex digits: the base of every run seed of the cell. */
  readonly cellHash: string;
  /** Explorer actors n (PCT bound). */
  readonly actors: number;
  /** The resolved cell (what artifacts record). */
  readonly config: import('@lazytlb/core').CellConfig;
  /**
   * Its plugin's setup() threw (or returned no valid hooks) for this cell: the cell is reported
   * as an error with this message and none of its runs are dispatched; the other cells run.
   */
  readonly setupError?: string;
}

/** What a sweep (or a shard, or an interrupted sweep) produced, before it becomes results.json. */
export interface SweepResult {
  readonly toolVersion: string;
  readonly coreVersion: string;
  /** Behaviour fingerprints of core and of every plugin the cells run. */
  readonly fingerprints: import('./fingerprints.js').SweepFingerprints;
  readonly matrixSeed: string;
  /** Runs per cell asked for. */
  readonly runs: number;
  readonly cells: readonly PreparedCell[];
  /** Index-aligned with `cells`. */
  readonly aggregates: readonly EngineCellAggregate[];
  readonly shard: { readonly index: number; readonly count: number } | null;
  /** Stopped by the abort signal (Ctrl-C) before the plan was done: resumable. */
  readonly interrupted: boolean;
  /** The time budget stopped dispatch; each cell covers a prefix [0, R) of its runs. */
  readonly timeBudgetHit: boolean;
  /** Abstract-state coverage was measured (aggregates carry state sketches). */
  readonly coverage: boolean;
  /** Timing and machine facts: never compared (they differ between equal sweeps). */
  readonly timing: {
    readonly startedAt: string;
    readonly elapsedMs: number;
    readonly threads: number;
    readonly batchesRun: number;
  };
}
