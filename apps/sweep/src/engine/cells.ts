/**
 * Validating and identifying cells in the main thread before anything runs: each cell's
 * plugin is resolved and a Simulator built once (so a bad arch, option, scheme or workload
 * fails the sweep up front, before --out is touched), giving the cell's canonical id, seed
 * base and actor count. A cell's mutations go to createSimulator, which validates them and
 * records them in the cell id (so mutated cells get their own seeds) and in every artifact.
 */
import { createSimulator, formatScheme, type SchemeOptions, type Simulator } from '@lazytlb/core';
import type { CellSpec } from '../matrix/types.js';
import { resolvePlugin } from '../plugins/resolve.js';
import { cellHashOf } from './seed.js';
import type { PreparedCell } from './types.js';

/** Build the simulator of a cell (used by the main thread and by workers). */
export async function simulatorFor(cell: CellSpec, pluginPaths: readonly string[]): Promise<Simulator> {
  const plugin = await resolvePlugin(cell.arch.name, pluginPaths);
  return createSimulator({
    plugin,
    archOptions: cell.arch.options,
    scheme: cell.scheme,
    ...(cell.schemeOptions !== undefined ? { schemeOptions: cell.schemeOptions } : {}),
    ...(cell.preempt !== undefined ? { preempt: cell.preempt } : {}),
    ...(cell.memory !== undefined ? { memory: cell.memory } : {}),
    cpus: cell.cpus,
    workload: cell.workload,
    strategy: cell.strategy,
    ...(cell.stepBudget !== undefined ? { stepBudget: cell.stepBudget } : {}),
    ...(cell.mutations !== undefined && cell.mutations.length > 0 ? { mutations: cell.mutations } : {}),
    ...(cell.disabledInvariants !== undefined && cell.disabledInvariants.length > 0 ? { disabledInvariants: cell.disabledInvariants } : {}),
  });
}

/**
 * "shootdown:mask=online", plus " preempt=rt" when the cell is not under the default preemption
 * model and " memory=tso" when not under the default memory model (sc).
 */
export function schemeLabel(c: {
  readonly scheme: CellSpec['scheme']; readonly schemeOptions?: unknown; readonly preempt?: string | undefined; readonly memory?: string | undefined;
}): string {
  let s = formatScheme(c.scheme, (c.schemeOptions ?? null) as SchemeOptions | null);
  if (c.preempt !== undefined && c.preempt !== 'full') s += ` preempt=${c.preempt}`;
  if (c.memory !== undefined && c.memory !== 'sc') s += ` memory=${c.memory}`;
  return s;
}

export class CellError extends Error {
  override name = 'CellError';
}

export async function prepareCells(cells: readonly CellSpec[], matrixSeed: string, pluginPaths: readonly string[]): Promise<PreparedCell[]> {
  const out: PreparedCell[] = [];
  const seen = new Map<string, number>();
  for (const [i, spec] of cells.entries()) {
    if (spec.index !== i) throw new CellError(`cell ${i} has index ${spec.index}: cells must be numbered 0..n-1 in order`);
    let sim: Simulator;
    try {
      sim = await simulatorFor(spec, pluginPaths);
    } catch (e) {
      const mutated = spec.mutations !== undefined && spec.mutations.length > 0 ? `, mutations ${spec.mutations.join('+')}` : '';
      throw new CellError(`cell ${i} (${spec.arch.name}, ${schemeLabel(spec)}, ${spec.cpus} CPUs${mutated}): ${(e as Error).message}`);
    }
    const dup = seen.get(sim.cellId);
    if (dup !== undefined) throw new CellError(`cells ${dup} and ${i} are the same cell (after resolving defaults)`);
    seen.set(sim.cellId, i);
    out.push({ index: i, spec, cellId: sim.cellId, cellHash: cellHashOf(sim.cellId, matrixSeed), actors: sim.actorCount, config: sim.cell });
  }
  return out;
}
