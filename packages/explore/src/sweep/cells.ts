/**
 * Validating and identifying cells in the main thread before anything runs: each cell's
 * plugin is resolved and a Simulator built once (so a bad arch, option, scheme or workload
 * fails the sweep up front, before --out is touched), giving the cell's canonical id, seed
 * base and actor count. A cell's mutations go to createSimulator, which validates them and
 * records them in the cell id (so mutated cells get their own seeds) and in every artifact.
 */
import { type CellConfig, formatScheme, PluginLoadError, PluginSetupError, type SchemeOptions, type Simulator } from '@lazytlb/core';
import { LazytlbError, pluginLoadError, usageError } from '../errors/lazytlb-error.js';
import type { PluginRegistry } from '../registry/registry.js';
import { withDeterminismTrap } from '../determinism/trap.js';
import type { CellSpec } from '../matrix/types.js';
import { cellHashOf } from '../plan/seed.js';
import { simulatorFor } from '../executor/cell-simulator.js';
import type { PreparedCell } from './types.js';

export { simulatorFor } from '../executor/cell-simulator.js';
import { sweepFingerprints, type SweepFingerprints } from './fingerprints.js';

/**
 * "shootdown:mask=online", plus " preempt=rt" when the cell is not under the default preemption
 * model and " memory=tso" when not under the default memory model (sc).
 */
export function schemeLabel(c: {
  readonly scheme: CellSpec['scheme'];
  readonly schemeOptions?: unknown;
  readonly preempt?: string | undefined;
  readonly memory?: string | undefined;
}): string {
  let s = formatScheme(c.scheme, (c.schemeOptions ?? null) as SchemeOptions | null);
  if (c.preempt !== undefined && c.preempt !== 'full') s += ` preempt=${c.preempt}`;
  if (c.memory !== undefined && c.memory !== 'sc') s += ` memory=${c.memory}`;
  return s;
}

/** The cells, validated and identified, and the behaviour fingerprints of the model they run. */
export async function prepareCells(
  cells: readonly CellSpec[],
  matrixSeed: string,
  registry: PluginRegistry,
): Promise<{ cells: PreparedCell[]; fingerprints: SweepFingerprints }> {
  const out: PreparedCell[] = [];
  const sims: Simulator[] = [];
  const seen = new Map<string, number>();
  for (const [i, spec] of cells.entries()) {
    if (spec.index !== i) throw usageError(`cell ${i} has index ${spec.index}: cells must be numbered 0..n-1 in order`);
    let sim: Simulator;
    try {
      sim = await simulatorFor(spec, registry);
    } catch (e) {
      const mutated = spec.mutations !== undefined && spec.mutations.length > 0 ? `, mutations ${spec.mutations.join('+')}` : '';
      const message = `cell ${i} (${spec.arch.name}, ${schemeLabel(spec)}, ${spec.cpus} CPUs${mutated}): ${(e as Error).message}`;
      if (e instanceof PluginSetupError) {
        // The plugin loaded but cannot set up this cell: report it against the cell, run the rest.
        out.push({
          index: i,
          spec,
          cellId: e.cellId,
          cellHash: cellHashOf(e.cellId, matrixSeed),
          actors: 0,
          config: JSON.parse(e.cellId) as CellConfig,
          setupError: (e as Error).message,
        });
        continue;
      }
      // A plugin that fails to set up (its setup() returned no valid hooks, ...) is a bad plugin, not a lazytlb bug: exit 2 without a stack.
      if (e instanceof PluginLoadError || (e instanceof LazytlbError && e.code === 'plugin-load')) throw pluginLoadError(message, spec.arch.name);
      throw usageError(message);
    }
    const dup = seen.get(sim.cellId);
    if (dup !== undefined) throw usageError(`cells ${dup} and ${i} are the same cell (after resolving defaults)`);
    seen.set(sim.cellId, i);
    out.push({ index: i, spec, cellId: sim.cellId, cellHash: cellHashOf(sim.cellId, matrixSeed), actors: sim.actorCount, config: sim.cell });
    sims.push(sim);
  }
  // Under the trap, as in the workers: a plugin that reads a clock or a random source gets one fingerprint everywhere.
  return { cells: out, fingerprints: withDeterminismTrap(() => sweepFingerprints(sims)) };
}

/**
 * How two lists of cell ids (canonical CellConfig JSON) differ, for "cannot merge / resume"
 * messages: the first cell that differs, naming an arch plugin or scheme plugin version change
 * (another plugin version is another cell: its runs are not comparable), else the count.
 */
export function cellsDifference(a: readonly string[], b: readonly string[]): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) continue;
    let x: { arch?: { name?: string; version?: string }; scheme?: string; schemeVersion?: string };
    let y: typeof x;
    try {
      x = JSON.parse(a[i]!) as typeof x;
      y = JSON.parse(b[i]!) as typeof x;
    } catch {
      return `cell ${i} differs`;
    }
    if (x.arch?.name === y.arch?.name && x.arch?.version !== y.arch?.version) {
      return `cell ${i} ran arch plugin ${x.arch?.name}@${x.arch?.version} vs ${y.arch?.name}@${y.arch?.version} (another plugin version is another cell)`;
    }
    if (x.scheme === y.scheme && x.schemeVersion !== y.schemeVersion) {
      const v = (s: typeof x): string => (s.schemeVersion !== undefined ? `${s.scheme}@${s.schemeVersion}` : `${s.scheme} (core's built-in)`);
      return `cell ${i} ran scheme ${v(x)} vs ${v(y)} (another plugin version is another cell)`;
    }
    return `cell ${i} differs`;
  }
  return `${a.length} vs ${b.length} cells`;
}
