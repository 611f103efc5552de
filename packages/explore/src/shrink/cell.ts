/**
 * Simulators for variants of an artifact's cell. The scheme (and its options), the
 * preemption model, the memory model, the arch, the mutations and the oracles switched off are
 * what a failure is about: every variant keeps them; arch options, CPUs, workload and strategy
 * may change.
 */
import { type ArchPlugin, type Artifact, artifactSimulatorOptions, type MemoryModel, type SchemePlugin, type SimulatorOptions } from '@lazytlb/core';

/**
 * The plugins a cell runs: its arch and, for a scheme that is not one of core's built-ins
 * (an artifact whose cell has `schemeVersion`), its scheme plugin.
 */
export interface CellPlugins {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly arch: ArchPlugin<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly scheme?: SchemePlugin<any>;
}

/** An arch plugin alone (a cell of a built-in scheme) or the cell's plugins. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type PluginsArg = ArchPlugin<any> | CellPlugins;

/** The cell's plugins from either form (an ArchPlugin has no `arch` field). */
export function cellPlugins(p: PluginsArg): CellPlugins {
  return 'arch' in p && typeof (p as CellPlugins).arch === 'object' && !('capabilities' in p) ? (p as CellPlugins) : { arch: p as ArchPlugin<unknown> };
}

/** core's replayArtifact options for these plugins. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function replayOpts(p: CellPlugins, trace = false): { trace?: boolean; scheme?: SchemePlugin<any> } {
  return { ...(trace ? { trace } : {}), ...(p.scheme !== undefined ? { scheme: p.scheme } : {}) };
}

export type Workload = SimulatorOptions['workload'];

export interface CellOverrides {
  readonly archOptions?: unknown;
  readonly cpus?: number;
  readonly workload?: Workload;
  readonly strategy?: SimulatorOptions['strategy'];
}

/**
 * An artifact cell's memory model: its `memory` (core's CellConfig records it when not sc),
 * else sc. Read through this so every reader of artifacts agrees on the default.
 */
export function cellMemory(cell: Artifact['cell']): MemoryModel {
  return cell.memory ?? 'sc';
}

/**
 * Why an artifact of a cell cannot stand for that cell's runs: it records another memory model
 * than the cell's (an artifact writer that drops `memory` turns a tso run into an sc one, whose
 * replay takes other steps). Null when they agree. Shrinking such an artifact would shrink
 * another cell's run, so callers skip it and say why.
 */
export function memoryMismatch(cell: { readonly memory?: MemoryModel }, artifact: Artifact): string | null {
  const want = cell.memory ?? 'sc';
  const got = cellMemory(artifact.cell);
  if (want === got) return null;
  return `its cell runs under memory model ${want} but the artifact records ${got} (core's artifact did not keep the cell's memory model), so it cannot be replayed faithfully`;
}

/** The artifact's workload as Simulator input. */
export function workloadOf(artifact: Artifact): Workload {
  const w = artifact.cell.workload;
  return 'explicit' in w ? { explicit: w.explicit } : { profile: w.profile, params: w.params };
}

/**
 * Simulator options for the artifact's cell (core's artifactSimulatorOptions: what its replay
 * builds) with `over` applied (scheme, preemption and memory model, arch and mutations kept).
 */
export function simOptionsFor(plugins: PluginsArg, artifact: Artifact, over: CellOverrides = {}): SimulatorOptions {
  const p = cellPlugins(plugins);
  return {
    ...artifactSimulatorOptions(artifact, p.arch, p.scheme),
    ...('archOptions' in over ? { archOptions: over.archOptions } : {}),
    ...(over.cpus !== undefined ? { cpus: over.cpus } : {}),
    ...(over.workload !== undefined ? { workload: over.workload } : {}),
    ...(over.strategy !== undefined ? { strategy: over.strategy } : {}),
  };
}
