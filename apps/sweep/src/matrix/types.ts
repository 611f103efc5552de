/**
 * The configuration space a sweep covers: a matrix (what the user writes, in a file or as
 * flags) expands into cells (one arch + options, scheme, CPU count, workload, strategy each).
 */
import type { Scheme, StrategySpec, WorkloadSpec } from '@lazytlb/core';

/** An arch as the user names it: a bundled plugin, an installed package or a path, plus its options. */
export interface ArchSpec {
  /** Bundled plugin name (`x86-native`, `x86-paravirt`, `powerpc`, `reference`), package name, or the name of a --plugin PATH plugin. */
  readonly name: string;
  readonly options: Readonly<Record<string, unknown>>;
}

export interface MatrixSpec {
  readonly arches: readonly ArchSpec[];
  readonly schemes: readonly Scheme[];
  readonly cpus: readonly number[];
  readonly workloads: readonly WorkloadSpec[];
  readonly strategies: readonly StrategySpec[];
  /** Runs per cell (upper bound when a time budget is set). */
  readonly runs: number;
  /** Wall-clock budget for the whole sweep, in ms (optional). */
  readonly timeBudgetMs?: number;
  /** Base seed: part of every cell id, so a different seed gives different runs. */
  readonly seed: string;
  /** Step budget per run (default: core's). */
  readonly stepBudget?: number;
  /**
   * Mutation sets, one cell dimension value each (innermost axis): `[]` is the unmutated
   * model, `['a', 'b']` enables mutations a and b together. Absent: `[[]]` (unmutated only).
   */
  readonly mutations?: readonly (readonly string[])[];
}

/** One cell of the matrix, in expansion order. */
export interface CellSpec {
  readonly index: number;
  readonly arch: ArchSpec;
  readonly scheme: Scheme;
  readonly cpus: number;
  readonly workload: WorkloadSpec;
  readonly strategy: StrategySpec;
  readonly stepBudget?: number;
  /** Enabled mutations, sorted and de-duplicated; absent for the unmutated model (its cell key is unchanged). */
  readonly mutations?: readonly string[];
}
