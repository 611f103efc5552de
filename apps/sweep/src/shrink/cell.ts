/**
 * Simulators for variants of an artifact's cell. The scheme (and its options), the
 * preemption model, the arch, the mutations and the oracles switched off are what a failure is
 * about: every variant keeps them; arch options, CPUs, workload and strategy may change.
 */
import type { ArchPlugin, Artifact, SimulatorOptions } from '@lazytlb/core';

export type Workload = SimulatorOptions['workload'];

export interface CellOverrides {
  readonly archOptions?: unknown;
  readonly cpus?: number;
  readonly workload?: Workload;
  readonly strategy?: SimulatorOptions['strategy'];
}

/** The artifact's workload as Simulator input. */
export function workloadOf(artifact: Artifact): Workload {
  const w = artifact.cell.workload;
  return 'explicit' in w ? { explicit: w.explicit } : { profile: w.profile, params: w.params };
}

/** Simulator options for the artifact's cell with `over` applied (scheme, arch and mutations kept). */
export function simOptionsFor(plugin: ArchPlugin<unknown>, artifact: Artifact, over: CellOverrides = {}): SimulatorOptions {
  const c = artifact.cell;
  return {
    plugin,
    archOptions: 'archOptions' in over ? over.archOptions : c.arch.options,
    scheme: c.scheme,
    ...(c.schemeOptions !== undefined ? { schemeOptions: c.schemeOptions } : {}),
    ...(c.preempt !== undefined ? { preempt: c.preempt } : {}),
    cpus: over.cpus ?? c.cpus,
    workload: over.workload ?? workloadOf(artifact),
    strategy: over.strategy ?? c.strategy,
    stepBudget: c.stepBudget,
    ...(c.mutations !== undefined ? { mutations: c.mutations } : {}),
    ...(c.disabledInvariants !== undefined ? { disabledInvariants: c.disabledInvariants } : {}),
  };
}
