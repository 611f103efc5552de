/**
 * What runs batches: an Executor takes a batch of one cell's runs and gives back its aggregate.
 * runSweep dispatches batches to one with bounded concurrency and merges what comes back, so
 * results never depend on which executor ran them, nor where: in this thread
 * (InProcessExecutor), on a worker pool (PoolExecutor), or on machines a distributed driver
 * reaches (supply your own: the task is plain JSON, the aggregate is plain data but for its
 * typed-array sketches).
 */
import type { CellSpec } from '../matrix/types.js';
import type { EngineCellAggregate } from '../aggregate/types.js';

/** A batch of runs [runStart, runEnd) of one cell. */
export interface BatchTask {
  readonly cell: CellSpec;
  /** Seed base of the cell (32 hex digits). */
  readonly cellHash: string;
  readonly runStart: number;
  readonly runEnd: number;
  /** Sketch the runs' abstract states. */
  readonly coverage: boolean;
  /** The cell's explorer actor count (for an empty aggregate when a run cannot be run at all). */
  readonly actors: number;
}

export interface Executor {
  /** Run a batch; resolves to its aggregate (a run that crashes the executor is reported in it, not thrown). */
  runBatch(task: BatchTask): Promise<EngineCellAggregate>;
  /** Tasks run so far (including retries), for timing facts. */
  readonly tasks: number;
  /** Release threads and other resources. */
  close(): Promise<void>;
}
