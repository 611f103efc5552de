/**
 * Expanding a matrix into cells, in a documented deterministic order: arches (each with its
 * options, in the order given) outermost, then schemes (with their options), preemption
 * models, CPU counts, workloads, strategies and mutation sets innermost — the order of the lists as written (so a mutated cell sits right
 * after its unmutated twin when both are listed). Cell indices are positions in that order.
 */
import { canonicalJson, DEFAULT_PREEMPT, type MemoryModel } from '@lazytlb/core';
import { type CellSpec, type MatrixSpec, schemeName, schemeOptionsOf } from './types.js';

/** The default memory model: an `sc` cell records no memory (its cell key is that of a sweep without the axis). */
export const DEFAULT_MEMORY: MemoryModel = 'sc';

export function expandMatrix(spec: MatrixSpec): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const arch of spec.arches) {
    for (const s of spec.schemes) {
      const scheme = schemeName(s);
      const schemeOptions = schemeOptionsOf(s);
      for (const preempt of spec.preempts ?? [DEFAULT_PREEMPT]) {
        for (const memory of spec.memories ?? [DEFAULT_MEMORY]) {
          for (const cpus of spec.cpus) {
            for (const workload of spec.workloads) {
              for (const strategy of spec.strategies) {
                for (const set of spec.mutations ?? [[]]) {
                  const mutations = normaliseMutationSet(set);
                  cells.push({
                    index: cells.length,
                    arch,
                    scheme,
                    ...(schemeOptions !== undefined ? { schemeOptions } : {}),
                    ...(preempt !== DEFAULT_PREEMPT ? { preempt } : {}),
                    ...(memory !== DEFAULT_MEMORY ? { memory } : {}),
                    cpus,
                    workload,
                    strategy,
                    ...(spec.stepBudget !== undefined ? { stepBudget: spec.stepBudget } : {}),
                    ...(mutations.length > 0 ? { mutations } : {}),
                  });
                }
              }
            }
          }
        }
      }
    }
  }
  return cells;
}

/** A mutation set as cells record it: sorted, without duplicates (core's order). */
export function normaliseMutationSet(set: readonly string[]): string[] {
  return [...new Set(set)].sort();
}

/** Number of cells without expanding. */
export function cellCount(spec: MatrixSpec): number {
  return (
    spec.arches.length *
    spec.schemes.length *
    (spec.preempts ?? [DEFAULT_PREEMPT]).length *
    (spec.memories ?? [DEFAULT_MEMORY]).length *
    spec.cpus.length *
    spec.workloads.length *
    spec.strategies.length *
    (spec.mutations ?? [[]]).length
  );
}

/** A cell's identity (everything but its index) as canonical JSON: equal cells give equal keys. */
export function cellKey(cell: CellSpec): string {
  const { index: _index, ...rest } = cell;
  return canonicalJson(rest);
}
