/**
 * The piscina worker, compiled to dist/executor/worker.js: piscina loads the CommonJS entry
 * worker-entry.cjs, which import()s this module (see worker-entry.cts). The plugin registry is
 * rebuilt once per worker from its spec (module URLs and paths) and one Simulator is kept per
 * cell, so a task costs only its runs.
 */
import type { Simulator } from '@lazytlb/core';
import { PluginRegistry, type RegistrySpec } from '../registry/registry.js';
import { simulatorFor } from './cell-simulator.js';
import type { BatchTask } from './executor.js';
import { withDeterminismTrap } from '../determinism/trap.js';
import { runBatch } from './run-batch.js';
import type { EngineCellAggregate } from '../aggregate/types.js';

export interface WorkerTask extends BatchTask {
  /** How to rebuild the caller's plugin registry in this thread. */
  readonly registry: RegistrySpec;
}

const sims = new Map<string, Promise<Simulator>>();
const registries = new Map<string, Promise<PluginRegistry>>();

function registryFor(spec: RegistrySpec): Promise<PluginRegistry> {
  const key = JSON.stringify(spec);
  let r = registries.get(key);
  if (r === undefined) registries.set(key, (r = PluginRegistry.fromSpec(spec)));
  return r;
}

export default async function runTask(task: WorkerTask): Promise<EngineCellAggregate> {
  let sim = sims.get(task.cellHash);
  if (sim === undefined) {
    sim = registryFor(task.registry).then((registry) => simulatorFor(task.cell, registry));
    sims.set(task.cellHash, sim);
  }
  const s = await sim;
  return withDeterminismTrap(() => runBatch(s, task.cell.index, task.cellHash, task.runStart, task.runEnd, { coverage: task.coverage }));
}
