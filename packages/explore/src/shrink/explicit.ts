/**
 * Turning a run's generated workload into an explicit one: core's decompiler reads the task
 * table and programs back after `sim.begin(seed)` (decompileRun), and explicitWorkloadOf writes
 * them as explicit-workload input. Tasks are listed in id order and named as traces name them
 * (T<id> / K<id>), mms `mm<id>`, so task ids, mm ids and trace names stay the same; the deep-idle
 * budget becomes `deepIdles`. Every generated op has a string (a membarrier op that registers and
 * issues the command is `membarrier_register_and_command`), so the explicit workload runs exactly
 * as the generated one did.
 */
import { type ExplicitWorkloadInput, type RunSeed, type Simulator, decompileRun, explicitWorkloadOf } from '@lazytlb/core';
import { type ShrinkWorkload, structuredWorkload } from './workload.js';

/** The workload `sim` draws for `seed`, as an explicit task list (begins and ends a run on `sim`). */
export function explicitFromRun(sim: Simulator, seed: RunSeed): ExplicitWorkloadInput {
  return explicitWorkloadOf(decompileRun(sim, seed));
}

/** The same as structured ops, as the shrinker edits it. */
export function shrinkWorkloadFromRun(sim: Simulator, seed: RunSeed): ShrinkWorkload {
  return structuredWorkload(explicitFromRun(sim, seed));
}
