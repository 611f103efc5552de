/**
 * A cell's simulator, as the main thread (sweep/cells.ts) and every executor (in-process, pool
 * workers) build it from the cell spec and the plugin registry.
 */
import { createSimulator, type Simulator } from '@lazytlb/core';
import { withDeterminismTrap } from '../determinism/trap.js';
import type { CellSpec } from '../matrix/types.js';
import type { PluginRegistry } from '../registry/registry.js';

/**
 * Build the simulator of a cell (used by the main thread and by workers): its arch and its
 * scheme are resolved by name the same way (bundled, --plugin PATH, installed package), and the
 * scheme plugin goes to createSimulator, which records a non-built-in scheme's version in the
 * cell (`schemeVersion`: part of the cell id, so another version is another cell).
 */
export async function simulatorFor(cell: CellSpec, registry: PluginRegistry): Promise<Simulator> {
  const plugin = await registry.arch(cell.arch.name);
  const schemePlugin = await registry.scheme(cell.scheme);
  // setup() runs in here: a plugin that reads a clock or a random source while setting up is caught too.
  return withDeterminismTrap(() =>
    createSimulator({
      plugin,
      archOptions: cell.arch.options,
      scheme: cell.scheme,
      schemePlugin,
      ...(cell.schemeOptions !== undefined ? { schemeOptions: cell.schemeOptions } : {}),
      ...(cell.preempt !== undefined ? { preempt: cell.preempt } : {}),
      ...(cell.memory !== undefined ? { memory: cell.memory } : {}),
      cpus: cell.cpus,
      workload: cell.workload,
      strategy: cell.strategy,
      ...(cell.stepBudget !== undefined ? { stepBudget: cell.stepBudget } : {}),
      ...(cell.mutations !== undefined && cell.mutations.length > 0 ? { mutations: cell.mutations } : {}),
      ...(cell.disabledInvariants !== undefined && cell.disabledInvariants.length > 0 ? { disabledInvariants: cell.disabledInvariants } : {}),
    }),
  );
}
