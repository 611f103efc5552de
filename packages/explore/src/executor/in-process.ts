/**
 * An Executor that runs batches in the calling thread, one Simulator per cell (the registry
 * resolves its plugins). For tests, notebooks and callers that bring their own parallelism.
 */
import type { Simulator } from '@lazytlb/core';
import type { PluginRegistry } from '../registry/registry.js';
import { simulatorFor } from './cell-simulator.js';
import type { EngineCellAggregate } from '../aggregate/types.js';
import type { BatchTask, Executor } from './executor.js';
import { withDeterminismTrap } from '../determinism/trap.js';
import { runBatch } from './run-batch.js';

export class InProcessExecutor implements Executor {
  tasks = 0;
  private readonly sims = new Map<string, Promise<Simulator>>();

  constructor(private readonly registry: PluginRegistry) {}

  async runBatch(task: BatchTask): Promise<EngineCellAggregate> {
    this.tasks++;
    let sim = this.sims.get(task.cellHash);
    if (sim === undefined) {
      sim = simulatorFor(task.cell, this.registry);
      this.sims.set(task.cellHash, sim);
    }
    const s = await sim;
    return withDeterminismTrap(() => runBatch(s, task.cell.index, task.cellHash, task.runStart, task.runEnd, { coverage: task.coverage }));
  }

  async close(): Promise<void> {
    this.sims.clear();
  }
}
