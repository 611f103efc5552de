/**
 * The piscina worker, compiled to dist/engine/worker.js: piscina loads the CommonJS entry
 * worker-entry.cjs, which import()s this module (see worker-entry.cts). Plugins are resolved
 * once per worker and one Simulator is kept per cell, so a task costs only its runs.
 */
import type { Simulator } from '@lazytlb/core';
import type { CellSpec } from '../matrix/types.js';
import { simulatorFor } from './cells.js';
import { runBatch } from './run-batch.js';
import type { EngineCellAggregate } from './types.js';

export interface WorkerTask {
  readonly cell: CellSpec;
  /** Seed base of the cell (32 hex digits). */
  readonly cellHash: string;
  readonly pluginPaths: readonly string[];
  readonly runStart: number;
  readonly runEnd: number;
  /** Sketch the runs' abstract states. */
  readonly coverage: boolean;
}

const sims = new Map<string, Promise<Simulator>>();

export default async function runTask(task: WorkerTask): Promise<EngineCellAggregate> {
  let sim = sims.get(task.cellHash);
  if (sim === undefined) {
    sim = simulatorFor(task.cell, task.pluginPaths);
    sims.set(task.cellHash, sim);
  }
  return runBatch(await sim, task.cell.index, task.cellHash, task.runStart, task.runEnd, { coverage: task.coverage });
}
